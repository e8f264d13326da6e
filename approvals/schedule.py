"""The revised schedule of values of a commitment, line by line, as a pay application bills it.

A line is an original commitment line (its value revised by the approved change orders that
change it) or a line an approved change order added. "Billed before" counts every other
invoice on the commitment that has been sent, is exporting or waiting for the ERP, is synced
or has failed: money the subcontractor has asked for, whatever the accountant has done with it
yet.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Sum

from approvals.models import (
    ChangeOrderLine,
    ChangeOrderStatus,
    CommitmentLine,
    InvoiceLine,
    change_order_line_label,
)
from approvals.states import SyncStatus
from money import ZERO, format_money

# What reading an invoice's lines with their schedule lines needs (prefetch_related paths).
INVOICE_LINE_RELATIONS = (
    "lines__commitment_line__cost_code",
    "lines__change_order_line__cost_code",
    "lines__change_order_line__change_order",
)
BILLED_STATUSES = (
    SyncStatus.READY_TO_EXPORT,
    SyncStatus.EXPORTING,
    SyncStatus.AWAITING_ERP,
    SyncStatus.SYNCED,
    SyncStatus.EXPORT_FAILED,
)
CENT = Decimal("0.01")


@dataclass
class ScheduleLine:
    key: str  # "c<pk>" for a commitment line, "o<pk>" for a line a change order added
    label: str
    cost_code: object
    description: str
    original: Decimal
    changes: Decimal
    commitment_line: CommitmentLine | None = None
    change_order_line: ChangeOrderLine | None = None
    billed_before: Decimal = ZERO
    retainage_before: Decimal = ZERO

    @property
    def revised(self) -> Decimal:
        return self.original + self.changes

    @property
    def balance_before(self) -> Decimal:
        return self.revised - self.billed_before

    @property
    def change_order(self):
        return self.change_order_line.change_order if self.change_order_line else None

    def percent_complete(self, this_period: Decimal = ZERO) -> Decimal | None:
        if not self.revised:
            return None
        return ((self.billed_before + this_period) * 100 / self.revised).quantize(CENT)

    def excess(self, this_period: Decimal) -> Decimal:
        """How far billing `this_period` on top of what was billed before passes the line."""
        return max(self.billed_before + this_period - self.revised, ZERO)


@dataclass(frozen=True)
class ScheduleTotals:
    """The foot of a commitment's schedule of values: each column summed."""

    original: Decimal
    changes: Decimal
    revised: Decimal
    billed_before: Decimal
    retainage_before: Decimal
    balance_before: Decimal


def schedule_totals(lines: list[ScheduleLine]) -> ScheduleTotals:
    """Lines a change order added count as approved changes, not as original value."""

    def total(values) -> Decimal:
        return sum(values, ZERO)

    return ScheduleTotals(
        original=total(line.original for line in lines if line.change_order is None),
        changes=total(line.changes for line in lines if line.change_order is None)
        + total(line.original for line in lines if line.change_order is not None),
        revised=total(line.revised for line in lines),
        billed_before=total(line.billed_before for line in lines),
        retainage_before=total(line.retainage_before for line in lines),
        balance_before=total(line.balance_before for line in lines),
    )


def line_key(invoice_line: InvoiceLine) -> str:
    if invoice_line.commitment_line_id is not None:
        return f"c{invoice_line.commitment_line_id}"
    return f"o{invoice_line.change_order_line_id}"


def revised_schedule(commitment, *, excluding=None) -> list[ScheduleLine]:
    """Every billable line of the commitment, original lines first, then the lines approved
    change orders added (by change order); `excluding` is the invoice being billed."""
    approved = ChangeOrderLine.objects.filter(
        change_order__commitment=commitment, change_order__status=ChangeOrderStatus.APPROVED
    )
    changes = dict(
        approved.filter(commitment_line__isnull=False)
        .values("commitment_line")
        .annotate(total=Sum("amount"))
        .values_list("commitment_line", "total")
    )
    lines = [
        ScheduleLine(
            key=f"c{line.pk}",
            label=str(line.position),
            cost_code=line.cost_code,
            description=line.description or line.cost_code.name,
            original=line.amount,
            changes=changes.get(line.pk) or ZERO,
            commitment_line=line,
        )
        for line in CommitmentLine.objects.filter(commitment=commitment).select_related("cost_code")
    ]
    added = approved.filter(commitment_line__isnull=True).select_related(
        "cost_code", "change_order"
    )
    positions: dict[int, int] = defaultdict(int)
    for line in added.order_by("change_order__number", "pk"):
        positions[line.change_order_id] += 1
        lines.append(
            ScheduleLine(
                key=f"o{line.pk}",
                label=change_order_line_label(line, positions[line.change_order_id]),
                cost_code=line.cost_code,
                description=line.description or line.cost_code.name,
                original=line.amount,
                changes=ZERO,
                change_order_line=line,
            )
        )
    _fill_billed_before(lines, commitment, excluding)
    return lines


