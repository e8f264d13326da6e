"""What the accountant approved reaches QuickBooks Online once, even when its answer was lost.

Each test plays people through the public surface (the project manager's pages, the admin's
decision pages, the export worker) against the QuickBooks Online sandbox over a real socket: a
document stored in QuickBooks whose answer was lost, the record failed, then renamed or
renumbered and retried or retrieved; and a bill number QuickBooks already holds. (The workflow's
side of each, with any ERP, is tested in tests/approvals/services/workflow/test_approved_once.py.)
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from approvals.models import AuditEvent, Commitment, Company, SubcontractorInvoice
from approvals.states import Action, SyncStatus
from approvals.views.records import record_kind
from tests.approvals.admin.helpers import decision_url, messages_of, run_queued_exports
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


def fresh(record):
    record.refresh_from_db()
    return record


def history(record) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=record.pk, content_type__model=record._meta.model_name)
        .order_by("created_at", "pk")
        .values_list("action", flat=True)
    )


# A stored document whose answer was lost, then renumbered or renamed ---------------------------


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


# A number QuickBooks already holds (found by an adversarial walk of the demo) -----------------


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
