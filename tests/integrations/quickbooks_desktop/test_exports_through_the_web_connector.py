"""Exports through the outbox, over real sockets: an accepted company or project waits for the
Web Connector, the local QuickBooks Desktop adds it when the Web Connector runs, and its answer
settles the record once — a lost answer becomes a link, never a second entry."""

import pytest

from approvals.models import Company
from approvals.services import (
    PreconditionsNotMet,
    record_accept,
    record_retrieve,
    record_send,
)
from approvals.states import SyncStatus
from integrations.quickbooks_desktop.connector import QuickBooksDesktopConnector
from integrations.quickbooks_desktop.models import Exchange, QueuedRequest, RequestState
from tests.approvals.admin.helpers import run_queued_exports
from tests.factories import make_project
from tests.integrations.quickbooks_desktop.conftest import ENDPOINT, PASSWORD, make_desktop
from tests.records import new_company, people

pytestmark = pytest.mark.django_db(transaction=True)

USERNAME = "riverside-qbwc"


@pytest.fixture
def quickbooks(qbd_sandbox, live_server):
    qbd_sandbox.settings(
        app_url=f"{live_server.url}{ENDPOINT}", username=USERNAME, password=PASSWORD
    )
    return qbd_sandbox


@pytest.fixture
def connected(quickbooks):
    """A company whose lists the Web Connector has read once: its customers can be chosen."""
    acme = quickbooks.seed("Customer", Name="Acme Development")
    make_desktop(username=USERNAME)
    assert quickbooks.run()["outcome"] == "ok"
    pm, approver = people()
    return {"acme": acme, "pm": pm, "approver": approver}


def fresh(record):
    record.refresh_from_db()
    return record


def handed_off(connected, record, *, create_reason="", **choices):
    record_send(record=record, actor=connected["pm"])
    record_accept(
        record=record,
        actor=connected["approver"],
        choices=choices or None,
        create_reason=create_reason,
    )
    assert run_queued_exports() == ["handed off"]
    record = fresh(record)
    assert record.sync_status == SyncStatus.AWAITING_ERP
    assert record.sync_status_label == "Waiting for QuickBooks Desktop"
    return record


def vendors_named(quickbooks, name: str) -> list[dict]:
    return [vendor for vendor in quickbooks.records("Vendor") if vendor["Name"] == name]


def sent_operations() -> list[str]:
    return [
        exchange.request_xml.split("<QBXMLMsgsRq", 1)[1].split(">", 2)[1].split()[0].lstrip("<")
        for exchange in Exchange.objects.filter(request__record_id__isnull=False).order_by("pk")
    ]


def test_a_company_becomes_one_vendor_when_the_web_connector_runs(connected, quickbooks):
    company = handed_off(connected, new_company("Hillcrest Glazing"))
    assert vendors_named(quickbooks, "Hillcrest Glazing") == []  # nothing before the run

    log = quickbooks.run()

    assert log["outcome"] == "ok"
    company = fresh(company)
    assert company.sync_status == SyncStatus.SYNCED
    (vendor,) = vendors_named(quickbooks, "Hillcrest Glazing")
    assert (company.erp_id, company.erp_version) == (vendor["ListID"], vendor["EditSequence"])
    assert vendor["CompanyName"] == "Hillcrest Glazing (Oregon)"
    assert vendor["VendorAddress"]["City"] == "Portland"
    assert QueuedRequest.objects.get(record_id=company.pk).state == RequestState.DONE
    assert quickbooks.run()["outcome"] == "none"  # nothing is sent twice


def test_a_project_becomes_one_job_under_the_customer_chosen_at_accept(connected, quickbooks):
    acme = connected["acme"]
    project = make_project(number="P-101", name="North Annex", members=[connected["pm"]])
    project = handed_off(connected, project, parent_customer_id=acme["ListID"])

    assert quickbooks.run()["outcome"] == "ok"

    project = fresh(project)
    assert project.sync_status == SyncStatus.SYNCED
    jobs = [c for c in quickbooks.records("Customer") if c.get("ParentRef")]
    assert [(j["FullName"], j["ParentRef"]["ListID"]) for j in jobs] == [
        ("Acme Development:P-101 North Annex", acme["ListID"])
    ]
    assert project.erp_id == jobs[0]["ListID"]


