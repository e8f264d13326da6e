"""Why a record cannot go to the ERP yet: one sentence per problem, checked at send and accept."""

from __future__ import annotations

from decimal import Decimal

from approvals import selectors
from approvals.models import (
    ApprovalPolicy,
    ChangeOrderStatus,
    Commitment,
    CommitmentChangeOrder,
    CommitmentStatus,
    Company,
    Project,
    SubcontractorInvoice,
)
from approvals.schedule import SharedSchedules
from approvals.services import erp, erp_links
from approvals.services.workflow import posting
from approvals.states import SyncStatus
from integrations.base import CommitmentsOptional
from money import ZERO, cents, format_money

STANDARD_COST_CODES_REQUIRED = "Integrated projects require standard cost codes."


def send_problems(record) -> list[str]:
    """What stops `record` from being sent to the approvers; empty when nothing does."""
    return _problems(record)


def accept_problems(record) -> list[str]:
    """What stops `record` from being exported now; empty when nothing does."""
    return _problems(record)


def accept_problems_many(records) -> dict[int, list[str]]:
    """accept_problems of each record, by primary key, asking for the connection once.

    Records loaded with their lines prefetched (and, for invoices, each line's commitment line
    and cost code) are checked without further queries.
    """
    records = list(records)
    check = _checker(
        invoices=[record for record in records if isinstance(record, SubcontractorInvoice)]
    )
    return {record.pk: check(record) for record in records}


def _problems(record) -> list[str]:
    return _checker()(record)


def _checker(*, invoices=()):
    """`invoices`: those about to be checked, whose schedules are read together up front."""
    connection, not_connected = erp.active_connection_with_problem()
    connector = erp.connector_or_none(connection)
    erp_name = erp.erp_name(connection, connector)
    policy = ApprovalPolicy.current()
    schedules = SharedSchedules()
    schedules.load({invoice.commitment_id for invoice in invoices})
    allow_past_balance = policy.allow_billing_past_balance
    commitments_exported = not isinstance(connector, CommitmentsOptional) or (
        connector.exports_commitments()
    )
    closing: list = []
    # Links through another connection exist only once a company switched: asked once.
    switched = connection is not None and erp_links.other_connections_exist(connection)

    def closed_period(record) -> list[str]:
        if not posting.is_dated(record) or connection is None:
            return []
        if not closing:
            # Read once for all the records checked together (and kept a few minutes).
            closing.append(posting.books_closed_through(connection))
        when = posting.default_posting_date(record, policy=policy)
        problem = posting.closed_period_problem(record, when, closing[0])
        return [problem] if problem else []

    def problems_of(record) -> list[str]:
        problems = [not_connected] if not_connected else []
        if isinstance(record, SubcontractorInvoice):
            problems += _invoice_problems(
                record,
                erp_name,
                commitments_exported=commitments_exported,
                allow_past_balance=allow_past_balance,
                # One schedule per commitment, however many of its invoices are checked.
                overbilled=schedules.overbilled,
            )
        else:
            problems += _RECORD_CHECKS[type(record)](record, erp_name)
        if switched:
            problems += erp_links.dependency_problems(record, connection)
        problems += closed_period(record)
        if connector is not None:
            problems += connector.export_problems(record)
        return problems

    return problems_of


def _lines(record, *related: str) -> list:
    """The record's lines: the prefetched ones when the caller loaded them, else one query."""
    if "lines" in getattr(record, "_prefetched_objects_cache", {}):
        return list(record.lines.all())
    return list(record.lines.select_related(*related))


def _project_problems(project: Project, erp_name: str) -> list[str]:
    return [] if project.uses_standard_cost_codes else [STANDARD_COST_CODES_REQUIRED]


def _company_problems(company: Company, erp_name: str) -> list[str]:
    problems = []
    if company.is_archived:
        problems.append(f"Company '{company.name}' is archived.")
    if not company.name.strip():
        problems.append("The company has no name.")
    return problems


def _synced_project_problems(project: Project, erp_name: str) -> list[str]:
    problems = []
    if project.sync_status != SyncStatus.SYNCED or not project.erp_id:
        problems.append(f"Project '{project}' is not synced to {erp_name} yet.")
    if not project.uses_standard_cost_codes:
        problems.append(STANDARD_COST_CODES_REQUIRED)
    return problems


def _linked_vendor_problems(vendor: Company, erp_name: str) -> list[str]:
    if vendor.sync_status == SyncStatus.SYNCED and vendor.erp_id:
        return []
    label = "ERP" if erp_name == erp.NO_ERP_NAME else erp_name
    # In the connected ERP's own noun for the businesses it pays.
    noun = erp.import_nouns(erp.active_connection_or_none()).vendor
    return [f"Vendor '{vendor.name}' is not linked to {_article(label)} {label} {noun}."]


def _cost_code_problem(position, cost_code, erp_name: str) -> list[str]:
    if cost_code.is_standard and cost_code.is_active:
        return []
    return [
        f"Line {position} uses cost code '{cost_code}', which is not a standard "
        f"{erp_name} cost code."
    ]


def _commitment_problems(commitment: Commitment, erp_name: str) -> list[str]:
    problems = _synced_project_problems(commitment.project, erp_name)
    problems += _linked_vendor_problems(commitment.vendor, erp_name)
    if commitment.status != CommitmentStatus.APPROVED:
        problems.append(
            f"Commitment {commitment.number} is not approved yet "
            f"(it is {commitment.get_status_display()})."
        )
    lines = _lines(commitment, "cost_code")
    if not lines:
        problems.append(f"Commitment {commitment.number} has no lines.")
    for line in lines:
        problems += _cost_code_problem(line.position, line.cost_code, erp_name)
        if line.quantity is not None and line.unit_cost is not None:
            extended = cents(line.quantity * line.unit_cost)
            if extended != line.amount:
                problems.append(
                    f"Line {line.position}: {line.quantity.normalize():f} at "
                    f"{format_money(line.unit_cost, commitment.currency)} each is "
                    f"{format_money(extended, commitment.currency)}, not "
                    f"{format_money(line.amount, commitment.currency)}."
                )
    return problems


