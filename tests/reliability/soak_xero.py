"""What the soak asks of Xero: its sandbox's faults drawn at random, its workers pointed at the
sandbox, and its documents read back (soak.py runs the office; test_soak.py the soak)."""

from __future__ import annotations

import random
import threading
from collections import Counter

from integrations.xero import mapping
from integrations.xero.sandbox.chaos import FaultRule
from tests import worker_processes
from tests.reliability import matrix_xero
from tests.reliability.soak import FAST_RETRIES, ErpSoak

# Share of all accounting requests answered with each fault (about 11% in all), as for
# QuickBooks Online; a 429 is for the concurrent limit (Xero asks for a second's wait; its
# minute limit asks for a minute, which a soak of minutes would spend waiting).
FAULT_SHARES = {
    "http_500": 0.025,
    "http_503": 0.02,
    "throttle": 0.02,
    "drop_after_commit": 0.02,
    "malformed_body": 0.015,
    "timeout": 0.005,
}
HELD_SECONDS = 1.5
ENDLESS = 10**9
WORKER_SETTINGS = {
    **FAST_RETRIES,
    "XERO_REQUESTS_PER_MINUTE": "100000",
    "XERO_REQUESTS_PER_DAY": "1000000",
    "XERO_MAX_CONCURRENT": "30",
    "XERO_RATE_WINDOW_SECONDS": "0.3",
    "XERO_TIMEOUT_SECONDS": "1.0",
    "XERO_CONNECT_TIMEOUT_SECONDS": "1.0",
}


class RandomFault(FaultRule):
    """`kind` on each accounting request with probability `share`."""

    def __init__(self, kind: str, *, share: float, rng: random.Random):
        super().__init__(
            kind=kind,
            count=ENDLESS,
            seconds=HELD_SECONDS if kind == "timeout" else None,
            problem="concurrent" if kind == "throttle" else "minute",
        )
        self.share = share
        self.rng = rng
        self._lock = threading.Lock()

    def matches(self, method: str, resource: str) -> bool:
        with self._lock:
            return self.rng.random() < self.share


def add_random_faults(server, rng: random.Random) -> None:
    for kind, share in FAULT_SHARES.items():
        server.sandbox.faults.add(RandomFault(kind, share=share, rng=rng))


def without_limits(sandbox) -> None:
    sandbox.set_limits(per_minute=100_000, per_day=1_000_000, concurrent=30, app_per_minute=100_000)


def documents_by_record(books) -> dict[str, dict[str, list[dict]]]:
    """Xero's live contacts, purchase orders and bills, keyed by the name or number we give."""
    found: dict[str, dict[str, list[dict]]] = {"company": {}, "commitment": {}, "invoice": {}}
    for contact in books.records("Contact"):
        found["company"].setdefault(contact["Name"], []).append(contact)
    for order in books.records("PurchaseOrder"):
        if order["Status"] != "DELETED":
            found["commitment"].setdefault(order["PurchaseOrderNumber"], []).append(order)
    for bill in books.records("Invoice"):
        if bill["Status"] not in ("DELETED", "VOIDED"):
            found["invoice"].setdefault(bill["InvoiceNumber"], []).append(bill)
    return found


ID_FIELDS = {"company": "ContactID", "commitment": "PurchaseOrderID", "invoice": "InvoiceID"}


def faults_fired(request_log: list[dict]) -> Counter:
    return Counter(kind for entry in request_log for kind in entry.get("faults") or [])


XERO = ErpSoak(
    name="Xero",
    sandbox_fixture="xero_sandbox",
    server_fixture="xero_sandbox_server",
    settings_fixture="fast_xero_exports",
    fault_shares=FAULT_SHARES,
    worker_environment=lambda sandbox: worker_processes.xero_worker_environment(
        sandbox, WORKER_SETTINGS
    ),
    open_books=matrix_xero.open_books,
    without_limits=without_limits,
    add_random_faults=add_random_faults,
    documents_by_record=documents_by_record,
    document_id=lambda kind, document: str(document[ID_FIELDS[kind]]),
    document_total=mapping.lines_total,
    api_requests=matrix_xero.api_requests,
    faults_fired=faults_fired,
)
