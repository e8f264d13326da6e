"""What an ERP's folder may use of the workflow, and where its answers come in.

An ERP folder imports from approvals/ only its models, its states and this module: an export
handed off to the ERP's agent settles here, once; a change the ERP announces (a webhook) asks
for a sync here; and the few helpers a connector needs to name records and load them come from
here too, so the workflow's inside can change without touching any ERP.


An ERP that cannot answer while the worker waits (its agent collects our requests later) gets
the request from its connector's export(), which returns HandedOff; the record then waits in
'awaiting_erp'. When the agent's answer comes in, the ERP's folder calls `export_settled` with
the record, the export attempt the request belonged to and the answer. Only that attempt, while
the record still waits for it, is settled; any other answer changes nothing and is kept in the
record's history, because an answer nobody acted on may mean the ERP holds a document that no
record here is linked to.
"""

from __future__ import annotations

import logging
from dataclasses import fields

from django.db import transaction
from django.utils import timezone

from approvals.models import ERPCostCode, ERPCustomer, ERPJob, ERPVendor, SyncKind
from approvals.schedule import INVOICE_LINE_RELATIONS
from approvals.services import erp
from approvals.services.exporting.exports import ALREADY_RECORDED, export_fail, export_succeed
from approvals.services.importing.imports_cost_codes import cost_codes_store
from approvals.services.importing.imports_jobs import customers_store, jobs_store
from approvals.services.importing.imports_vendors import vendors_store
from approvals.services.importing.job_costs import job_costs_brought
from approvals.services.importing.sync_runs import SyncSummary, cursor_for
from approvals.services.importing.sync_schedule import sync_request
from approvals.services.workflow import approved
from approvals.services.workflow.audit import AuditEntry, audit_write
from approvals.services.workflow.records import model_for_label, noun, record_title
from approvals.states import Note, SyncStatus
from integrations.base import ApprovedDocument, ERPError, ExportResult
from integrations.data import ImportedCostCode, ImportedCustomer, ImportedJob, ImportedVendor

logger = logging.getLogger(__name__)

__all__ = [
    "INVOICE_LINE_RELATIONS",
    "changed_since_approved",
    "export_settled",
    "import_stopped",
    "job_costs_brought",
    "list_entries_deleted",
    "list_rows_brought",
    "record_title",
    "sync_requested",
]

IGNORED = "ignored"
# Waiting for the answer; or still exporting when the answer overtook the worker's record of
# the hand-off (the worker then finds the attempt settled and leaves it).
_SETTLED_FROM = (SyncStatus.AWAITING_ERP, SyncStatus.EXPORTING)


def export_settled(
    *, model_label: str, record_id: int, export_attempt: int, outcome: ExportResult | ERPError
) -> str:
    """Settle export attempt `export_attempt` of one record with its ERP's answer.

    An ExportResult links the record to the document it names (synced); an ERPError fails the
    attempt with its message, which notifies the approvers and queues the look-up of what the
    attempt may have left in the ERP, as any failed export does. Returns "synced", "failed" or
    IGNORED: an answer for another attempt, for a record no longer waiting, or a second answer
    for an attempt already settled (two at once included: the compare-and-set lets one through)
    is recorded in the history and changes nothing else.
    """
    model = model_for_label(model_label)
    record = model.objects.select_related("handed_off_to").filter(pk=record_id).first()
    if record is None:
        logger.warning(
            "Answer for export attempt %s of %s %s ignored: no such record",
            export_attempt,
            model_label,
            record_id,
        )
        return IGNORED
    if record.sync_status not in _SETTLED_FROM or record.export_attempt != export_attempt:
        return _ignored(record, export_attempt, outcome)
    connection = record.handed_off_to or record.erp_connection or erp.active_connection_or_none()
    name = erp.erp_name(connection)
    if isinstance(outcome, ERPError):
        failed = export_fail(record, outcome.message, connection, 1, outcome.response_body, by=name)
        return "failed" if failed else _ignored(record, export_attempt, outcome)
    done = export_succeed(record, outcome, connection, by=name)
    return _ignored(record, export_attempt, outcome) if done == ALREADY_RECORDED else done


def _ignored(record, export_attempt: int, outcome: ExportResult | ERPError) -> str:
    """Keep the answer nobody acted on in the record's history, with why it was ignored."""
    record.refresh_from_db(fields=["sync_status", "export_attempt", "erp_id"])
    name = erp.erp_name(record.handed_off_to or record.erp_connection)
    what = noun(record)
    if isinstance(outcome, ERPError):
        answer = f"that it failed: {outcome.message}"
        payload = outcome.response_body if isinstance(outcome.response_body, dict | list) else None
    elif outcome.erp_id == record.erp_id:
        answer = f"that it created document {outcome.erp_id}, which this {what} is linked to"
        payload = outcome.response_payload
    else:
        answer = (
            f"that it created document {outcome.erp_id}; check {name} for a document no record "
            "here is linked to"
        )
        payload = outcome.response_payload
    if record.export_attempt != export_attempt:
        why = f"the {what} is on export attempt {record.export_attempt} now"
    else:
        why = f"that attempt was already settled ({record.sync_status_label})"
    said = f"{name} answered for export attempt {export_attempt} {answer}"
    ending = "" if said.endswith((".", "!", "?")) else "."
    reason = f"{said}{ending} The answer was ignored because {why}."
    audit_write(
        AuditEntry(
            model=type(record),
            record_id=record.pk,
            actor_label=name,
            action=Note.ERP_ANSWER_IGNORED,
            reason=reason,
            response_payload=payload,
        )
    )
    logger.warning("%s %s: %s", record._meta.label_lower, record.pk, reason)
    return IGNORED


