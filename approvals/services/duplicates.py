"""Possible duplicate bills: the same vendor and number, or vendor, amount and period, here or in the ERP."""

from __future__ import annotations

import logging

from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Upper

from approvals import selectors
from approvals.models import InvoiceLine, InvoiceStatus, SubcontractorInvoice
from approvals.services import erp
from approvals.services.records import format_money
from integrations.base import ERPError

logger = logging.getLogger(__name__)


def _net_amount_subquery():
    lines = (
        InvoiceLine.objects.filter(invoice=OuterRef("pk"))
        .order_by()
        .values("invoice")
        .annotate(net=Sum(F("work_completed") + F("materials_stored") - F("retainage_withheld")))
        .values("net")
    )
    return Coalesce(
        Subquery(lines, output_field=DecimalField(max_digits=16, decimal_places=2)),
        Value(selectors.ZERO),
    )


def invoice_local_twins(invoice: SubcontractorInvoice) -> list[SubcontractorInvoice]:
    """Other invoices of the same vendor with the same number, or the same amount and period."""
    net = selectors.invoice_totals(invoice).net
    if invoice.is_retainage_release:
        net = selectors.cents(net - invoice.retainage_released)
    return list(
        SubcontractorInvoice.objects.filter(commitment__vendor_id=invoice.commitment.vendor_id)
        .exclude(pk=invoice.pk)
        .exclude(status=InvoiceStatus.VOID)
        .annotate(lines_net=_net_amount_subquery())
        .filter(
            Q(number__iexact=invoice.number.strip())
            | Q(
                period_start=invoice.period_start,
                period_end=invoice.period_end,
                lines_net=net,
                is_retainage_release=invoice.is_retainage_release,
            )
        )
        .select_related("commitment__vendor")
        .order_by("pk")
    )


def describe_twin(twin: SubcontractorInvoice) -> str:
    total = selectors.invoice_totals(twin).net
    return (
        f"invoice {twin.number} ({twin.commitment.vendor.name}, "
        f"{format_money(total, twin.commitment.currency)}, "
        f"{twin.period_start:%Y-%m-%d} to {twin.period_end:%Y-%m-%d}, "
        f"{twin.get_sync_status_display().lower()})"
    )


def invoice_erp_twins(invoice: SubcontractorInvoice) -> list[str]:
    """Bills in the ERP that look like this invoice, when the connector can look them up."""
    connection = erp.active_connection_or_none()
    connector = erp.connector_or_none(connection)
    return _erp_twins_of(getattr(connector, "possible_duplicates", None), invoice)


def invoice_possible_duplicates(
    invoice: SubcontractorInvoice,
) -> tuple[list[SubcontractorInvoice], list[str]]:
    """(local twins, every twin described for people, local first then the ERP's)."""
    local = invoice_local_twins(invoice)
    described = [describe_twin(twin) for twin in local] + invoice_erp_twins(invoice)
    return local, described


def invoices_possible_duplicates(
    invoices: list[SubcontractorInvoice],
) -> dict[int, tuple[list[SubcontractorInvoice], list[str]]]:
    """invoice_possible_duplicates of each invoice, by primary key, in a constant number of
    queries and one ERP look-up per vendor when the connector can do that."""
    local = invoices_local_twins(invoices)
    remote = invoices_erp_twins(invoices)
    return {
        invoice.pk: (
            local[invoice.pk],
            [describe_twin(twin) for twin in local[invoice.pk]] + remote[invoice.pk],
        )
        for invoice in invoices
    }


def _comparable_net(invoice: SubcontractorInvoice):
    net = selectors.invoice_totals(invoice).net
    if invoice.is_retainage_release:
        net = selectors.cents(net - invoice.retainage_released)
    return net


def invoices_local_twins(
    invoices: list[SubcontractorInvoice],
) -> dict[int, list[SubcontractorInvoice]]:
    """invoice_local_twins of each invoice, by primary key, in one query."""
    twins: dict[int, list[SubcontractorInvoice]] = {invoice.pk: [] for invoice in invoices}
    if not invoices:
        return twins
    # One IN list rather than an OR per number: the planner keeps it a single hashed test.
    same_number = Q(number_upper__in={invoice.number.strip().upper() for invoice in invoices})
    same_period = Q(
        period_start__in={invoice.period_start for invoice in invoices},
        period_end__in={invoice.period_end for invoice in invoices},
    )
    candidates = (
        SubcontractorInvoice.objects.filter(
            commitment__vendor_id__in={invoice.commitment.vendor_id for invoice in invoices}
        )
        .exclude(status=InvoiceStatus.VOID)
        .annotate(number_upper=Upper("number"))
        .filter(same_number | same_period)
        .annotate(lines_net=_net_amount_subquery())
        .select_related("commitment__vendor")
        .order_by("pk")
    )
    by_number: dict[tuple, list[SubcontractorInvoice]] = {}
    by_amount: dict[tuple, list[SubcontractorInvoice]] = {}
    for candidate in candidates:
        vendor_id = candidate.commitment.vendor_id
        by_number.setdefault((vendor_id, candidate.number.upper()), []).append(candidate)
        amount_key = (
            vendor_id,
            candidate.period_start,
            candidate.period_end,
            candidate.lines_net,
            candidate.is_retainage_release,
        )
        by_amount.setdefault(amount_key, []).append(candidate)
    for invoice in invoices:
        vendor_id = invoice.commitment.vendor_id
        matches = by_number.get((vendor_id, invoice.number.strip().upper()), []) + by_amount.get(
            (
                vendor_id,
                invoice.period_start,
                invoice.period_end,
                _comparable_net(invoice),
                invoice.is_retainage_release,
            ),
            [],
        )
        unique = {twin.pk: twin for twin in matches if twin.pk != invoice.pk}
        twins[invoice.pk] = [unique[pk] for pk in sorted(unique)]
    return twins


def invoices_erp_twins(invoices: list[SubcontractorInvoice]) -> dict[int, list[str]]:
    """invoice_erp_twins of each invoice, by primary key: one call when the connector offers
    possible_duplicates_many, else one call per invoice."""
    connector = erp.connector_or_none(erp.active_connection_or_none())
    find_many = getattr(connector, "possible_duplicates_many", None)
    if find_many is not None:
        try:
            found = find_many(invoices)
        except ERPError as error:
            logger.warning("Duplicate lookup for %d invoices failed: %s", len(invoices), error)
            found = {}
        return {invoice.pk: list(found.get(invoice.pk, [])) for invoice in invoices}
    find = getattr(connector, "possible_duplicates", None)
    return {invoice.pk: _erp_twins_of(find, invoice) for invoice in invoices}


def _erp_twins_of(find, invoice: SubcontractorInvoice) -> list[str]:
    if find is None:
        return []
    try:
        return list(find(invoice))
    except ERPError as error:
        # Not knowing is not a duplicate; the export itself looks the bill up before creating.
        logger.warning("Duplicate lookup for invoice %s failed: %s", invoice.pk, error)
        return []
