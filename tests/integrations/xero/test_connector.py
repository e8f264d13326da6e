"""Accept → export task → the Xero sandbox over a real socket: what reaches Xero's books, once."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from approvals.models import (
    ChangeOrderLine,
    Commitment,
    CommitmentChangeOrder,
    Company,
    Project,
    SubcontractorInvoice,
)
from approvals.preconditions import send_problems
from approvals.services import record_accept, record_retry, record_send
from approvals.states import SyncStatus
from approvals.tasks import export_run
from integrations.base import ApprovedDocument, PermanentERPError
from integrations.models import ERPConnection
from integrations.registry import connector_for
from integrations.xero.client import XeroClient
from integrations.xero.connector import XeroConnector
from tests.factories import make_project, make_user
from tests.integrations.xero import scene
from tests.records import fresh_record, new_change_order, new_commitment, new_invoice, people

pytestmark = pytest.mark.django_db


def run_queued_exports() -> list[str]:
    """Run every queued export task once, in order, as a worker would."""
    done, outcomes = set(), []
    while True:
        pending = (
            DBTaskResult.objects.filter(task_path="approvals.tasks.export_run")
            .exclude(id__in=done)
            .order_by("enqueued_at")
            .first()
        )
        if pending is None:
            return outcomes
        done.add(pending.id)
        outcomes.append(export_run.call(*pending.args_kwargs["args"]))


@pytest.fixture(autouse=True)
def _retries_due_at_once(settings):
    settings.EXPORT_MAX_TRIES = 3
    settings.EXPORT_RETRY_BASE_SECONDS = 0
    settings.EXPORT_RETRY_MAX_SECONDS = 0


@pytest.fixture
def books(xero_sandbox, xero_connection):
    pm, approver = people()
    return scene.open_books(xero_sandbox, xero_connection, pm=pm, approver=approver)


def accept(books, record):
    record_send(record=record, actor=books.pm)
    record_accept(record=fresh_record(record), actor=books.approver)
    return run_queued_exports()


def bills(books) -> list[dict]:
    return [b for b in books.records("Invoice") if b["Status"] != "DELETED"]


def test_the_registry_gives_a_xero_connection_its_connector(xero_connection):
    connector = connector_for(xero_connection)
    assert isinstance(connector, XeroConnector)
    assert connector.export_batch_size(SubcontractorInvoice) == 50
    assert connector.export_batch_size(Project) == 1
    assert connector.export_batch_size(CommitmentChangeOrder) == 1


def test_prerequisites_became_a_tracking_option_a_contact_and_a_purchase_order(books):
    (category,) = books.records("TrackingCategory")
    (option,) = [o for o in category["Options"] if o["Name"] == "P-1001 Riverside Clinic"]
    assert books.project.erp_id == option["TrackingOptionID"]
    (contact,) = [c for c in books.records("Contact") if c["Name"] == "Acme Drywall"]
    assert books.vendor.erp_id == contact["ContactID"]
    (order,) = books.records("PurchaseOrder")
    assert order["PurchaseOrderNumber"] == "SC-1001-004"
    assert order["Total"] == Decimal("71837.50") + Decimal("7183.75")  # GST 10 %
    line_ids = [line.erp_line_id for line in books.commitment.lines.order_by("position")]
    assert line_ids == [line["LineItemID"] for line in order["LineItems"]]
    painting = order["LineItems"][1]
    assert (painting["Quantity"], painting["UnitAmount"]) == (Decimal("1850"), Decimal("12.75"))
    assert all(
        line["Tracking"][0]["TrackingOptionID"] == books.project.erp_id
        for line in order["LineItems"]
    )


def test_an_accepted_invoice_becomes_a_bill_with_tracking_tax_and_retainage(books):
    invoice = new_invoice(books)

    assert accept(books, invoice) == ["synced"]

    (bill,) = bills(books)
    invoice = fresh_record(invoice)
    assert invoice.sync_status == SyncStatus.SYNCED and invoice.erp_id == bill["InvoiceID"]
    assert (bill["Type"], bill["InvoiceNumber"], bill["Status"]) == (
        "ACCPAY",
        "INV-2001",
        "AUTHORISED",
    )
    assert bill["Contact"]["ContactID"] == books.vendor.erp_id
    work, paint, retainage = bill["LineItems"]
    for line in (work, paint):
        assert line["Tracking"][0]["TrackingOptionID"] == books.project.erp_id
        assert line["TaxType"] == "INPUT" and line["AccountCode"] == "320"
    assert (work["LineAmount"], work["TaxAmount"]) == (Decimal("12062.50"), Decimal("1206.25"))
    assert retainage["LineAmount"] == Decimal("-1525.00")
    assert retainage["AccountCode"] == "830" and retainage["TaxType"] == "BASEXCLUDED"
    assert not retainage.get("Tracking")
    assert bill["SubTotal"] == Decimal("13724.95")
    assert bill["TotalTax"] == Decimal("1206.25") + Decimal("318.75")


def test_a_lost_answer_after_the_key_expired_links_the_bill_instead_of_a_second(books):
    invoice = new_invoice(books)
    books.sandbox.inject_fault("drop_after_commit", resource="invoices", method="PUT")
    record_send(record=invoice, actor=books.pm)
    record_accept(record=fresh_record(invoice), actor=books.approver)
    # Xero forgets the Idempotency-Key after 6 minutes: only the look-up can save us then.
    books.sandbox.expire_idempotency_keys()

    outcomes = run_queued_exports()

    assert outcomes[-1] == "synced"
    (bill,) = bills(books)
    assert fresh_record(invoice).erp_id == bill["InvoiceID"]


def test_a_bill_keyed_by_hand_under_the_number_with_other_lines_is_not_linked(books):
    invoice = new_invoice(books)
    with XeroClient(books.connection) as client:
        client.create(
            "Invoices",
            {
                "Invoices": [
                    {
                        "Type": "ACCPAY",
                        "Contact": {"ContactID": books.vendor.erp_id},
                        "InvoiceNumber": "INV-2001",
                        "LineItems": [
                            {"Description": "Other", "LineAmount": "10.00", "AccountCode": "429"}
                        ],
                    }
                ]
            },
            idempotency_key="by-hand",
        )

    assert accept(books, invoice) == ["failed"]

    assert "Xero already has a bill INV-2001 from contact 'Acme Drywall'" in (
        fresh_record(invoice).last_export_error
    )
    assert len(bills(books)) == 1


def test_a_change_order_appends_lines_keeping_every_line_id_and_sums_a_line_changed_twice(books):
    change_order = new_change_order(books)
    first_line = books.commitment.lines.get(position=1)
    for amount in ("500.00", "-125.50"):
        ChangeOrderLine.objects.create(
            change_order=change_order,
            commitment_line=first_line,
            cost_code=first_line.cost_code,
            description="More studs",
            amount=Decimal(amount),
        )
    (before,) = books.records("PurchaseOrder")

    assert accept(books, change_order) == ["synced"]

    (after,) = books.records("PurchaseOrder")
    kept = [line["LineItemID"] for line in before["LineItems"]]
    assert [line["LineItemID"] for line in after["LineItems"][:2]] == kept
    added = after["LineItems"][2:]
    assert [line["Description"] for line in added] == [
        "CCO 007: Lobby soffits",
        "CCO 007: Soffit lighting rough-in",
        "CCO 007: change to line 1, More studs",
    ]
    assert [line["LineAmount"] for line in added] == [
        Decimal("8425.00"),
        Decimal("1310.55"),
        Decimal("374.50"),
    ]
    twice = list(change_order.lines.filter(commitment_line=first_line))
    assert {line.erp_line_id for line in twice} == {added[2]["LineItemID"]}
    # Exporting again (a retry after a lost answer) links, adding nothing.
    connector = XeroConnector(books.connection)
    again = connector.export(fresh_record(change_order), idempotency_key="again")
    assert again.linked_existing
    assert len(books.records("PurchaseOrder")[0]["LineItems"]) == 5


def test_a_billed_purchase_order_is_explained_not_changed(books):
    with XeroClient(books.connection) as client:
        client.update(
            f"PurchaseOrders/{books.commitment.erp_id}",
            {"PurchaseOrders": [{"PurchaseOrderID": books.commitment.erp_id, "Status": "BILLED"}]},
            idempotency_key="mark-billed",
        )
    change_order = new_change_order(books)

    assert accept(books, change_order) == ["failed"]

    error = fresh_record(change_order).last_export_error
    assert "Purchase order SC-1001-004 is marked as billed in Xero" in error
    assert "Undo 'Mark as billed'" in error
    assert len(books.records("PurchaseOrder")[0]["LineItems"]) == 2


class BilledOnceRead(XeroClient):
    """Someone in Xero marks the purchase order as billed just after an export read it."""

    billed = False

    def find(self, resource: str, key: str) -> dict | None:
        found = super().find(resource, key)
        if resource == "PurchaseOrders" and found is not None and not self.billed:
            self.billed = True
            with XeroClient(self.connection) as someone:
                someone.update(
                    f"PurchaseOrders/{found['PurchaseOrderID']}",
                    {"PurchaseOrders": [{"Status": "BILLED"}]},
                    idempotency_key="billed-meanwhile",
                )
        return found


def test_a_purchase_order_billed_after_it_was_read_is_refused_by_xero_and_explained(books):
    change_order = new_change_order(books)
    record_send(record=change_order, actor=books.pm)
    record_accept(record=fresh_record(change_order), actor=books.approver)
    connector = XeroConnector(books.connection, client=BilledOnceRead(books.connection))

    with pytest.raises(PermanentERPError) as refused:
        connector.export(fresh_record(change_order), idempotency_key="billed-meanwhile-co")

    assert str(refused.value).startswith(
        "Purchase order SC-1001-004 is marked as billed in Xero, and Xero does not let a billed "
        "purchase order change. Undo 'Mark as billed' on it in Xero"
    )
    assert refused.value.code == "order_not_changeable" and refused.value.status == 400
    (order,) = books.records("PurchaseOrder")
    assert (order["Status"], len(order["LineItems"])) == ("BILLED", 2)


def test_the_look_up_of_an_option_whose_category_is_gone_finds_nothing(books):
    """A failed project's look-up names the category of its accept: deleted since, or in the
    organisation of an earlier connection, it holds nothing of ours (not an error to retry)."""
    project = make_project(number="P-1003", name="East Wing", members=[books.pm])
    connector = XeroConnector(books.connection)
    approved = connector.approved_document(project)
    elsewhere = ApprovedDocument(
        document=approved.document,
        identity={**approved.identity, "TrackingCategoryID": str(uuid.uuid4())},
    )

    assert connector.find_exported(project, elsewhere) is None


def test_a_full_tracking_category_is_refused_saying_how_to_make_room(books):
    books.sandbox.set_max_active_options(1)
    project = make_project(number="P-1002", name="North Annex", members=[books.pm])

    assert accept(books, project) == ["failed"]

    error = fresh_record(project).last_export_error
    assert "already has as many active options as Xero allows" in error
    assert "archiving the option of a finished project" in error


def test_a_contact_of_another_business_under_the_name_is_not_linked(books):
    with XeroClient(books.connection) as client:
        client.create(
            "Contacts",
            {"Contacts": [{"Name": "Birch Electric", "EmailAddress": "office@other.example"}]},
            idempotency_key="by-hand-contact",
        )
    company = Company.objects.create(name="Birch Electric", email="ap@birch.example")

    assert accept(books, company) == ["failed"]

    assert "Xero already has a contact named 'Birch Electric'" in (
        fresh_record(company).last_export_error
    )


def test_a_contact_keyed_in_by_name_alone_is_linked(books):
    with XeroClient(books.connection) as client:
        made = client.create(
            "Contacts", {"Contacts": [{"Name": "Birch Electric"}]}, idempotency_key="by-name"
        )["Contacts"][0]
    company = Company.objects.create(name="Birch Electric", email="ap@birch.example")

    assert accept(books, company) == ["synced"]

    assert fresh_record(company).erp_id == made["ContactID"]


def test_posting_inside_xero_s_lock_dates_is_refused_at_send_and_at_export(books, xero_sandbox):
    invoice = new_invoice(books)
    connection = ERPConnection.objects.get(pk=books.connection.pk)
    connection.settings = {**connection.settings, "period_lock_date": "2026-06-30"}
    connection.save()

    problems = XeroConnector(connection).export_problems(fresh_record(invoice))

    assert problems == [
        "Xero's books are locked through 2026-06-30, so this invoice cannot post on 2026-05-31. "
        "Choose a later posting date, or have the lock date moved in Xero."
    ]
    # Moved in Xero after the last read: the export reads the organisation again first.
    connection.settings = {
        **connection.settings,
        "period_lock_date": "",
        "organisation_read_at": "",
    }
    connection.save()
    xero_sandbox.set_lock_dates(PeriodLockDate="2026-06-30")
    assert accept(books, invoice) == ["failed"]
    assert "locked through 2026-06-30" in fresh_record(invoice).last_export_error
    assert bills(books) == []


def test_a_record_in_another_currency_is_refused(books):
    invoice = new_invoice(books)
    books.commitment.__class__.objects.filter(pk=books.commitment.pk).update(currency="USD")
    problems = XeroConnector(books.connection).export_problems(fresh_record(invoice))
    assert any("in USD, but the Xero organisation keeps its books in AUD" in p for p in problems)


def test_the_decision_page_describes_the_bill_in_xero_s_words(books):
    invoice = new_invoice(books)
    described = XeroConnector(books.connection).describe(fresh_record(invoice))
    facts = described.facts()
    assert facts["Document"] == "Xero bill"
    assert facts["Contact"] == f"Acme Drywall (id {books.vendor.erp_id})"
    assert facts["Job"] == f"P-1001 Riverside Clinic (id {books.project.erp_id})"
    assert facts["Line 1 tax code"] == "INPUT"
    assert facts["Line 3 item or account"].startswith("account 830 (retainage)")
    assert "Line 3 job" not in facts
    assert facts["Total"] == "13724.95"
    assert "Xero adds the tax" in facts["Tax"]


def test_accept_asks_to_link_or_create_contacts_and_tracking_options(books):
    connector = XeroConnector(books.connection)
    assert connector.accept_questions(Company).link_noun == "contact"
    assert connector.accept_questions(Project).link_noun == "tracking option"
    assert not connector.accept_questions(CommitmentChangeOrder).link_or_create


def test_a_failed_bill_is_retried_by_looking_it_up_first(books):
    invoice = new_invoice(books)
    books.sandbox.inject_fault("http_503", resource="invoices", method="PUT", count=3)
    assert accept(books, invoice)[-1] == "failed"
    assert bills(books) == []

    record_retry(record=fresh_record(invoice), actor=books.approver)
    assert run_queued_exports()[-1] == "synced"
    assert len(bills(books)) == 1
    assert date.fromisoformat(bills(books)[0]["DateString"][:10]) == date(2026, 5, 31)


def test_an_admin_action_archives_the_option_of_a_closed_project_making_room(books, client):
    books.sandbox.set_max_active_options(1)
    client.force_login(make_user(role="administrator"))
    changelist = reverse("admin:approvals_project_changelist") + "?queue=all"
    action = {"action": "archive_tracking_options", "_selected_action": [books.project.pk]}

    still_open = client.post(changelist, action, follow=True)
    assert "is still open, so its tracking option stays active" in still_open.content.decode()

    Project.objects.filter(pk=books.project.pk).update(is_active=False)
    done = client.post(changelist, action, follow=True)

    assert "is archived in Xero" in done.content.decode()
    (category,) = books.records("TrackingCategory")
    assert [o["Status"] for o in category["Options"]] == ["ARCHIVED"]
    # The room made is used: the next project becomes an option.
    project = make_project(number="P-1002", name="North Annex", members=[books.pm])
    assert accept(books, project) == ["synced"]


def test_the_send_check_names_xero_s_own_things(books):
    stranger = Company.objects.create(name="Pacific Plumbing Co")
    commitment = new_commitment(books.project, stranger, books.cost_codes, number="SC-1001-009")

    problems = send_problems(commitment)

    assert "Vendor 'Pacific Plumbing Co' is not linked to a Xero contact." in problems


def test_without_purchase_orders_an_invoice_is_billed_without_its_commitment(books):
    connection = ERPConnection.objects.get(pk=books.connection.pk)
    connection.settings = {**connection.settings, "purchase_orders": False}
    connection.save()
    commitment = new_commitment(books.project, books.vendor, books.cost_codes, number="SC-1001-010")
    Commitment.objects.filter(pk=commitment.pk).update(currency="AUD")
    assert any("keeps no purchase orders" in p for p in send_problems(commitment))
    books.commitment = fresh_record(commitment)
    invoice = new_invoice(books, number="INV-3001")

    assert accept(books, invoice) == ["synced"]

    [bill] = [b for b in bills(books) if b["InvoiceNumber"] == "INV-3001"]
    assert fresh_record(invoice).erp_id == bill["InvoiceID"]
    assert fresh_record(commitment).erp_id == ""


def test_a_cost_code_s_own_tax_rate_is_chosen_on_the_connection_page_and_used(books, client):
    admin_user = make_user(role="administrator")
    client.force_login(admin_user)
    painting = books.cost_codes["Painting"]
    page = client.get(reverse("xero:connection")).content.decode()
    assert f'name="tax_type_{painting.pk}"' in page
    settings = books.connection.settings
    form = {
        "tracking_category_id": settings["tracking_category_id"],
        **{
            name: settings[name]
            for name in (
                "retainage_account_code",
                "item_account_code",
                "tax_type",
                "retainage_tax_type",
                "line_amount_types",
                "bill_status",
            )
        },
        "purchase_orders": "on",
        f"tax_type_{painting.pk}": "EXEMPTEXPENSES",
    }
    client.post(reverse("xero:choices"), form)
    invoice = new_invoice(books)

    assert accept(books, invoice) == ["synced"]

    (bill,) = bills(books)
    work, paint, _retainage = bill["LineItems"]
    assert (work["TaxType"], paint["TaxType"]) == ("INPUT", "EXEMPTEXPENSES")
    assert paint["TaxAmount"] == Decimal("0.00")
