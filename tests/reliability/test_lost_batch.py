"""The fault matrix's batch row: six invoices accepted together go to QuickBooks in one batch
request; QuickBooks stores the first two bills, then the answer never arrives. Afterwards each
invoice has exactly one bill, for the amount approved, and its own history says whether its
bill was found by the look-up or created by the next try."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from approvals.models import AuditEvent, SubcontractorInvoice
from approvals.services import record_send, records_accept_bulk
from approvals.states import Action, SyncStatus
from integrations.quickbooks_online import mapping
from tests.reliability import scene
from tests.reliability.results import RESULTS, LostBatchFigures
from tests.reliability.sandbox_faults import api_requests
from tests.reliability.worker import run_exports_until_settled, settled_request_log

pytestmark = pytest.mark.django_db(transaction=True)

INVOICES = 6
STORED_BEFORE_THE_LOSS = 2
LINKED = "Linked to an existing document in the ERP."


def invoice_of(books, n: int) -> SubcontractorInvoice:
    """An invoice of its own amount (no twin of the others), well within the lines' balances."""
    invoice = scene.new_invoice(books, number=f"INV-B{n}")
    invoice.lines.update(work_completed=Decimal(1000 + n), retainage_withheld=Decimal("100.00"))
    return invoice


def trail(record) -> list[tuple[str, str]]:
    events = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk
    ).order_by("created_at", "pk")
    return [(event.action, event.reason) for event in events]


def is_batch(request: dict) -> bool:
    return request["method"] == "POST" and request["path"].endswith("/batch")


def test_a_batch_answer_lost_after_quickbooks_stored_some_leaves_one_bill_per_invoice(
    qbo_sandbox, fast_exports, machine_noted
):
    pm, approver = scene.people()
    books = scene.open_books(qbo_sandbox, pm=pm, approver=approver, tag=913)
    invoices = [invoice_of(books, n) for n in range(1, INVOICES + 1)]
    for invoice in invoices:
        record_send(record=invoice, actor=books.pm)
    outcomes = records_accept_bulk(records=invoices, actor=books.approver)
    assert all(outcome.ok for outcome in outcomes), [outcome.message for outcome in outcomes]
    qbo_sandbox.clear_request_log()
    qbo_sandbox.inject_fault("drop_mid_batch", entity="batch", items=STORED_BEFORE_THE_LOSS)

    for invoice in invoices:
        run_exports_until_settled(invoice)
    log = settled_request_log(qbo_sandbox)

    settled = [scene.fresh_record(invoice) for invoice in invoices]
    bills = {
        invoice.number: [
            bill
            for bill in books.entities("Bill")
            if bill.get("DocNumber") == invoice.number
            and bill["VendorRef"]["value"] == books.vendor.erp_id
        ]
        for invoice in settled
    }
    batches = [request for request in api_requests(log) if is_batch(request)]
    RESULTS.lost_batch = LostBatchFigures(
        records=INVOICES,
        stored_before_the_loss=STORED_BEFORE_THE_LOSS,
        batch_requests=[request["items"] for request in batches],
        dropped=sum(1 for request in batches if request["dropped"]),
        statuses=[f"{invoice.number} {invoice.sync_status}" for invoice in settled],
        linked_by_look_up=sum(1 for invoice in settled if trail(invoice)[-1][1] == LINKED),
        documents_per_record=sorted({len(found) for found in bills.values()}),
        requests=len(api_requests(log)),
    )
    print(f"\nLost batch answer: {RESULTS.lost_batch}")
    # The batch carried all six; its answer was lost; the rest went in the next try.
    assert batches[0]["items"] == INVOICES and batches[0]["dropped"]
    for number, invoice in enumerate(settled):
        assert invoice.sync_status == SyncStatus.SYNCED, invoice.last_export_error
        (bill,) = bills[invoice.number]
        assert invoice.erp_id == bill["Id"]
        assert mapping.as_decimal(bill["TotalAmt"]) == invoice.totals().net
        assert invoice.totals().net == Decimal(2 * (1000 + number + 1) - 200)
        actions = [action for action, _ in trail(invoice)]
        assert actions == [Action.SEND, Action.ACCEPT, Action.EXPORT_SUCCEEDED]
        # The stored ones are found by their look-up; the others are created by a later try.
        assert trail(invoice)[-1][1] == (LINKED if number < STORED_BEFORE_THE_LOSS else "")
