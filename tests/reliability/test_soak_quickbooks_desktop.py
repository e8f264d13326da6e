"""The QuickBooks Desktop soak: for a bounded time, records are accepted continuously while the
Web Connector polls the live server from a thread of its own and the local QuickBooks Desktop
meets random faults (a lost answer, QuickBooks closed, a run stopped part way). At the end every
record is synced, once: exactly one document per record in the company file, and the bills add
up to the invoices to the cent.

QBD_SOAK_SECONDS sets its length (8 s in the normal suite, 60 s under `make reliability`),
QBD_SOAK_SEED repeats a draw of faults.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from decimal import Decimal

import pytest

from approvals.models import Commitment, Company, SubcontractorInvoice
from approvals.services import record_accept, record_send
from approvals.states import SyncStatus
from tests.approvals.admin.helpers import run_queued_exports
from tests.integrations.quickbooks_desktop.conftest import live_server  # noqa: F401
from tests.integrations.quickbooks_desktop.test_purchase_orders_and_bills import Books
from tests.records import new_commitment, new_company, new_invoice
from tests.reliability.results import RESULTS, DesktopSoakFigures
from tests.reliability.test_fault_matrix_quickbooks_desktop import (
    quickbooks,  # noqa: F401
    state_changes,
)

REPORTING = os.environ.get("RELIABILITY_REPORT") == "1"
SECONDS = float(os.environ.get("QBD_SOAK_SECONDS", "60" if REPORTING else "8"))
SEED = int(os.environ.get("QBD_SOAK_SEED", random.randrange(1_000_000)))
POLL_SECONDS = 0.2
FAULT_SHARE = 0.3  # of the polls that meet a fault
SETTLED = (SyncStatus.SYNCED, SyncStatus.EXPORT_FAILED)


class WebConnector(threading.Thread):
    """The Web Connector's Auto-Run: a run, a short wait, another run, until stopped; a share
    of the runs first arms a random fault."""

    def __init__(self, quickbooks, draw: random.Random):  # noqa: F811
        super().__init__(name="web-connector", daemon=True)
        self.quickbooks = quickbooks
        self.draw = draw
        self.stopping = threading.Event()
        self.faults: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.poll(faulty=self.draw.random() < FAULT_SHARE)
            self.stopping.wait(POLL_SECONDS)

    def poll(self, *, faulty: bool) -> None:
        if faulty:
            kind = self.draw.choice(("lost_answer", "quickbooks_closed", "interrupt"))
            self.quickbooks.fault(kind, after=self.draw.randint(1, 3))
            self.faults[kind] += 1
        self.outcomes[self.quickbooks.run()["outcome"]] += 1
        self.quickbooks.call("DELETE", "faults")  # a fault its run did not reach goes with it


def accept(books, record) -> None:
    record_send(record=record, actor=books.pm)
    # The soak's invoices bill the same amounts to the same vendor: the accountant has checked.
    confirm = {"confirm_duplicate": True} if isinstance(record, SubcontractorInvoice) else {}
    record_accept(record=record, actor=books.approver, **confirm)


def documents(quickbooks, kind: str, key: str) -> Counter:  # noqa: F811
    return Counter(document[key] for document in quickbooks.records(kind))


@pytest.mark.django_db(transaction=True)
def test_records_accepted_while_the_web_connector_polls_under_faults_end_synced_once(
    quickbooks,  # noqa: F811
):
    draw = random.Random(SEED)
    books = Books(quickbooks, retainage_item=True)
    accepted: dict[type, list] = {Company: [], Commitment: [], SubcontractorInvoice: []}
    web_connector = WebConnector(quickbooks, draw)
    web_connector.start()
    started = time.monotonic()
    number = 0
    try:
        while time.monotonic() - started < SECONDS:
            number += 1
            synced_orders = Commitment.objects.filter(
                pk__in=[c.pk for c in accepted[Commitment]], sync_status=SyncStatus.SYNCED
            ).exclude(invoices__isnull=False)
            choice = draw.choice(("company", "commitment", "invoice"))
            if choice == "invoice" and synced_orders.exists():
                books.commitment = synced_orders.first()
                record = new_invoice(books, number=f"INV-S{number}")
            elif choice == "company":
                record = new_company(f"Soak Glazing {number}")
                # Another firm altogether: no look-alike of the vendors added before it.
                Company.objects.filter(pk=record.pk).update(
                    email=f"office{number}@soak.example", phone=f"(503) 555-{number:04d}"
                )
                record.refresh_from_db()
            else:
                record = new_commitment(
                    books.project, books.company, books.cost_codes, number=f"SK-{number}"
                )
            accept(books, record)
            accepted[type(record)].append(record)
            run_queued_exports()
            time.sleep(draw.uniform(0, POLL_SECONDS))
    finally:
        web_connector.stopping.set()
        web_connector.join(timeout=60)
    quickbooks.call("DELETE", "faults")
    run_queued_exports()
    for _ in range(5):  # the runs after the soak: nothing is left waiting
        if quickbooks.run()["outcome"] == "none":
            break

    records = [type(r).objects.get(pk=r.pk) for kind in accepted.values() for r in kind]
    statuses = Counter(record.sync_status for record in records)
    assert statuses == {SyncStatus.SYNCED: len(records)}, [
        (str(r), r.sync_status, r.last_export_error) for r in records if r.sync_status != "synced"
    ]
    vendors = documents(quickbooks, "Vendor", "Name")
    orders = documents(quickbooks, "PurchaseOrder", "RefNumber")
    bills = documents(quickbooks, "Bill", "RefNumber")
    for record in accepted[Company]:
        assert vendors[record.name] == 1, record
    for record in accepted[Commitment]:
        assert orders[record.number] == 1, record
    for record in accepted[SubcontractorInvoice]:
        assert bills[record.number] == 1, record
    bills_total = sum(
        (Decimal(b["AmountDue"]) for b in quickbooks.records("Bill")), start=Decimal("0")
    )
    assert bills_total == sum(
        (i.totals().net for i in accepted[SubcontractorInvoice]), start=Decimal("0")
    )
    for record in records:
        assert len(state_changes(record)) == 4, state_changes(record)

    RESULTS.desktop_soak = DesktopSoakFigures(
        seed=SEED,
        seconds=time.monotonic() - started,
        accepted={kind.__name__: len(records) for kind, records in accepted.items()},
        synced=statuses[SyncStatus.SYNCED],
        faults_armed=dict(web_connector.faults),
        runs_by_outcome=dict(web_connector.outcomes),
        documents=sum(vendors[r.name] for r in accepted[Company])
        + sum(orders[r.number] for r in accepted[Commitment])
        + sum(bills[r.number] for r in accepted[SubcontractorInvoice]),
        bills_total=str(bills_total),
    )
    print(RESULTS.desktop_soak.summary())
