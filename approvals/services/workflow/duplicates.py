"""Possible duplicate bills: the same vendor and number, or vendor, amount and period, here or in the ERP."""

from __future__ import annotations

from django.db.models import F, Q
from django.db.models.functions import Upper

from approvals.models import ERPBill, InvoiceStatus, SubcontractorInvoice, SyncKind
from approvals.services import erp
from approvals.services.importing import freshness
from money import cents, format_money


def invoice_local_twins(invoice: SubcontractorInvoice) -> list[SubcontractorInvoice]:
    """Other invoices of the same vendor with the same number, or the same amount and period."""
    net = _comparable_net(invoice)
    return list(
        SubcontractorInvoice.objects.filter(commitment__vendor_id=invoice.commitment.vendor_id)
        .exclude(pk=invoice.pk)
        .exclude(status=InvoiceStatus.VOID)
        .with_totals()
        .annotate(lines_net=F("totals_gross") - F("totals_withheld"))
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
    # Twins found here come with their totals in SQL: a page of many twins asks nothing more.
    total = cents(twin.totals_net) if hasattr(twin, "totals_net") else twin.totals().net
    status = twin.sync_status_label
    return (
        f"invoice {twin.number} ({twin.commitment.vendor.name}, "
        f"{format_money(total, twin.commitment.currency)}, "
        f"{twin.period_start:%Y-%m-%d} to {twin.period_end:%Y-%m-%d}, "
        f"{status[:1].lower()}{status[1:]})"
    )


def invoice_number_twins(invoice: SubcontractorInvoice) -> list[str]:
    """What already carries this invoice's number for its vendor, described for people: the
    vendor's other invoices here, and the bills the ERP had at the last sync (no ERP call).
    Asked while a project manager types the number, before amounts and period are known."""
    number = invoice.number.strip()
    # A number with control characters is refused by the form, so nothing stored carries it
    # (and PostgreSQL cannot compare text holding a NUL byte at all).
    if not number or not number.isprintable():
        return []
    vendor = invoice.commitment.vendor
    local = (
        SubcontractorInvoice.objects.filter(commitment__vendor_id=vendor.pk, number__iexact=number)
        .exclude(status=InvoiceStatus.VOID)
        .exclude(pk=invoice.pk)
        .select_related("commitment__vendor")
        .order_by("pk")
    )
    described = [describe_twin(twin) for twin in local]
    connection = erp.active_connection_or_none()
    if connection is None or not vendor.erp_id:
        return described
    bills = (
        ERPBill.objects.filter(
            erp_connection=connection, vendor_erp_id=vendor.erp_id, number__iexact=number
        )
        .exclude(is_voided=True)
        .exclude(erp_id__in=[invoice.erp_id] if invoice.erp_id else [])
        .order_by("billed_on", "erp_id")
    )
    if bills:
        name = erp.erp_name(connection)
        fresh = freshness.imported_as_of(connection, SyncKind.JOB_COSTS)
        described += [_describe_bill(bill, invoice, name, fresh) for bill in bills]
    return described


def invoice_erp_twins(invoice: SubcontractorInvoice) -> list[str]:
    """Bills the ERP had at the last sync that look like this invoice (the imported bills)."""
    return invoices_erp_twins([invoice])[invoice.pk]


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
    queries."""
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
    """Billed less withheld: two invoices of one period billing the same are alike, whatever
    retainage each releases."""
    totals = invoice.totals()
    return cents(totals.gross - totals.withheld)


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
        .with_totals()
        .annotate(lines_net=F("totals_gross") - F("totals_withheld"))
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
    """invoice_erp_twins of each invoice, by primary key, in one query: the ERP's bills of the
    same vendor with the same number, or with the same total dated within the billing period.
    Read from what the job-cost sync imported, so nobody waits on the ERP; each sentence says
    how fresh that is."""
    twins: dict[int, list[str]] = {invoice.pk: [] for invoice in invoices}
    connection = erp.active_connection_or_none()
    vendor_ids = {invoice.commitment.vendor.erp_id for invoice in invoices} - {""}
    if connection is None or not vendor_ids:
        return twins
    # What each invoice's bill comes to: gross, less retainage withheld, plus any released.
    totals = {invoice.pk: invoice.totals().net for invoice in invoices}
    bills = _candidate_bills(connection, vendor_ids, invoices, set(totals.values()))
    if not bills:
        return twins
    name = erp.erp_name(connection)
    fresh = freshness.imported_as_of(connection, SyncKind.JOB_COSTS)
    for invoice in invoices:
        twins[invoice.pk] = [
            _describe_bill(bill, invoice, name, fresh)
            for bill in bills
            if _bill_looks_like(bill, invoice, totals[invoice.pk])
        ]
    return twins


def _candidate_bills(connection, vendor_ids: set[str], invoices, totals) -> list[ERPBill]:
    numbers = {invoice.number.strip().upper() for invoice in invoices}
    return list(
        ERPBill.objects.filter(erp_connection=connection, vendor_erp_id__in=vendor_ids)
        .exclude(is_voided=True)
        .annotate(number_upper=Upper("number"))
        .filter(Q(number_upper__in=numbers) | Q(pre_tax_total__in=totals))
        .order_by("billed_on", "erp_id")
    )


def _bill_looks_like(bill: ERPBill, invoice: SubcontractorInvoice, total) -> bool:
    vendor = invoice.commitment.vendor
    if bill.vendor_erp_id != vendor.erp_id or bill.erp_id == invoice.erp_id:
        return False
    if bill.number.strip().upper() == invoice.number.strip().upper():
        return True
    last_day = max(invoice.period_end, invoice.billing_date)
    return (
        bill.pre_tax_total == total
        and bill.billed_on is not None
        and invoice.period_start <= bill.billed_on <= last_day
    )


def _describe_bill(bill: ERPBill, invoice: SubcontractorInvoice, erp_name: str, fresh: str) -> str:
    currency = invoice.commitment.currency
    number = f"bill {bill.number}" if bill.number else "a bill without a number"
    dated = f"dated {bill.billed_on:%Y-%m-%d}" if bill.billed_on else "without a date"
    return (
        f"{number} in {erp_name} from {invoice.commitment.vendor.name} {dated} for "
        f"{format_money(bill.total, currency)}, {_bill_status(bill, currency)} "
        f"({erp_name} id {bill.erp_id}, {fresh})"
    )


def _bill_status(bill: ERPBill, currency: str) -> str:
    if bill.balance == 0:
        return "paid"
    if bill.balance == bill.total:
        return "unpaid"
    return f"partly paid ({format_money(bill.balance, currency)} open)"