def test_a_lost_answer_becomes_a_link_never_a_second_vendor(connected, quickbooks, settings):
    company = handed_off(connected, new_company("Hillcrest Glazing"))
    quickbooks.fault("lost_answer", after=1)

    assert quickbooks.run()["outcome"] == "lost"
    assert fresh(company).sync_status == SyncStatus.AWAITING_ERP
    assert len(vendors_named(quickbooks, "Hillcrest Glazing")) == 1  # QuickBooks added it
    settings.QBWC_BUSY_SECONDS = 0  # the lost run has been silent long enough

    assert quickbooks.run()["outcome"] == "ok"

    company = fresh(company)
    (vendor,) = vendors_named(quickbooks, "Hillcrest Glazing")
    assert (company.sync_status, company.erp_id) == (SyncStatus.SYNCED, vendor["ListID"])
    assert sent_operations() == ["VendorAddRq", "VendorQueryRq"]


def test_a_lost_answer_links_the_vendor_it_added_even_with_details_changed_there_since(
    connected, quickbooks, settings
):
    company = handed_off(connected, new_company("Hillcrest Glazing"))
    quickbooks.fault("lost_answer", after=1)
    assert quickbooks.run()["outcome"] == "lost"
    (added,) = vendors_named(quickbooks, "Hillcrest Glazing")
    assert added["ExternalGUID"].startswith("{")  # our attempt's
    # Before the next run, the bookkeeper corrects the phone number in QuickBooks.
    corrected = quickbooks.qbxml(
        '<?xml version="1.0"?><?qbxml version="12.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
        f"<VendorModRq><VendorMod><ListID>{added['ListID']}</ListID>"
        f"<EditSequence>{added['EditSequence']}</EditSequence><Phone>(503) 555-0142</Phone>"
        "</VendorMod></VendorModRq></QBXMLMsgsRq></QBXML>"
    )
    assert 'statusCode="0"' in corrected["response"]
    settings.QBWC_BUSY_SECONDS = 0

    assert quickbooks.run()["outcome"] == "ok"

    company = fresh(company)
    assert (company.sync_status, company.erp_id) == (SyncStatus.SYNCED, added["ListID"])
    assert sent_operations() == ["VendorAddRq", "VendorQueryRq"]


def test_a_look_up_finding_the_entry_of_another_synced_record_fails_it_never_links_both(
    connected, quickbooks, settings
):
    first = handed_off(connected, new_company("Hillcrest Glazing"))
    assert quickbooks.run()["outcome"] == "ok"
    first = fresh(first)
    assert first.sync_status == SyncStatus.SYNCED
    # The approver overrides the look-alike warning (a tired accountant, a second branch office).
    second = handed_off(
        connected, new_company("Hillcrest Glazing"), create_reason="A second branch office"
    )
    quickbooks.fault("lost_answer", after=1)
    assert quickbooks.run()["outcome"] == "lost"
    settings.QBWC_BUSY_SECONDS = 0

    assert quickbooks.run()["outcome"] == "ok"

    second = fresh(second)
    assert (second.sync_status, second.erp_id) == (SyncStatus.EXPORT_FAILED, "")
    assert f"already linked to {first}" in second.last_export_error
    assert "rename this record here" in second.last_export_error
    assert fresh(first).erp_id == vendors_named(quickbooks, "Hillcrest Glazing")[0]["ListID"]
    assert len(vendors_named(quickbooks, "Hillcrest Glazing")) == 1


def test_a_lost_answer_of_an_add_quickbooks_never_made_is_added_after_the_look_up(
    connected, quickbooks, settings
):
    company = handed_off(connected, new_company("Hillcrest Glazing"))
    quickbooks.fault("lost_answer", after=1)
    assert quickbooks.run()["outcome"] == "lost"
    quickbooks.delete(vendors_named(quickbooks, "Hillcrest Glazing")[0]["ListID"])
    settings.QBWC_BUSY_SECONDS = 0

    assert quickbooks.run()["outcome"] == "ok"

    (vendor,) = vendors_named(quickbooks, "Hillcrest Glazing")
    assert fresh(company).erp_id == vendor["ListID"]
    assert sent_operations() == ["VendorAddRq", "VendorQueryRq", "VendorAddRq"]


