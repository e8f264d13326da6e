"""The soak's side of the office: project managers keep sending new companies, commitments and
invoices and the accountant keeps accepting them, while QuickBooks misbehaves at random."""

from __future__ import annotations

import random
from collections import Counter
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
from tests.reliability.sandbox_faults import RandomFault
from tests.reliability.scene import Books

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

    def __init__(self, books: Books, rng: random.Random):
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