def _fill_billed_before(lines: list[ScheduleLine], commitment, excluding) -> None:
    billed = InvoiceLine.objects.filter(
        invoice__commitment=commitment, invoice__sync_status__in=BILLED_STATUSES
    )
    if excluding is not None and excluding.pk:
        billed = billed.exclude(invoice=excluding)
    sums = billed.values("commitment_line", "change_order_line").annotate(
        gross=Sum(F("work_completed") + F("materials_stored")),
        retainage=Sum("retainage_withheld"),
    )
    by_key = {}
    for row in sums:
        key = (
            f"c{row['commitment_line']}"
            if row["commitment_line"] is not None
            else f"o{row['change_order_line']}"
        )
        by_key[key] = row
    for line in lines:
        row = by_key.get(line.key)
        if row:
            line.billed_before = row["gross"] or ZERO
            line.retainage_before = row["retainage"] or ZERO


def overbilled_lines(invoice, shared: list[ScheduleLine] | None = None) -> list[str]:
    """One sentence per line `invoice` bills past its balance, naming the line and the excess.

    `shared` is the commitment's schedule counting every billed invoice (one read for many
    invoices of a commitment); the invoice's own lines are then taken back out of it.
    """
    own = {}
    if shared is None:
        shared = revised_schedule(invoice.commitment, excluding=invoice)
    elif invoice.sync_status in BILLED_STATUSES:
        own = {line_key(line): line.gross_amount for line in invoice.lines.all()}
    by_key = {line.key: line for line in shared}
    sentences = []
    currency = invoice.commitment.currency
    for invoice_line in invoice.lines.all():
        key = line_key(invoice_line)
        line = by_key.get(key)
        if line is None:
            continue
        billed = line.billed_before - own.get(key, ZERO) + invoice_line.gross_amount
        excess = max(billed - line.revised, ZERO)
        if excess:
            sentences.append(
                f"Line {line.label} ({line.cost_code}) would be billed "
                f"{format_money(billed, currency)} of its revised value of "
                f"{format_money(line.revised, currency)}: {format_money(excess, currency)} past "
                "its balance."
            )
    return sentences


class SharedSchedules:
    """overbilled_lines for many invoices, reading each commitment's schedule once."""

    def __init__(self):
        self._by_commitment: dict[int, list[ScheduleLine]] = {}

    def overbilled(self, invoice) -> list[str]:
        if invoice.commitment_id not in self._by_commitment:
            self._by_commitment[invoice.commitment_id] = revised_schedule(invoice.commitment)
        return overbilled_lines(invoice, self._by_commitment[invoice.commitment_id])


@dataclass(frozen=True)
class BilledRow:
    """One line of a pay application as the accountant checks it."""

    line: ScheduleLine
    work_completed: Decimal
    materials_stored: Decimal
    retainage_withheld: Decimal

    @property
    def this_period(self) -> Decimal:
        return self.work_completed + self.materials_stored

    @property
    def percent_complete(self) -> Decimal | None:
        return self.line.percent_complete(self.this_period)

    @property
    def balance_to_finish(self) -> Decimal:
        return self.line.revised - self.line.billed_before - self.this_period


def invoice_rows(invoice) -> list[BilledRow]:
    """The lines an invoice bills, each with its revised value, what was billed before, this
    period, % complete, retainage and the balance to finish."""
    schedule = {line.key: line for line in revised_schedule(invoice.commitment, excluding=invoice)}
    rows = []
    for invoice_line in invoice.lines.all():
        line = schedule.get(line_key(invoice_line))
        if line is not None:
            rows.append(
                BilledRow(
                    line=line,
                    work_completed=invoice_line.work_completed,
                    materials_stored=invoice_line.materials_stored,
                    retainage_withheld=invoice_line.retainage_withheld,
                )
            )
    return rows