def test_a_name_in_use_fails_with_the_shared_name_space_explained_then_a_rename_syncs(
    connected, quickbooks
):
    quickbooks.seed("Customer", Name="Hillcrest Glazing")
    company = handed_off(connected, new_company("Hillcrest Glazing"))

    assert quickbooks.run()["outcome"] == "ok"

    company = fresh(company)
    assert company.sync_status == SyncStatus.EXPORT_FAILED
    assert "Customers (and their jobs), vendors, employees and other names share one list" in (
        company.last_export_error
    )
    assert company.last_export_error.endswith(
        '(QuickBooks status 3100: The name "Hillcrest Glazing" of the list element is already '
        "in use.)"
    )
    assert vendors_named(quickbooks, "Hillcrest Glazing") == []
    assert run_queued_exports() == ["nothing in the ERP"]

    # The project manager takes it back, renames it and sends it again; it is accepted anew.
    record_retrieve(record=fresh(company), actor=connected["pm"])
    type(company).objects.filter(pk=company.pk).update(name="Hillcrest Glazing Inc")
    handed_off(connected, fresh(company))
    assert quickbooks.run()["outcome"] == "ok"

    company = fresh(company)
    (vendor,) = vendors_named(quickbooks, "Hillcrest Glazing Inc")
    assert (company.sync_status, company.erp_id) == (SyncStatus.SYNCED, vendor["ListID"])


def key_in_by_hand(quickbooks, company, *, active: bool = True, **other_details):
    """A bookkeeper types a vendor named like `company` into QuickBooks: with the company's
    details but `other_details` (in the schema's order, as QuickBooks wants them)."""
    details = {
        "Name": company.name,
        "IsActive": active,
        "CompanyName": company.legal_name,
        "VendorAddress": {
            "Addr1": company.address_line1,
            "City": company.city,
            "State": company.region,
            "PostalCode": company.postal_code,
            "Country": company.country,
        },
        "Phone": company.phone,
        "Email": company.email,
    }
    return quickbooks.seed("Vendor", **{**details, **other_details})


def test_a_vendor_keyed_in_with_the_company_s_details_is_linked_not_refused(connected, quickbooks):
    company = new_company("Hillcrest Glazing")
    keyed_in = key_in_by_hand(quickbooks, company)
    company = handed_off(connected, company)

    assert quickbooks.run()["outcome"] == "ok"

    company = fresh(company)
    assert (company.sync_status, company.erp_id) == (SyncStatus.SYNCED, keyed_in["ListID"])
    assert vendors_named(quickbooks, "Hillcrest Glazing") == [keyed_in]
    assert sent_operations() == ["VendorAddRq", "VendorQueryRq"]


def test_a_vendor_of_that_name_with_other_details_is_named_and_never_linked(connected, quickbooks):
    company = new_company("Hillcrest Glazing")
    theirs = key_in_by_hand(
        quickbooks, company, Email="office@another-business.example", Phone="(541) 555-0100"
    )
    company = handed_off(connected, company)

    assert quickbooks.run()["outcome"] == "ok"

    company = fresh(company)
    assert (company.sync_status, company.erp_id) == (SyncStatus.EXPORT_FAILED, "")
    assert company.last_export_error.startswith(
        "QuickBooks Desktop already has a vendor named 'Hillcrest Glazing' whose details"
    )
    assert company.last_export_error.endswith(
        '(QuickBooks status 3100: The name "Hillcrest Glazing" of the list element is already '
        "in use.)"
    )
    assert vendors_named(quickbooks, "Hillcrest Glazing") == [theirs]  # untouched


def test_a_company_known_only_by_its_name_never_takes_a_vendor_with_details_of_its_own(
    connected, quickbooks
):
    # Nothing here but the name: a vendor of that name with a phone, an email and an address
    # of its own is another business, not one keyed in for this company.
    company = Company.objects.create(name="Hillcrest Glazing")
    theirs = quickbooks.seed(
        "Vendor",
        Name="Hillcrest Glazing",
        CompanyName="Hillcrest Glazing",
        VendorAddress={"Addr1": "1 Other St", "City": "Boise", "State": "ID"},
        Phone="(208) 555-0100",
        Email="office@another-business.example",
    )
    company = handed_off(connected, company)

    assert quickbooks.run()["outcome"] == "ok"

    company = fresh(company)
    assert (company.sync_status, company.erp_id) == (SyncStatus.EXPORT_FAILED, "")
    assert "whose details (legal name, phone, email or address) differ" in company.last_export_error
    assert vendors_named(quickbooks, "Hillcrest Glazing") == [theirs]


def test_a_vendor_with_the_company_s_details_made_inactive_is_not_linked(connected, quickbooks):
    company = new_company("Hillcrest Glazing")
    key_in_by_hand(quickbooks, company, active=False)
    company = handed_off(connected, company)

    assert quickbooks.run()["outcome"] == "ok"

    company = fresh(company)
    assert (company.sync_status, company.erp_id) == (SyncStatus.EXPORT_FAILED, "")
    assert "but it is inactive there, so it was not linked" in company.last_export_error


