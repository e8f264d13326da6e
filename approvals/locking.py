"""Which fields may no longer change because the ERP depends on them.

From send on (ready to export, exporting, synced) the approver decides on what was sent, so the
fields below are frozen; after sync, changes go through a change order or an unlink.
"""

from __future__ import annotations

from approvals.models import (
    Commitment,
    CommitmentChangeOrder,
    Company,
    Project,
    SubcontractorInvoice,
)
from approvals.states import LOCKED_STATUSES, SyncStatus

_ERP_FIELDS: dict[type, frozenset[str]] = {
    Project: frozenset(
        {
            "number",
            "name",
            "address",
            "customer_name",
            "erp_parent_customer_id",
            "uses_standard_cost_codes",
        }
    ),
    Company: frozenset(
        {
            "name",
            "legal_name",
            "tax_id",
            "email",
            "phone",
            "address_line1",
            "city",
            "region",
            "postal_code",
            "country",
            "vendor_type",
        }
    ),
    Commitment: frozenset(
        {
            "project",
            "vendor",
            "kind",
            "number",
            "title",
            "description",
            "status",
            "default_retainage_percent",
            "currency",
        }
    ),
    CommitmentChangeOrder: frozenset({"commitment", "number", "title", "status"}),
    SubcontractorInvoice: frozenset(
        {
            "commitment",
            "number",
            "billing_date",
            "period_start",
            "period_end",
            "due_date",
            "status",
            "is_retainage_release",
            "retainage_released",
        }
    ),
}

_HAS_LINES = (Commitment, CommitmentChangeOrder, SubcontractorInvoice)


def erp_fields(model) -> frozenset[str]:
    """The fields of `model` the ERP depends on (locked from send on)."""
    return _ERP_FIELDS[model]


def is_locked(record) -> bool:
    return SyncStatus(record.sync_status) in LOCKED_STATUSES


def locked_fields(record) -> frozenset[str]:
    """Names of the fields of `record` that may not be edited now (empty when all may)."""
    return _ERP_FIELDS[type(record)] if is_locked(record) else frozenset()


def lines_locked(record) -> bool:
    """True when the record's lines may not be added, changed or removed."""
    return isinstance(record, _HAS_LINES) and is_locked(record)
