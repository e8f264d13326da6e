"""The ERP's bills of every vendor, kept by the job-cost sync for the duplicate-bill check.

The sync hands over each changed or deleted bill, and after a full read the ids it saw; the
reader has already turned each document into a BillSummary (number, date, total, balance,
voided).
"""

from __future__ import annotations

from collections.abc import Iterable

from approvals.models import ERPBill
from integrations.data import BillSummary

_FIELDS = (
    "vendor_erp_id",
    "number",
    "billed_on",
    "total",
    "pre_tax_total",
    "balance",
    "is_voided",
)
CHUNK = 1000


def bills_store(*, connection, bills: Iterable[BillSummary]) -> int:
    """Create or update these bills; how many were written."""
    rows = [
        ERPBill(
            erp_connection=connection, erp_id=bill.erp_id, **{f: getattr(bill, f) for f in _FIELDS}
        )
        for bill in bills
        if bill.erp_id
    ]
    if rows:
        ERPBill.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["erp_connection", "erp_id"],
            update_fields=[*_FIELDS, "seen_at"],
        )
    return len(rows)


def bills_forget(*, connection, erp_ids) -> int:
    """The bills with these ids are gone from the ERP."""
    erp_ids = [str(erp_id) for erp_id in erp_ids]
    deleted = 0
    for start in range(0, len(erp_ids), CHUNK):
        deleted += ERPBill.objects.filter(
            erp_connection=connection, erp_id__in=erp_ids[start : start + CHUNK]
        ).delete()[0]
    return deleted


def bills_held(*, connection) -> set[str]:
    """The ids of every bill kept for `connection`."""
    return set(ERPBill.objects.filter(erp_connection=connection).values_list("erp_id", flat=True))
