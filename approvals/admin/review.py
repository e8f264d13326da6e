"""What an accountant reads of a record before deciding on it, the same on its decision pages
and on its change page: who and what it concerns (with their links to the ERP), the document the
ERP receives, for an invoice its schedule of values, for a change order its commitment before and
after it, the possible duplicates and look-alikes, and the last export error.

Built for a page of records at once, in a number of queries that grows neither with the number
of records nor with their lines (look-alikes of companies and projects excepted: each asks the
imported lists of its own names).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.urls import reverse

from approvals.admin.badges import sync_badge
from approvals.admin.described import ShownDocument, shown
from approvals.models import (
    Commitment,
    CommitmentChangeOrder,
    Company,
    Project,
    SubcontractorInvoice,
)
from approvals.schedule import change_order_rows_many, invoice_rows_many
from approvals.services.workflow.approved import description_fingerprint
from approvals.services.workflow.descriptions import documents_approved, documents_of
from approvals.services.workflow.duplicates import invoices_possible_duplicates
from approvals.services.workflow.lookalikes import lookalike_sentences
from approvals.states import SyncStatus
from money import ZERO, format_money

# From these on, the ERP was (or is being) sent what the last accept approved: that is shown.
APPROVED_SHOWN = frozenset(
    {
        SyncStatus.EXPORTING,
        SyncStatus.AWAITING_ERP,
        SyncStatus.SYNCED,
        SyncStatus.EXPORT_FAILED,
    }
)
UNDECIDED = frozenset({SyncStatus.NOT_SENT, SyncStatus.READY_TO_EXPORT, SyncStatus.REJECTED})
NONE = "—"


@dataclass(frozen=True)
class Party:
    """A vendor, project or commitment the record belongs to, and how it stands with the ERP."""

    role: str
    name: str
    url: str
    badge: str
    erp_id: str


@dataclass(frozen=True)
class BilledLine:
    label: str
    cost_code: str
    description: str
    change_order: str
    revised: str
    previously_billed: str
    work_completed: str
    materials_stored: str
    percent_complete: str
    retainage: str
    balance: str


@dataclass(frozen=True)
class ChangedLine:
    label: str
    cost_code: str
    description: str
    before: str
    change: str
    after: str
    changed: bool


@dataclass
class Review:
    record: object
    parties: list[Party] = field(default_factory=list)
    document: ShownDocument | None = None
    document_approved: bool = False
    """The document is the one the last accept approved (what was or is being exported)."""
    document_fingerprint: str = ""
    """Of the document an accept would approve: the page posts it back with the accept."""
    billed: list[BilledLine] = field(default_factory=list)
    billed_totals: BilledLine | None = None
    changed: list[ChangedLine] = field(default_factory=list)
    changed_totals: ChangedLine | None = None
    duplicates: list[str] = field(default_factory=list)
    lookalikes: list[str] = field(default_factory=list)
    last_error: str = ""


def reviews(model, records) -> dict[int, Review]:
    """By primary key, the review of each record of `model`, loaded by
    records_for_description."""
    found = {record.pk: Review(record=record) for record in records}
    _add_documents(model, records, found)
    for record in records:
        review = found[record.pk]
        review.parties = _parties(record)
        if record.sync_status == SyncStatus.EXPORT_FAILED:
            review.last_error = record.last_export_error
    if model is SubcontractorInvoice:
        _add_invoice_schedules(records, found)
    elif model is CommitmentChangeOrder:
        _add_changes(records, found)
    elif model in (Company, Project):
        for record in records:
            # Once accepted, a record was linked to or created as one of them: nothing to ask.
            if record.sync_status in UNDECIDED:
                found[record.pk].lookalikes = lookalike_sentences(record)
    return found


def _add_documents(model, records, found: dict[int, Review]) -> None:
    waiting = [record for record in records if record.sync_status not in APPROVED_SHOWN]
    approved = documents_approved(
        model, [record.pk for record in records if record.sync_status in APPROVED_SHOWN]
    )
    # A record accepted before descriptions were kept shows what it would be now.
    waiting += [
        record
        for record in records
        if record.sync_status in APPROVED_SHOWN and record.pk not in approved
    ]
    for pk, description in documents_of(waiting).items():
        found[pk].document = shown(description)
        found[pk].document_fingerprint = description_fingerprint(description)
    for pk, description in approved.items():
        found[pk].document = shown(description)
        found[pk].document_approved = True


def _parties(record) -> list[Party]:
    if isinstance(record, SubcontractorInvoice | CommitmentChangeOrder):
        commitment = record.commitment
        return [
            _party("Vendor", commitment.vendor),
            _party("Project", commitment.project),
            _party("Commitment", commitment),
        ]
    if isinstance(record, Commitment):
        return [_party("Vendor", record.vendor), _party("Project", record.project)]
    return []


def _party(role: str, linked) -> Party:
    opts = linked._meta
    return Party(
        role=role,
        name=str(linked),
        url=reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[linked.pk]),
        badge=sync_badge(linked),
        erp_id=linked.erp_id,
    )


def _add_invoice_schedules(invoices, found: dict[int, Review]) -> None:
    rows = invoice_rows_many(invoices)
    duplicates = invoices_possible_duplicates(
        [invoice for invoice in invoices if invoice.sync_status != SyncStatus.SYNCED]
    )
    for invoice in invoices:
        currency = invoice.commitment.currency
        review = found[invoice.pk]
        review.duplicates = duplicates.get(invoice.pk, ((), []))[1]
        billed = rows[invoice.pk]
        review.billed = [
            BilledLine(
                label=row.line.label,
                cost_code=str(row.line.cost_code),
                description=row.line.description,
                change_order=row.line.change_order.number if row.line.change_order else "",
                revised=format_money(row.line.revised, currency),
                previously_billed=format_money(row.line.billed_before, currency),
                work_completed=format_money(row.work_completed, currency),
                materials_stored=format_money(row.materials_stored, currency),
                percent_complete=(
                    f"{row.percent_complete}%" if row.percent_complete is not None else NONE
                ),
                retainage=format_money(row.retainage_withheld, currency),
                balance=format_money(row.balance_to_finish, currency),
            )
            for row in billed
        ]

        def total(amounts, currency=currency) -> str:
            return format_money(sum(amounts, ZERO), currency)

        revised = sum((row.line.revised for row in billed), ZERO)
        before = sum((row.line.billed_before for row in billed), ZERO)
        this_period = sum((row.this_period for row in billed), ZERO)
        review.billed_totals = BilledLine(
            label="",
            cost_code="",
            description="Total",
            change_order="",
            revised=format_money(revised, currency),
            previously_billed=format_money(before, currency),
            work_completed=total(row.work_completed for row in billed),
            materials_stored=total(row.materials_stored for row in billed),
            percent_complete=_percent(before + this_period, revised),
            retainage=total(row.retainage_withheld for row in billed),
            balance=total(row.balance_to_finish for row in billed),
        )


def _percent(part: Decimal, whole: Decimal) -> str:
    if not whole:
        return NONE
    return f"{(part * 100 / whole).quantize(Decimal('0.01'))}%"


def _add_changes(change_orders, found: dict[int, Review]) -> None:
    rows = change_order_rows_many(change_orders)
    for change_order in change_orders:
        currency = change_order.commitment.currency
        lines = rows[change_order.pk]
        review = found[change_order.pk]
        review.changed = [
            ChangedLine(
                label=line.label,
                cost_code=str(line.cost_code),
                description=line.description,
                before=format_money(line.before, currency) if line.before is not None else NONE,
                change=format_money(line.change, currency) if line.change else NONE,
                after=format_money(line.after, currency),
                changed=bool(line.change) or line.before is None,
            )
            for line in lines
        ]
        before = sum((line.before or ZERO for line in lines), ZERO)
        change = sum((line.change for line in lines), ZERO)
        review.changed_totals = ChangedLine(
            label="",
            cost_code="",
            description="Commitment total",
            before=format_money(before, currency),
            change=format_money(change, currency),
            after=format_money(before + change, currency),
            changed=bool(change),
        )
