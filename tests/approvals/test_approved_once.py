"""What the accountant approved is what reaches the books, once: the three ways it broke.

Each test plays people through the public surface (the project manager's pages, the admin's
decision pages, the export worker) against the QuickBooks Online sandbox over a real socket:
(1) a failed record edited, then retried; (2) an accept page left open while the record was
retrieved, edited and resent; (3) a document stored in QuickBooks whose answer was lost, the
record failed, then renamed or renumbered and retried.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from approvals.models import AuditEvent, Commitment, Company, SubcontractorInvoice
from approvals.states import Action, Note, SyncStatus
from approvals.views.records import record_kind
from integrations.quickbooks_online import mapping
from tests.approvals.admin.helpers import decision_url, messages_of, run_queued_exports
from tests.factories import make_user
from tests.html_forms import form_values
from tests.reliability import scene
from tests.reliability.sandbox_faults import WriteFault, add_fault

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(qbo_sandbox, qbo_sandbox_server, qbo_settings, settings):
    """QuickBooks with our project, vendor and subcontract; retries due at once (the client
    makes one attempt per try, so a lost answer stays lost)."""
    settings.EXPORT_MAX_TRIES = 3
    settings.EXPORT_RETRY_BASE_SECONDS = 0
    settings.EXPORT_RETRY_MAX_SECONDS = 0
    pm, approver = scene.people()
    books = scene.open_books(qbo_sandbox, pm=pm, approver=approver, tag=801)
    books.server = qbo_sandbox_server
    return books


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def act(client: Client, record, action: str):
    url = reverse("approvals:record_action", args=[record_kind(record), record.pk, action])
    return client.post(url, follow=True)


def open_decision(client: Client, record, decision: str) -> dict:
    """The decision page as the accountant opens it: what its form would post."""
    page = client.get(decision_url(type(record), decision, [record]))
    assert page.status_code == 200
    return form_values(page.content.decode(), containing="ids")


def edit_url(record) -> str:
    names = {
        Commitment: "approvals:commitment_edit",
        SubcontractorInvoice: "approvals:invoice_edit",
        Company: "approvals:company_edit",
    }
    return reverse(names[type(record)], args=[record.pk])


def open_edit_page(client: Client, record) -> dict:
    page = client.get(edit_url(record))
    assert page.status_code == 200
    first_field = {Commitment: "title", SubcontractorInvoice: "number", Company: "name"}
    return form_values(page.content.decode(), containing=first_field[type(record)])


def reactivate(books, entity: str, entity_id: str) -> None:
    scene.set_active(books.connection, entity, entity_id, active=True)


def fresh(record):
    record.refresh_from_db()
    return record


def history(record) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=record.pk, content_type__model=record._meta.model_name)
        .order_by("created_at", "pk")
        .values_list("action", flat=True)
    )


# (1) A failed record edited, then retried ------------------------------------------------------


def test_a_failed_purchase_order_cannot_be_edited_so_the_retry_sends_what_was_approved(books):
    pm, approver = signed_in(books.pm), signed_in(books.approver)
    commitment = scene.new_commitment(
        books.project, books.vendor, books.cost_codes, number="SC-3001"
    )
    left_open = open_edit_page(pm, commitment)  # the project manager keeps this tab open

    act(pm, commitment, "send")
    approver.post(decision_url(Commitment, "accept"), open_decision(approver, commitment, "accept"))
    painting = books.cost_codes["Painting"].erp_id
    scene.deactivate(books.connection, "Item", painting)
    run_queued_exports()
    assert fresh(commitment).sync_status == SyncStatus.EXPORT_FAILED

    # Ten times the amount, posted from the tab opened before the send, fields and lines alike.
    tampered = {**left_open, "lines-0-amount": ["482500.00"], "title": ["Framing, revised"]}
    response = pm.post(edit_url(commitment), tampered)
    assert response.status_code == 200
    assert "cannot be changed" in response.content.decode()
    assert fresh(commitment).title == "Framing and drywall"
    assert [line.amount for line in commitment.lines.order_by("position")] == [
        Decimal("48250.00"),
        Decimal("23587.50"),
    ]

    reactivate(books, "Item", painting)
    approver.post(decision_url(Commitment, "retry"), open_decision(approver, commitment, "retry"))
    assert run_queued_exports() == ["synced"]

    orders = [d for d in books.entities("PurchaseOrder") if d.get("DocNumber") == "SC-3001"]
    assert [mapping.as_decimal(order["TotalAmt"]) for order in orders] == [Decimal("71837.50")]
    assert Note.EDIT not in history(commitment)


def test_a_shared_company_that_failed_cannot_be_edited_by_another_project_manager(books):
    company = scene.new_company("Hillcrest Glazing")
    sender, other_pm = books.pm, make_user(role="project_manager", username="olga")
    left_open = open_edit_page(signed_in(other_pm), company)
    act(signed_in(sender), company, "send")
    approver = signed_in(books.approver)
    approver.post(decision_url(Company, "accept"), open_decision(approver, company, "accept"))
    add_fault(books.server, WriteFault("xml_error", entity="Vendor"))
    run_queued_exports()
    assert fresh(company).sync_status == SyncStatus.EXPORT_FAILED

    changed = {
        **left_open,
        "email": ["pay-me@elsewhere.example"],
        "tax_id": ["99-9999999"],
        "address_line1": ["1 Elsewhere Rd"],
    }
    response = signed_in(other_pm).post(edit_url(company), changed)
    assert "cannot be changed" in response.content.decode()
    company = fresh(company)
    assert (company.email, company.tax_id) == ("billing@riverside-drywall.example", "")

    approver.post(decision_url(Company, "retry"), open_decision(approver, company, "retry"))
    assert run_queued_exports() == ["synced"]
    (vendor,) = [v for v in books.entities("Vendor") if v["DisplayName"] == "Hillcrest Glazing"]
    assert vendor["PrimaryEmailAddr"]["Address"] == "billing@riverside-drywall.example"
    assert "TaxIdentifier" not in vendor


# (2) An accept page left open while the record changed -----------------------------------------


def test_an_accept_page_left_open_does_not_accept_an_invoice_edited_since(books):
    pm, approver = signed_in(books.pm), signed_in(books.approver)
    invoice = scene.new_invoice(books, number="INV-3002")
    act(pm, invoice, "send")
    accept_page = open_decision(approver, invoice, "accept")

    act(pm, invoice, "retrieve")
    edited = {**open_edit_page(pm, invoice), "lines-0-work_completed": ["20000.00"]}
    assert pm.post(edit_url(invoice), edited).status_code == 302
    act(pm, invoice, "send")
    assert fresh(invoice).sync_status == SyncStatus.READY_TO_EXPORT

    response = approver.post(decision_url(SubcontractorInvoice, "accept"), accept_page, follow=True)

    said = " ".join(messages_of(response))
    assert "changed after you opened this page" in said
    assert "Pat edited it" in said
    assert fresh(invoice).sync_status == SyncStatus.READY_TO_EXPORT
    assert run_queued_exports() == []
    assert [b for b in books.entities("Bill") if b.get("DocNumber") == "INV-3002"] == []

    # Reviewed again, the new amount is what is accepted, and the history says who changed what.
    again = open_decision(approver, invoice, "accept")
    approver.post(decision_url(SubcontractorInvoice, "accept"), again)
    assert run_queued_exports() == ["synced"]
    edit = AuditEvent.objects.get(object_id=invoice.pk, action=Note.EDIT)
    assert edit.actor == books.pm
    assert [change["field"] for change in edit.changes] == ["Line 1 (801-100 Gypsum board)"]
    assert "work completed $12,062.50" in edit.changes[0]["old"]
    assert "work completed $20,000.00" in edit.changes[0]["new"]


# (3) A stored document whose answer was lost, then renumbered or renamed -----------------------


def lose_the_answer_then_fail(books, entity: str) -> None:
    """The create is stored but its answer is lost; every later look-up meets a server error,
    until the export gives up. The look-up of the failed attempt stays queued."""
    add_fault(books.server, WriteFault("drop_after_commit", entity=entity))
    outcomes = []
    while outcomes[-1:] != ["failed"]:
        task = DBTaskResult.objects.ready().filter(queue_name="exports").first()
        assert task is not None, f"the export never failed: {outcomes}"
        task.claim("test")
        outcomes.append(task.task.call(*task.args_kwargs["args"], **task.args_kwargs["kwargs"]))
        task.set_successful(outcomes[-1])
        if outcomes == ["retry scheduled"]:
            books.sandbox.inject_fault("http_503", count=100)
    books.sandbox.clear_faults()


def test_a_lost_bill_renumbered_and_retried_is_not_billed_twice(books):
    pm, approver = signed_in(books.pm), signed_in(books.approver)
    invoice = scene.new_invoice(books, number="INV-3003")
    left_open = open_edit_page(pm, invoice)
    act(pm, invoice, "send")
    approver.post(
        decision_url(SubcontractorInvoice, "accept"), open_decision(approver, invoice, "accept")
    )
    lose_the_answer_then_fail(books, "Bill")
    assert fresh(invoice).sync_status == SyncStatus.EXPORT_FAILED

    response = pm.post(edit_url(invoice), {**left_open, "number": ["INV-3003-B"]})
    assert "cannot be changed" in response.content.decode()
    approver.post(
        decision_url(SubcontractorInvoice, "retry"), open_decision(approver, invoice, "retry")
    )
    run_queued_exports()

    bills = [b for b in books.entities("Bill") if b["VendorRef"]["value"] == books.vendor.erp_id]
    assert [b["DocNumber"] for b in bills] == ["INV-3003"]
    assert fresh(invoice).erp_id == bills[0]["Id"]


def test_a_failed_bill_that_quickbooks_kept_is_linked_by_the_look_up_not_retrieved(books):
    pm, approver = signed_in(books.pm), signed_in(books.approver)
    invoice = scene.new_invoice(books, number="INV-3004")
    act(pm, invoice, "send")
    approver.post(
        decision_url(SubcontractorInvoice, "accept"), open_decision(approver, invoice, "accept")
    )
    lose_the_answer_then_fail(books, "Bill")

    response = act(pm, invoice, "retrieve")

    said = " ".join(messages_of(response))
    assert "was not retrieved: QuickBooks Online is being asked whether its last export" in said
    assert fresh(invoice).sync_status == SyncStatus.EXPORT_FAILED
    assert run_queued_exports() == ["linked"]
    invoice = fresh(invoice)
    (bill,) = [b for b in books.entities("Bill") if b.get("DocNumber") == "INV-3004"]
    assert (invoice.sync_status, invoice.erp_id) == (SyncStatus.SYNCED, bill["Id"])
    assert history(invoice)[-1] == Action.FOUND_IN_ERP


def test_a_lost_vendor_renamed_and_retrieved_is_linked_not_created_again(books):
    pm, approver = signed_in(books.pm), signed_in(books.approver)
    company = scene.new_company("Summit Steel Erectors")
    left_open = open_edit_page(pm, company)
    act(pm, company, "send")
    approver.post(decision_url(Company, "accept"), open_decision(approver, company, "accept"))
    lose_the_answer_then_fail(books, "Vendor")

    response = pm.post(edit_url(company), {**left_open, "name": ["Summit Steel Erectors Inc"]})
    assert "cannot be changed" in response.content.decode()
    act(pm, company, "retrieve")
    assert fresh(company).sync_status == SyncStatus.EXPORT_FAILED
    assert run_queued_exports() == ["linked"]

    vendors = [v for v in books.entities("Vendor") if v["DisplayName"].startswith("Summit Steel")]
    assert [v["DisplayName"] for v in vendors] == ["Summit Steel Erectors"]
    company = fresh(company)
    assert (company.sync_status, company.erp_id) == (SyncStatus.SYNCED, vendors[0]["Id"])


def test_rejecting_a_failed_record_looks_it_up_first_and_rejects_when_nothing_is_there(books):
    pm, approver = signed_in(books.pm), signed_in(books.approver)
    invoice = scene.new_invoice(books, number="INV-3005")
    act(pm, invoice, "send")
    approver.post(
        decision_url(SubcontractorInvoice, "accept"), open_decision(approver, invoice, "accept")
    )
    scene.deactivate(books.connection, "Item", books.cost_codes["Gypsum board"].erp_id)
    run_queued_exports()
    assert fresh(invoice).sync_status == SyncStatus.EXPORT_FAILED

    page = open_decision(approver, invoice, "reject")
    response = approver.post(
        decision_url(SubcontractorInvoice, "reject"),
        {**page, "reason": "Line 1 uses an item we retired; bill it on 09-2900 instead."},
        follow=True,
    )

    assert "rejected and sent back" in " ".join(messages_of(response))
    invoice = fresh(invoice)
    assert invoice.sync_status == SyncStatus.REJECTED
    assert invoice.export_request_key == ""
    # Corrected now, it is sent and reviewed again from the start.
    edited = {**open_edit_page(pm, invoice), "number": ["INV-3005-R"]}
    assert pm.post(edit_url(invoice), edited).status_code == 302
    assert fresh(invoice).number == "INV-3005-R"


# Found by an adversarial walk of the demo ------------------------------------------------------


def test_an_invoice_reusing_a_billed_number_fails_with_a_reason_and_can_be_retrieved(books):
    pm, approver = signed_in(books.pm), signed_in(books.approver)
    first = scene.new_invoice(books, number="KC-1041")
    act(pm, first, "send")
    approver.post(
        decision_url(SubcontractorInvoice, "accept"), open_decision(approver, first, "accept")
    )
    assert run_queued_exports() == ["synced"]

    for lines_like_the_first in (False, True):
        again = scene.new_invoice(books, number="KC-1041")
        if not lines_like_the_first:
            again.lines.update(work_completed=Decimal("1000.00"), retainage_withheld=0)
        act(pm, again, "send")
        page = open_decision(approver, again, "accept")
        page[f"confirm_duplicate_{again.pk}"] = ["on"]  # the accountant accepts anyway
        approver.post(decision_url(SubcontractorInvoice, "accept"), page)
        assert run_queued_exports() == ["failed", "nothing in the ERP"]

        again = fresh(again)
        assert again.sync_status == SyncStatus.EXPORT_FAILED
        assert "already belongs to invoice KC-1041 (Acme Drywall) here" in again.last_export_error
        said = " ".join(messages_of(act(pm, again, "retrieve")))
        assert "was retrieved" in said, said
        assert fresh(again).sync_status == SyncStatus.NOT_SENT

    bills = [b for b in books.entities("Bill") if b.get("DocNumber") == "KC-1041"]
    assert [b["Id"] for b in bills] == [fresh(first).erp_id]


def test_a_title_with_a_line_break_is_rejected_and_emailed_on_one_line(
    books, mailoutbox, django_capture_on_commit_callbacks
):
    pm, approver = signed_in(books.pm), signed_in(books.approver)
    commitment = scene.new_commitment(
        books.project, books.vendor, books.cost_codes, number="SC-3009"
    )
    type(commitment).objects.filter(pk=commitment.pk).update(title="Switchgear\r\nand lighting")
    act(pm, commitment, "send")
    page = open_decision(approver, commitment, "reject")

    with django_capture_on_commit_callbacks(execute=True):
        response = approver.post(
            decision_url(Commitment, "reject"), {**page, "reason": "Split it\r\nin two."}
        )

    assert response.status_code == 302
    assert fresh(commitment).sync_status == SyncStatus.REJECTED
    (email,) = mailoutbox
    assert email.subject == "Rejected: commitment SC-3009 'Switchgear and lighting'"
