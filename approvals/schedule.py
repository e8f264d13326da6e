"""The revised schedule of values of a commitment, line by line, as a pay application bills it.

A line is an original commitment line (its value revised by the approved change orders that
change it) or a line an approved change order added. "Billed before" counts every other
invoice on the commitment that has been sent, is exporting or waiting for the ERP, is synced
or has failed: money the subcontractor has asked for, whatever the accountant has done with it
yet.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
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
    return revised_schedules([commitment.pk], excluding=excluding)[commitment.pk]


def revised_schedules(commitment_ids, *, excluding=None) -> dict[int, list[ScheduleLine]]:
    """revised_schedule of each commitment, by primary key, in four queries however many."""
    ids = set(commitment_ids)
    approved = ChangeOrderLine.objects.filter(
        change_order__commitment_id__in=ids, change_order__status=ChangeOrderStatus.APPROVED
    )
    changes = dict(
        approved.filter(commitment_line__isnull=False)
        .values("commitment_line")
        .annotate(total=Sum("amount"))
        .values_list("commitment_line", "total")
    )
    schedules: dict[int, list[ScheduleLine]] = {pk: [] for pk in ids}
    for line in CommitmentLine.objects.filter(commitment_id__in=ids).select_related("cost_code"):
        schedules[line.commitment_id].append(
            ScheduleLine(
                key=f"c{line.pk}",
                label=str(line.position),
                cost_code=line.cost_code,
                description=line.description or line.cost_code.name,
                original=line.amount,
                changes=changes.get(line.pk) or ZERO,
                commitment_line=line,
            )
        )
    added = approved.filter(commitment_line__isnull=True).select_related(
        "cost_code", "change_order"
    )
    positions: dict[int, int] = defaultdict(int)
    for line in added.order_by("change_order__commitment", "change_order__number", "pk"):
        positions[line.change_order_id] += 1
        schedules[line.change_order.commitment_id].append(
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
    _fill_billed_before(
        [line for schedule in schedules.values() for line in schedule], ids, excluding
    )
    return schedules


def _fill_billed_before(lines: list[ScheduleLine], commitment_ids, excluding) -> None:
    billed = InvoiceLine.objects.filter(
        invoice__commitment_id__in=commitment_ids, invoice__sync_status__in=BILLED_STATUSES
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

    def load(self, commitment_ids) -> None:
        """Read the schedules of these commitments together (a page of invoices on many)."""
        missing = set(commitment_ids) - set(self._by_commitment)
        if missing:
            self._by_commitment.update(revised_schedules(missing))

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
    return invoice_rows_many([invoice])[invoice.pk]


def invoice_rows_many(invoices) -> dict[int, list[BilledRow]]:
    """invoice_rows of each invoice, by primary key: the schedules of all their commitments
    read together, each invoice's lines from its prefetch (INVOICE_LINE_RELATIONS) when loaded
    with it."""
    schedules = revised_schedules({invoice.commitment_id for invoice in invoices})
    rows = {}
    for invoice in invoices:
        lines = list(invoice.lines.all())
        # The schedules count every billed invoice: this one's own lines come back out.
        own_gross: dict[str, Decimal] = defaultdict(lambda: ZERO)
        own_retainage: dict[str, Decimal] = defaultdict(lambda: ZERO)
        if invoice.sync_status in BILLED_STATUSES:
            for invoice_line in lines:
                own_gross[line_key(invoice_line)] += invoice_line.gross_amount
                own_retainage[line_key(invoice_line)] += invoice_line.retainage_withheld
        schedule = {line.key: line for line in schedules[invoice.commitment_id]}
        rows[invoice.pk] = [
            BilledRow(
                line=replace(
                    schedule[key],
                    billed_before=schedule[key].billed_before - own_gross[key],
                    retainage_before=schedule[key].retainage_before - own_retainage[key],
                ),
                work_completed=invoice_line.work_completed,
                materials_stored=invoice_line.materials_stored,
                retainage_withheld=invoice_line.retainage_withheld,
            )
            for invoice_line in lines
            if (key := line_key(invoice_line)) in schedule
        ]
    return rows


@dataclass(frozen=True)
class ChangedLine:
    """One line of a commitment before and after a change order."""

    label: str
    cost_code: object
    description: str
    before: Decimal | None
    """None for a line the change order adds."""
    change: Decimal

    @property
    def after(self) -> Decimal:
        return (self.before or ZERO) + self.change


def change_order_rows_many(change_orders) -> dict[int, list[ChangedLine]]:
    """Each change order's commitment line by line, before and after it, by primary key: the
    revised schedule without this change order (its original lines with the other approved
    change orders, and the lines those added), then the lines it adds. Each change order's
    lines are read from its prefetch when loaded with them."""
    schedules = revised_schedules({change_order.commitment_id for change_order in change_orders})
    rows = {}
    for change_order in change_orders:
        own = list(change_order.lines.all())
        changes: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for line in own:
            if line.commitment_line_id is not None:
                changes[line.commitment_line_id] += line.amount
        # An approved change order is already part of the revised schedule: taken back out.
        counted = change_order.status == ChangeOrderStatus.APPROVED
        shown = []
        for line in schedules[change_order.commitment_id]:
            if line.change_order_line is not None:
                if line.change_order_line.change_order_id == change_order.pk:
                    continue
                change = ZERO
            else:
                change = changes[line.commitment_line.pk]
            before = line.revised - change if counted else line.revised
            shown.append(ChangedLine(line.label, line.cost_code, line.description, before, change))
        added = [line for line in own if line.commitment_line_id is None]
        for position, line in enumerate(added, start=1):
            shown.append(
                ChangedLine(
                    change_order_line_label(line, position),
                    line.cost_code,
                    line.description or line.cost_code.name,
                    None,
                    line.amount,
                )
            )
        rows[change_order.pk] = shown
    return rows
