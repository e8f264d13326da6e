"""Whether a synced record's ERP document is gone, from what the syncs imported.

An unlink must not wait on the ERP, so it trusts the last sync: the job-cost sync flags bills
and purchase orders deleted or voided in the ERP, and change orders whose lines left their
purchase order (erp_drift); the vendor and job imports keep whether each vendor and job is still
active (an ERP may never delete them, only make them inactive). Each answer says how fresh it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from approvals.models import (
    ChangeOrderLine,
    Commitment,
    CommitmentChangeOrder,
    CommitmentLine,
    Company,
    ERPJob,
    ERPVendor,
    Project,
    SubcontractorInvoice,
    SyncKind,
)
from approvals.services.importing import freshness
from approvals.services.importing.drift import NO_DRIFT
from approvals.states import ERPDrift

GONE = (ERPDrift.DELETED, ERPDrift.VOIDED)

# What an unlinked record forgets of its ERP document: it is back to Not sent, as never exported.
UNLINKED_FIELDS = {
    "erp_id": "",
    "erp_version": "",
    "erp_synced_at": None,
    "erp_connection": None,
    "sent_by": None,
    "sent_at": None,
    "export_request_key": "",
    "erp_problem": "",
    **NO_DRIFT,
}


def forget_line_ids(model, pks: list[int]) -> None:
    """The unlinked records' lines no longer name lines of an ERP document (nor a commitment its
    document's number)."""
    if model is Commitment:
        CommitmentLine.objects.filter(commitment__in=pks).update(erp_line_id="")
        Commitment.objects.filter(pk__in=pks).update(erp_doc_number="")
    elif model is CommitmentChangeOrder:
        ChangeOrderLine.objects.filter(change_order__in=pks).update(erp_line_id="")


@dataclass(frozen=True)
class DocumentSeen:
    gone: bool
    as_of: str  # "as of the last sync 3 minutes ago"


def document_seen(record, connection) -> DocumentSeen:
    """What the last sync saw of `record`'s ERP document."""
    if not record.erp_id:
        return DocumentSeen(gone=True, as_of="")
    if isinstance(record, Company):
        return _listed(ERPVendor, record, connection, SyncKind.VENDORS)
    if isinstance(record, Project):
        return _listed(ERPJob, record, connection, SyncKind.JOBS)
    if isinstance(record, Commitment | CommitmentChangeOrder | SubcontractorInvoice):
        return DocumentSeen(
            gone=record.erp_drift in GONE,
            as_of=freshness.imported_as_of(connection, SyncKind.JOB_COSTS),
        )
    raise TypeError(f"{type(record).__name__} has no ERP document.")


def _listed(model, record, connection, kind: SyncKind) -> DocumentSeen:
    listed = model.objects.filter(erp_connection=connection, erp_id=record.erp_id).first()
    return DocumentSeen(
        gone=listed is not None and not listed.is_active,
        as_of=freshness.imported_as_of(connection, kind),
    )
