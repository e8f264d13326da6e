"""What the accountant approved is what reaches the books, once: the three ways it broke.

Each test plays people through the public surface (the project manager's pages, the admin's
decision pages, the export worker) against the scripted ERP (tests/approvals/scripted_connector.py):
(1) a failed record edited, then retried; (2) an accept page left open while the record was
retrieved, edited and resent; (3) a document stored in the ERP whose answer was lost, the record
failed, then renamed or renumbered and retried or retrieved. The same against QuickBooks Online's
sandbox, where its connector looks the lost document up, is in
tests/integrations/quickbooks_online/test_approved_once.py.
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
from integrations.base import ExportResult, PermanentERPError, TransientERPError
from tests import records
from tests.approvals.admin.helpers import decision_url, messages_of, run_queued_exports
from tests.factories import make_user
from tests.html_forms import form_values

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _retries_due_at_once(settings):
    settings.EXPORT_MAX_TRIES = 3
    settings.EXPORT_RETRY_BASE_SECONDS = 0
    settings.EXPORT_RETRY_MAX_SECONDS = 0


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


def test_a_failed_purchase_order_cannot_be_edited_so_the_retry_sends_what_was_approved(
    books, scripted_connector
):
    pm, approver = signed_in(books.pm), signed_in(books.approver)
    commitment = records.new_commitment(
        books.project, books.vendor, books.cost_codes, number="SC-3001"
    )
    left_open = open_edit_page(pm, commitment)  # the project manager keeps this tab open
    scripted_connector.SCRIPT += [
        PermanentERPError("Item 'Painting' is inactive in the ERP."),
        ExportResult(erp_id="po-3001"),
    ]

    act(pm, commitment, "send")
    approver.post(decision_url(Commitment, "accept"), open_decision(approver, commitment, "accept"))
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

    approver.post(decision_url(Commitment, "retry"), open_decision(approver, commitment, "retry"))
    assert run_queued_exports() == ["synced"]

    sent = scripted_connector.CALLS[-1]["record"]
    assert sent.title == "Framing and drywall"
    assert [line.amount for line in sent.lines.order_by("position")] == [
        Decimal("48250.00"),
        Decimal("23587.50"),
    ]
    assert fresh(commitment).erp_id == "po-3001"
    assert Note.EDIT not in history(commitment)


def test_a_shared_company_that_failed_cannot_be_edited_by_another_project_manager(
    books, scripted_connector
):
    company = records.new_company("Hillcrest Glazing")
    sender, other_pm = books.pm, make_user(role="project_manager", username="olga")
    left_open = open_edit_page(signed_in(other_pm), company)
    scripted_connector.SCRIPT += [
        PermanentERPError("The ERP refused the contact."),
        ExportResult(erp_id="vendor-2"),
    ]
    act(signed_in(sender), company, "send")
    approver = signed_in(books.approver)
    approver.post(decision_url(Company, "accept"), open_decision(approver, company, "accept"))
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
    sent = scripted_connector.CALLS[-1]["record"]
    assert (sent.email, sent.tax_id, sent.address_line1) == (
        "billing@riverside-drywall.example",
        "",
        "4100 Riverside Dr",
    )


# (2) An accept page left open while the record changed -----------------------------------------


def test_an_accept_page_left_open_does_not_accept_an_invoice_edited_since(
    books, scripted_connector
):
    pm, approver = signed_in(books.pm), signed_in(books.approver)
    invoice = records.new_invoice(books, number="INV-3002")
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
    assert scripted_connector.CALLS == []

    # Reviewed again, the new amount is what is accepted, and the history says who changed what.
    scripted_connector.SCRIPT.append(ExportResult(erp_id="bill-3002"))
    again = open_decision(approver, invoice, "accept")
    approver.post(decision_url(SubcontractorInvoice, "accept"), again)
    assert run_queued_exports() == ["synced"]
    edit = AuditEvent.objects.get(object_id=invoice.pk, action=Note.EDIT)
    assert edit.actor == books.pm
    assert [change["field"] for change in edit.changes] == ["Line 1 (801-100 Gypsum board)"]
    assert "work completed $12,062.50" in edit.changes[0]["old"]
    assert "work completed $20,000.00" in edit.changes[0]["new"]


# (3) A stored document whose answer was lost, then renumbered or renamed -----------------------


def lose_the_answer_then_fail(scripted_connector) -> None:
    """Every try of the export meets a transient error (the first because its answer was lost,
    the document stored all the same) until the export gives up. The look-up of the failed
    attempt stays queued."""
    scripted_connector.SCRIPT += [TransientERPError("No answer in time.")] * 3
    outcomes = []
    while outcomes[-1:] != ["failed"]:
        task = DBTaskResult.objects.ready().filter(queue_name="exports").first()
        assert task is not None, f"the export never failed: {outcomes}"
        task.claim("test")
        outcomes.append(task.task.call(*task.args_kwargs["args"], **task.args_kwargs["kwargs"]))
        task.set_successful(outcomes[-1])
    assert outcomes == ["retry scheduled", "retry scheduled", "failed"]


def test_a_lost_bill_renumbered_and_retried_is_not_billed_twice(books, scripted_connector):
    pm, approver = signed_in(books.pm), signed_in(books.approver)
    invoice = records.new_invoice(books, number="INV-3003")
    left_open = open_edit_page(pm, invoice)
    act(pm, invoice, "send")
    approver.post(
        decision_url(SubcontractorInvoice, "accept"), open_decision(approver, invoice, "accept")
    )
    lose_the_answer_then_fail(scripted_connector)
    assert fresh(invoice).sync_status == SyncStatus.EXPORT_FAILED

    response = pm.post(edit_url(invoice), {**left_open, "number": ["INV-3003-B"]})
    assert "cannot be changed" in response.content.decode()
    # The ERP holds the bill the lost answer was about: its connector links it, never makes a
    # second (the contract suite holds every connector to that).
    scripted_connector.SCRIPT.append(ExportResult(erp_id="bill-3003", linked_existing=True))
    approver.post(
        decision_url(SubcontractorInvoice, "retry"), open_decision(approver, invoice, "retry")
    )
    assert "synced" in run_queued_exports()

    # The retry sent the number approved, not the one typed since.
    assert [call["record"].number for call in scripted_connector.CALLS] == ["INV-3003"] * 4
    invoice = fresh(invoice)
    assert (invoice.sync_status, invoice.erp_id) == (SyncStatus.SYNCED, "bill-3003")


def test_a_failed_bill_the_erp_kept_is_linked_by_the_look_up_not_retrieved(
    books, scripted_connector
):
    pm, approver = signed_in(books.pm), signed_in(books.approver)
    invoice = records.new_invoice(books, number="INV-3004")
    act(pm, invoice, "send")
    approver.post(
        decision_url(SubcontractorInvoice, "accept"), open_decision(approver, invoice, "accept")
    )
    lose_the_answer_then_fail(scripted_connector)

    response = act(pm, invoice, "retrieve")

    said = " ".join(messages_of(response))
    assert "was not retrieved: Xero is being asked whether its last export" in said
    assert fresh(invoice).sync_status == SyncStatus.EXPORT_FAILED
    scripted_connector.FOUND.append(ExportResult(erp_id="bill-3004"))
    assert run_queued_exports() == ["linked"]
    invoice = fresh(invoice)
    assert (invoice.sync_status, invoice.erp_id) == (SyncStatus.SYNCED, "bill-3004")
    assert history(invoice)[-1] == Action.FOUND_IN_ERP


def test_a_lost_vendor_renamed_and_retrieved_is_linked_not_created_again(books, scripted_connector):
    pm, approver = signed_in(books.pm), signed_in(books.approver)
    company = records.new_company("Summit Steel Erectors")
    left_open = open_edit_page(pm, company)
    act(pm, company, "send")
    approver.post(decision_url(Company, "accept"), open_decision(approver, company, "accept"))
    lose_the_answer_then_fail(scripted_connector)

    response = pm.post(edit_url(company), {**left_open, "name": ["Summit Steel Erectors Inc"]})
    assert "cannot be changed" in response.content.decode()
    act(pm, company, "retrieve")
    assert fresh(company).sync_status == SyncStatus.EXPORT_FAILED
    scripted_connector.FOUND.append(ExportResult(erp_id="vendor-3"))
    assert run_queued_exports() == ["linked"]

    assert [approved.document["Name"] for approved in scripted_connector.LOOKED_UP] == [
        "Summit Steel Erectors"
    ]
    assert len(scripted_connector.CALLS) == 3
    company = fresh(company)
    assert (company.sync_status, company.erp_id) == (SyncStatus.SYNCED, "vendor-3")


def test_rejecting_a_failed_record_looks_it_up_first_and_rejects_when_nothing_is_there(
    books, scripted_connector
):
    pm, approver = signed_in(books.pm), signed_in(books.approver)
    invoice = records.new_invoice(books, number="INV-3005")
    scripted_connector.SCRIPT.append(PermanentERPError("Item 'Gypsum board' is inactive."))
    act(pm, invoice, "send")
    approver.post(
        decision_url(SubcontractorInvoice, "accept"), open_decision(approver, invoice, "accept")
    )
    assert run_queued_exports() == ["failed", "nothing in the ERP"]
    assert fresh(invoice).sync_status == SyncStatus.EXPORT_FAILED
    assert len(scripted_connector.LOOKED_UP) == 1

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


def test_a_title_with_a_line_break_is_rejected_and_emailed_on_one_line(
    books, mailoutbox, django_capture_on_commit_callbacks
):
    pm, approver = signed_in(books.pm), signed_in(books.approver)
    commitment = records.new_commitment(
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