def changed_since_approved(record, *, connection) -> str:
    """Why the document `record` makes now for `connection` is not the one its last accept
    approved ("" when it still is), in the document's words. An ERP whose agent collects the
    request later builds it then: a cost code, vendor or job re-linked while it waited must not
    reach the books unapproved. The document alone is compared: its description also tells
    what other records did meanwhile (an earlier change order synced), which changes nothing
    it sends."""
    connector = erp.connector_for_export(connection)
    last = approved.latest_approval(record)
    current = connector.approved_document(record)
    return approved.mismatch_sentence(
        record,
        last and ApprovedDocument(document=last.document, identity=last.identity),
        ApprovedDocument(document=current.document, identity=current.identity),
        erp.erp_name(connection, connector),
    )


def sync_requested(*, connection, kind) -> None:
    """The ERP says something of `kind` changed (a webhook): queue that import for `connection`
    unless one is already due."""
    sync_request(connection=connection, kind=kind)


def list_rows_brought(*, connection, kind: SyncKind, rows: list, finished: bool) -> SyncSummary:
    """Store rows of one name list that the ERP's own agent brought back (an agent that answers
    our queries when it runs, so no reader can be asked while we wait).

    `kind` is the list (vendors, jobs with their customers, cost codes) and `rows` its
    integrations.data objects, stored as an import stores them; `finished` says the agent has
    now brought the whole list, so the list counts as imported from then on.
    """
    summary = SyncSummary(kind=kind, full_read=True)
    with transaction.atomic():
        if kind == SyncKind.VENDORS:
            vendors_store(connection=connection, vendors=rows, summary=summary)
        elif kind == SyncKind.JOBS:
            jobs_store(
                connection=connection,
                jobs=[row for row in rows if isinstance(row, ImportedJob)],
                summary=summary,
            )
            customers_store(
                connection=connection,
                customers=[row for row in rows if isinstance(row, ImportedCustomer)],
            )
        elif kind == SyncKind.COST_CODES:
            cost_codes_store(connection=connection, items=rows, summary=summary)
        else:
            raise ValueError(f"{kind} is not a name list")
        now = timezone.now()
        cursor = cursor_for(connection, kind)
        fields = {"last_run_at": now, "last_summary": summary.as_dict(), "last_error": ""}
        if finished:
            fields["last_success_at"] = now
        type(cursor).objects.filter(pk=cursor.pk).update(**fields)
    return summary


def import_stopped(*, connection, kind: SyncKind, problem: str) -> None:
    """The ERP's own agent could not bring a read of import `kind` (the ERP refused it): the
    import's state says why until a read of it succeeds."""
    cursor = cursor_for(connection, kind)
    type(cursor).objects.filter(pk=cursor.pk).update(
        last_run_at=timezone.now(), last_error=problem[:2000]
    )


def list_entries_deleted(*, connection, kind: SyncKind, erp_ids) -> SyncSummary:
    """The ERP's own agent says these entries of one name list were deleted in the ERP: they
    stay in the copy, inactive, as an entry the ERP deactivated does (a linked company is
    archived, a cost code deactivated), so nothing here links to them again."""
    erp_ids = [str(erp_id) for erp_id in erp_ids]
    summary = SyncSummary(kind=kind)
    mine = {"erp_connection": connection, "erp_id__in": erp_ids}
    with transaction.atomic():
        if kind == SyncKind.VENDORS:
            vendors = [_gone(ImportedVendor, row) for row in ERPVendor.objects.filter(**mine)]
            vendors_store(connection=connection, vendors=vendors, summary=summary)
        elif kind == SyncKind.JOBS:
            jobs = [_gone(ImportedJob, row) for row in ERPJob.objects.filter(**mine)]
            jobs_store(connection=connection, jobs=jobs, summary=summary)
            customers = [_gone(ImportedCustomer, row) for row in ERPCustomer.objects.filter(**mine)]
            customers_store(connection=connection, customers=customers)
        elif kind == SyncKind.COST_CODES:
            items = [_gone(ImportedCostCode, row) for row in ERPCostCode.objects.filter(**mine)]
            cost_codes_store(connection=connection, items=items, summary=summary)
        else:
            raise ValueError(f"{kind} is not a name list")
    return summary


def _gone(data_class, row):
    """A row of the copy as the import's data would bring it had the ERP deactivated it."""
    values = {
        field.name: getattr(row, "erp_version" if field.name == "version" else field.name)
        for field in fields(data_class)
    }
    return data_class(**{**values, "is_active": False})