def test_after_a_lost_answer_a_vendor_of_that_name_keyed_in_for_another_business_is_not_linked(
    connected, quickbooks, settings
):
    company = handed_off(connected, new_company("Hillcrest Glazing"))
    quickbooks.fault("lost_answer", after=1)
    assert quickbooks.run()["outcome"] == "lost"
    # QuickBooks had not kept it after all; a bookkeeper typed another business in by that name.
    quickbooks.delete(vendors_named(quickbooks, "Hillcrest Glazing")[0]["ListID"])
    theirs = quickbooks.seed(
        "Vendor", Name="Hillcrest Glazing", Email="office@another-business.example"
    )
    settings.QBWC_BUSY_SECONDS = 0

    assert quickbooks.run()["outcome"] == "ok"

    company = fresh(company)
    assert (company.sync_status, company.erp_id) == (SyncStatus.EXPORT_FAILED, "")
    assert "already has a vendor named 'Hillcrest Glazing' whose details" in (
        company.last_export_error
    )
    assert vendors_named(quickbooks, "Hillcrest Glazing") == [theirs]
    assert sent_operations() == ["VendorAddRq", "VendorQueryRq"]


def test_quickbooks_closed_leaves_it_waiting_and_the_next_run_syncs_it(connected, quickbooks):
    company = handed_off(connected, new_company("Hillcrest Glazing"))
    quickbooks.fault("quickbooks_closed", count=1)

    assert quickbooks.run()["outcome"] == "connection_error"
    assert fresh(company).sync_status == SyncStatus.AWAITING_ERP

    assert quickbooks.run()["outcome"] == "ok"
    assert fresh(company).sync_status == SyncStatus.SYNCED
    assert len(vendors_named(quickbooks, "Hillcrest Glazing")) == 1


def test_a_name_longer_than_quickbooks_holds_is_refused_never_cut(connected):
    project = make_project(
        number="P-102",
        name="Riverside Medical Office Building, Phase II",
        members=[connected["pm"]],
    )

    with pytest.raises(PreconditionsNotMet, match="at most 41") as refused:
        record_send(record=project, actor=connected["pm"])

    assert "'P-102 Riverside Medical Office Building, Phase II', 49 characters" in str(
        refused.value
    )
    assert fresh(project).sync_status == SyncStatus.NOT_SENT
    assert not QueuedRequest.objects.filter(record_id=project.pk).exists()


def test_handing_the_same_attempt_off_again_returns_the_request_already_queued():
    desktop = make_desktop(username=USERNAME, read_lists=False)
    company = new_company("Hillcrest Glazing")
    connector = QuickBooksDesktopConnector(desktop.connection)

    first = connector.export(company, idempotency_key="attempt-1")
    again = connector.export(company, idempotency_key="attempt-1")

    assert first.reference == again.reference
    assert first.request_payload["Name"] == "Hillcrest Glazing"
    (request,) = QueuedRequest.objects.filter(record_id=company.pk)
    assert (request.operation, request.state, request.body) == ("VendorAddRq", "queued", "")


def test_a_job_name_the_customer_already_has_fails_with_a_sentence(connected, quickbooks):
    acme = connected["acme"]
    quickbooks.seed("Customer", Name="P-103 North Annex", ParentRef={"ListID": acme["ListID"]})
    project = make_project(number="P-103", name="North Annex", members=[connected["pm"]])
    project = handed_off(connected, project, parent_customer_id=acme["ListID"])

    assert quickbooks.run()["outcome"] == "ok"

    project = fresh(project)
    assert project.sync_status == SyncStatus.EXPORT_FAILED
    assert project.last_export_error.startswith(
        "The customer chosen already has a job of that name in QuickBooks Desktop."
    )
    assert "(QuickBooks status 3100: " in project.last_export_error
    assert len([c for c in quickbooks.records("Customer") if c.get("ParentRef")]) == 1


def test_a_control_character_pasted_in_a_name_is_refused_at_send_and_blocks_nothing(
    connected, quickbooks
):
    pasted = new_company("Hillcrest\x0bGlazing")
    with pytest.raises(PreconditionsNotMet, match="cannot be sent \\(a control character"):
        record_send(record=pasted, actor=connected["pm"])
    company = handed_off(connected, new_company("Bolt Electric"))

    assert quickbooks.run()["outcome"] == "ok"

    assert fresh(pasted).sync_status == SyncStatus.NOT_SENT
    assert fresh(company).sync_status == SyncStatus.SYNCED
    assert [vendor["Name"] for vendor in quickbooks.records("Vendor")] == ["Bolt Electric"]
