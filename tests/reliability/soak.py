"""The soak's side of the office: project managers keep sending new companies, commitments and
invoices and the accountant keeps accepting them, while the ERP misbehaves at random; and what
the soak asks of each ERP (an `ErpSoak`: QuickBooks Online's here, Xero's in soak_xero.py)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from approvals.models import (
    Commitment,
    CommitmentKind,
    CommitmentLine,
    CommitmentStatus,
    Company,
    InvoiceLine,
    InvoiceStatus,
    SubcontractorInvoice,
)
from approvals.schedule import revised_schedule
from approvals.services import WorkflowError, record_accept, record_send
from approvals.states import SyncStatus
from integrations.quickbooks_online import mapping
from tests import worker_processes
from tests.reliability import scene
from tests.reliability.sandbox_faults import RandomFault, add_fault, api_requests, faults_fired

# Share of all company API requests answered with each fault (about 11% in all). The held
# requests ("timeout") are rarer: each costs the client its whole read timeout.
FAULT_SHARES = {
    "http_500": 0.02,
    "http_503": 0.02,
    "throttle": 0.02,
    "drop_after_commit": 0.02,
    "malformed_body": 0.015,
    "timeout": 0.005,
    "xml_error": 0.003,
}
HELD_SECONDS = 1.5
KINDS = ("company", "commitment", "invoice")
CENT = Decimal("0.01")


def random_faults(rng: random.Random) -> list[RandomFault]:
    return [
        RandomFault(kind, share=share, rng=rng, seconds=HELD_SECONDS if kind == "timeout" else None)
        for kind, share in FAULT_SHARES.items()
    ]


class Office:
    """Creates, sends and accepts one record at a time; remembers what it accepted."""

    def __init__(self, books, rng: random.Random):
        self.books = books
        self.rng = rng
        self.number = 0
        self.accepted: dict[str, list] = {kind: [] for kind in KINDS}
        self.held_back = Counter()

    def next_record(self) -> None:
        self.number += 1
        kind = self.rng.choice(KINDS)
        vendors = [*self._synced(Company), self.books.vendor]
        commitments = [*self._synced(Commitment), self.books.commitment]
        record = {
            "company": self._company,
            "commitment": lambda: self._commitment(self.rng.choice(vendors)),
            "invoice": lambda: self._invoice(self.rng.choice(commitments)),
        }[kind]()
        try:
            record_send(record=record, actor=self.books.pm)
            record_accept(record=record, actor=self.books.approver)
        except WorkflowError as refusal:
            self.held_back[f"{kind}: {type(refusal).__name__}"] += 1
            return
        self.accepted[kind].append(record.pk)

    def _synced(self, model) -> list:
        pks = self.accepted["company" if model is Company else "commitment"]
        return list(model.objects.filter(pk__in=pks, sync_status=SyncStatus.SYNCED))

    def _money(self, low: int, high: int) -> Decimal:
        # The record number in the cents keeps every invoice's total apart from the others',
        # so none looks like a duplicate of another.
        return Decimal(self.rng.randint(low, high)) + (Decimal(self.number % 100) * CENT)

    def _company(self) -> Company:
        return Company.objects.create(
            name=f"Soak Subcontractor {self.number:05d} LLC",
            email=f"ap{self.number}@soak.example",
            city="Portland",
        )

    def _commitment(self, vendor: Company) -> Commitment:
        commitment = Commitment.objects.create(
            project=self.books.project,
            vendor=vendor,
            kind=CommitmentKind.SUBCONTRACT,
            number=f"SC-{self.number:05d}",
            title=f"Soak package {self.number}",
            status=CommitmentStatus.APPROVED,
            default_retainage_percent=Decimal("10.00"),
            # In the currency the ERP keeps its books in, as the scene's subcontract is.
            currency=self.books.commitment.currency,
        )
        codes = list(self.books.cost_codes.values())
        for position in range(1, self.rng.randint(1, 3) + 1):
            quantity = Decimal(self.rng.randint(1, 400))
            unit_cost = self._money(5, 90)
            CommitmentLine.objects.create(
                commitment=commitment,
                position=position,
                cost_code=self.rng.choice(codes),
                description=f"Scope {position}",
                quantity=quantity,
                unit_cost=unit_cost,
                amount=(quantity * unit_cost).quantize(CENT),
            )
        return commitment

    def _invoice(self, commitment: Commitment) -> SubcontractorInvoice:
        start = date(2026, 1, 1) + timedelta(days=self.number)
        invoice = SubcontractorInvoice.objects.create(
            commitment=commitment,
            number=f"INV-{self.number:05d}",
            billing_date=start + timedelta(days=27),
            period_start=start,
            period_end=start + timedelta(days=27),
            status=InvoiceStatus.APPROVED,
        )
        # A pay application bills part of what each line has left, never past its balance.
        for line in revised_schedule(commitment):
            share = Decimal(self.rng.randint(5, 30)) / 100
            work = min((line.balance_before * share).quantize(CENT), self._money(100, 5000))
            if work <= 0:
                continue
            InvoiceLine.objects.create(
                invoice=invoice,
                commitment_line=line.commitment_line,
                work_completed=work,
                retainage_withheld=(work / 10).quantize(CENT),
            )
        return invoice


# What the soak asks of each ERP ------------------------------------------------------------------

SCENE_DOCUMENTS = {"company": 1, "commitment": 1, "invoice": 0}  # the scene's vendor and order


@dataclass(frozen=True)
class ErpSoak:
    name: str
    sandbox_fixture: str
    server_fixture: str
    settings_fixture: str
    fault_shares: dict[str, float]
    worker_environment: Callable[[object], dict[str, str]]  # (sandbox) -> the workers' env
    open_books: Callable[..., object]  # (sandbox, *, pm, approver, tag) -> the soak's books
    without_limits: Callable[[object], None]  # lift the sandbox's own rate limits
    add_random_faults: Callable[[object, random.Random], None]  # (server, rng)
    # kind -> our name or number -> the ERP's live documents under it (ours and the scene's)
    documents_by_record: Callable[[object], dict[str, dict[str, list[dict]]]]
    document_id: Callable[[str, dict], str]
    document_total: Callable[[dict], Decimal]  # the sum of its lines, before any tax
    api_requests: Callable[[list[dict]], list[dict]]
    faults_fired: Callable[[list[dict]], Counter]


# The workers' retries, fast, whatever the ERP.
FAST_RETRIES = {
    "EXPORT_MAX_TRIES": "4",
    "EXPORT_RETRY_BASE_SECONDS": "0.1",
    "EXPORT_RETRY_MAX_SECONDS": "0.5",
}
QBO_WORKER_SETTINGS = {
    **FAST_RETRIES,
    "QBO_REQUESTS_PER_MINUTE": "100000",
    "QBO_MAX_CONCURRENT": "30",
    "QBO_RATE_WINDOW_SECONDS": "0.3",
    "QBO_TIMEOUT_SECONDS": "1.0",
    "QBO_CONNECT_TIMEOUT_SECONDS": "1.0",
}


def _qbo_documents(books) -> dict[str, dict[str, list[dict]]]:
    """QuickBooks' documents of each kind, keyed by the name or number we give them."""
    found: dict[str, dict[str, list[dict]]] = {}
    for kind, entity, key in (
        ("company", "Vendor", "DisplayName"),
        ("commitment", "PurchaseOrder", "DocNumber"),
        ("invoice", "Bill", "DocNumber"),
    ):
        found[kind] = {}
        for document in books.entities(entity):
            found[kind].setdefault(document.get(key), []).append(document)
    return found


def _qbo_random_faults(server, rng: random.Random) -> None:
    for rule in random_faults(rng):
        add_fault(server, rule)


QUICKBOOKS_ONLINE = ErpSoak(
    name="QuickBooks Online",
    sandbox_fixture="qbo_sandbox",
    server_fixture="qbo_sandbox_server",
    settings_fixture="fast_exports",
    fault_shares=FAULT_SHARES,
    worker_environment=lambda sandbox: worker_processes.worker_environment(
        sandbox, QBO_WORKER_SETTINGS
    ),
    open_books=scene.open_books,
    without_limits=lambda sandbox: sandbox.set_limits(requests_per_window=100_000, concurrent=30),
    add_random_faults=_qbo_random_faults,
    documents_by_record=_qbo_documents,
    document_id=lambda kind, document: str(document["Id"]),
    document_total=lambda document: mapping.as_decimal(document["TotalAmt"]),
    api_requests=api_requests,
    faults_fired=faults_fired,
)
