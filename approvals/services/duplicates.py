"""Possible duplicate bills: the same vendor and number, or vendor, amount and period, here or in the ERP."""

from __future__ import annotations

import logging

from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

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
    find = getattr(connector, "possible_duplicates", None)
    if find is None:
        return []
    try:
        return list(find(invoice))
    except ERPError as error:
        # Not knowing is not a duplicate; the export itself looks the bill up before creating.
        logger.warning("Duplicate lookup for invoice %s failed: %s", invoice.pk, error)
        return []


def invoice_possible_duplicates(
    invoice: SubcontractorInvoice,
) -> tuple[list[SubcontractorInvoice], list[str]]:
    """(local twins, every twin described for people, local first then the ERP's)."""
    local = invoice_local_twins(invoice)
    described = [describe_twin(twin) for twin in local] + invoice_erp_twins(invoice)
    return local, described