def _change_order_problems(change_order: CommitmentChangeOrder, erp_name: str) -> list[str]:
    commitment = change_order.commitment
    problems = []
    if commitment.sync_status != SyncStatus.SYNCED or not commitment.erp_id:
        problems.append(f"Commitment {commitment.number} is not synced to {erp_name} yet.")
    if not commitment.project.uses_standard_cost_codes:
        problems.append(STANDARD_COST_CODES_REQUIRED)
    if change_order.status != ChangeOrderStatus.APPROVED:
        problems.append(
            f"Change order {change_order.number} is not approved yet "
            f"(it is {change_order.get_status_display()})."
        )
    lines = _lines(change_order, "cost_code")
    if not lines:
        problems.append(f"Change order {change_order.number} has no lines.")
    for position, line in enumerate(lines, start=1):
        problems += _cost_code_problem(position, line.cost_code, erp_name)
    revised = _revised_total(commitment)
    if change_order.status != ChangeOrderStatus.APPROVED:
        revised += sum((line.amount for line in lines), ZERO)
    if revised < 0:
        problems.append(
            f"Change order {change_order.number} would bring commitment {commitment.number} "
            f"below zero ({format_money(revised, commitment.currency)})."
        )
    return problems


def _revised_total(commitment) -> Decimal:
    """selectors.commitment_revised_total, from the commitment's lines and its change orders'
    lines when the caller loaded them (a page of change orders), else in two queries."""
    loaded = getattr(commitment, "_prefetched_objects_cache", {})
    if "lines" not in loaded or "change_orders" not in loaded:
        return selectors.commitment_revised_total(commitment)
    original = sum((line.amount for line in commitment.lines.all()), ZERO)
    changes = sum(
        (
            line.amount
            for change_order in commitment.change_orders.all()
            if change_order.status == ChangeOrderStatus.APPROVED
            for line in change_order.lines.all()
        ),
        ZERO,
    )
    return cents(original + changes)


def _invoice_problems(
    invoice: SubcontractorInvoice,
    erp_name: str,
    *,
    commitments_exported: bool = True,
    allow_past_balance: bool,
    overbilled,
) -> list[str]:
    commitment = invoice.commitment
    currency = commitment.currency
    problems = []
    unsynced = commitment.sync_status != SyncStatus.SYNCED or not commitment.erp_id
    if commitments_exported and unsynced:
        problems.append(f"Commitment {commitment.number} is not synced to {erp_name} yet.")
    problems += _linked_vendor_problems(commitment.vendor, erp_name)
    if not commitment.project.uses_standard_cost_codes:
        problems.append(STANDARD_COST_CODES_REQUIRED)
    if invoice.status not in selectors.APPROVED_INVOICE_STATUSES:
        problems.append(
            f"Invoice {invoice.number} is not approved yet (it is {invoice.get_status_display()})."
        )
    lines = _lines(
        invoice,
        "commitment_line__cost_code",
        "change_order_line__cost_code",
        "change_order_line__change_order",
    )
    if not lines and not invoice.is_retainage_release:
        problems.append(f"Invoice {invoice.number} has no lines.")
    for line in lines:
        problems += _schedule_line_problems(line, commitment, erp_name)
        problems += _cost_code_problem(line.label, line.schedule_line.cost_code, erp_name)
    if not allow_past_balance:
        problems += overbilled(invoice)
    totals = invoice.totals()
    if totals.net < 0:
        problems.append(
            f"Invoice {invoice.number} totals {format_money(totals.net, currency)}; "
            "a negative invoice cannot be exported as a bill."
        )
    if invoice.is_retainage_release:
        held, released = selectors.commitment_retainage(commitment, excluding=invoice)
        available = held - released
        if invoice.retainage_released > available:
            problems.append(
                f"Invoice {invoice.number} releases "
                f"{format_money(invoice.retainage_released, currency)} of retainage, but only "
                f"{format_money(available, currency)} is held on commitment {commitment.number}."
            )
    return problems


def _schedule_line_problems(line, commitment, erp_name: str) -> list[str]:
    """A billed line belongs to the commitment; a change order's line is billable once the
    change order is approved and synced (the bill's line links to the line it added)."""
    if line.commitment_line is not None:
        if line.commitment_line.commitment_id != commitment.pk:
            return [
                f"Line {line.commitment_line.position} belongs to another commitment, "
                f"not to {commitment.number}."
            ]
        return []
    change_order = line.change_order_line.change_order
    if change_order.commitment_id != commitment.pk:
        return [f"Line {line.label} belongs to another commitment, not to {commitment.number}."]
    if change_order.status != ChangeOrderStatus.APPROVED:
        return [
            f"Change order {change_order.number} is not approved, so its lines cannot be billed."
        ]
    if change_order.sync_status != SyncStatus.SYNCED:
        return [
            f"Change order {change_order.number} must be synced to {erp_name} before its lines "
            "can be billed."
        ]
    return []


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


_RECORD_CHECKS = {
    Project: _project_problems,
    Company: _company_problems,
    Commitment: _commitment_problems,
    CommitmentChangeOrder: _change_order_problems,
}
