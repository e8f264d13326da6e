"""QuickBooks hangs for five minutes on every request: the project manager sends invoices, the
accountant opens the accept page for six of them and accepts them; nothing waits on QuickBooks.
When it answers again, the queued exports leave exactly one bill per invoice, and each invoice
tells its own outcome (its status and its history), whether it went alone or in a batch."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from approvals.models import SubcontractorInvoice
from approvals.services import record_send
from approvals.services.importing.job_costs import job_costs_sync
from approvals.states import Action, SyncStatus, event_label
from tests.approvals.admin.helpers import decision_url, run_queued_exports
from tests.html_forms import form_values
from tests.reliability import scene
from tests.reliability.people import history
from tests.reliability.results import RESULTS, HangingERPFigures

pytestmark = pytest.mark.django_db(transaction=True)

HANG_SECONDS = 300
INVOICES = 6
LIMIT_SECONDS = 2.0


@pytest.fixture
def books(qbo_sandbox, fast_exports):
    pm, approver = scene.people()
    return scene.open_books(qbo_sandbox, pm=pm, approver=approver, tag=912)


def invoice_of(books, n: int) -> SubcontractorInvoice:
    """An invoice of its own amount (no twin of the others), well within the lines' balances."""
    invoice = scene.new_invoice(books, number=f"INV-H{n}")
    invoice.lines.update(work_completed=Decimal(1000 + n), retainage_withheld=Decimal("100.00"))
    return invoice


def key_bill(books, *, number: str, amount: str) -> dict:
    expense = next(a for a in books.entities("Account") if a.get("AccountType") == "Expense")
    return books.create_entity(
        "Bill",
        {
            "DocNumber": number,
            "TxnDate": "2026-05-31",
            "VendorRef": {"value": books.vendor.erp_id},
            "Line": [
                {
                    "Amount": amount,
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "AccountBasedExpenseLineDetail": {"AccountRef": {"value": expense["Id"]}},
                }
            ],
        },
    )


def test_nobody_waits_on_a_hanging_quickbooks_and_nothing_is_doubled(books, machine_noted):
    sandbox = books.sandbox
    invoices = [invoice_of(books, n) for n in range(1, INVOICES + 1)]
    # A bill keyed in QuickBooks itself for the first invoice's amount, in its billing period:
    # the duplicate check's catch, which the accountant confirms.
    keyed = key_bill(books, number="PAPER-1", amount="1802.00")
    job_costs_sync(connection=books.connection)
    accountant = Client()
    accountant.force_login(scene.fresh(books.approver))
    accountant.get(reverse("admin:index"))  # a served site has its admin and templates loaded
    sandbox.clear_request_log()
    sandbox.inject_fault("latency", seconds=HANG_SECONDS, count=1000)
    seconds: dict[str, float] = {}
    try:
        sends = []
        for invoice in invoices:
            started = time.monotonic()
            record_send(record=invoice, actor=scene.fresh(books.pm))
            sends.append(time.monotonic() - started)
        seconds[f"slowest of {INVOICES} sends"] = max(sends)

        started = time.monotonic()
        page = accountant.get(decision_url(SubcontractorInvoice, "accept", invoices))
        seconds[f"accept page for {INVOICES} invoices"] = time.monotonic() - started
        assert page.status_code == 200
        values = form_values(page.content.decode(), containing="ids")
        values[f"confirm_duplicate_{invoices[0].pk}"] = ["on"]
        started = time.monotonic()
        accepted = accountant.post(decision_url(SubcontractorInvoice, "accept"), values)
        seconds[f"accept {INVOICES} invoices"] = time.monotonic() - started
        assert accepted.status_code == 302
        during = len(sandbox.request_log())
    finally:
        sandbox.clear_faults()

    started = time.monotonic()
    run_queued_exports()
    recovered = time.monotonic() - started
    settled = {invoice.number: scene.fresh_record(invoice) for invoice in invoices}
    outcomes = [f"{number} {invoice.sync_status}" for number, invoice in settled.items()]
    exported = {
        number: history(invoice).count(event_label(Action.EXPORT_SUCCEEDED))
        for number, invoice in settled.items()
    }
    bills = [bill for bill in books.entities("Bill") if bill["Id"] != keyed["Id"]]
    per_invoice = {
        invoice.number: sum(1 for bill in bills if bill.get("DocNumber") == invoice.number)
        for invoice in invoices
    }
    RESULTS.hanging = HangingERPFigures(
        hang_seconds=HANG_SECONDS,
        seconds=seconds,
        requests_while_people_waited=during,
        flagged=SubcontractorInvoice.objects.get(pk=invoices[0].pk).duplicate_warning,
        statuses=outcomes,
        documents_per_record=sorted(set(per_invoice.values())),
        recovery_seconds=recovered,
    )
    print(f"\nQuickBooks hanging: {RESULTS.hanging}")
    assert during == 0
    assert all(took < LIMIT_SECONDS for took in seconds.values()), seconds
    assert "bill PAPER-1 in QuickBooks Online" in RESULTS.hanging.flagged
    assert all(invoice.sync_status == SyncStatus.SYNCED for invoice in settled.values()), outcomes
    assert set(exported.values()) == {1}, exported
    assert set(per_invoice.values()) == {1}
