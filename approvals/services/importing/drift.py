"""Synced documents changed in the ERP after their export, and exports a person must finish.

The job-cost sync hands over every changed, deleted or (after a full read) missing document of
the kinds we export; the ERP's reader says what became of each record's document (a
DocumentState: edited, voided, deleted, or as exported, and whether an unfinished part of the
export is still unfinished). A change is written to the record with one history entry, so approvers see it on
the record, in its queue and on the dashboard until the document is right again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from approvals.services.workflow.audit import AuditEntry, audit_write_many
from approvals.states import ERPDrift, Note, SyncStatus
from integrations.data import ExportedDocument

SYNC_ACTOR = "ERP sync"
NO_DRIFT = {
    "erp_drift": ERPDrift.NONE,
    "erp_drift_amount": None,
    "erp_drift_note": "",
    "erp_drift_seen_at": None,
}
CHUNK = 500


def check_documents(*, connection, reader, documents: Iterable[ExportedDocument]) -> int:
    """Compare the synced records these changed documents belong to; how many changed."""
    by_kind: dict[str, dict[str, ExportedDocument]] = defaultdict(dict)
    for document in documents:
        by_kind[document.kind][document.erp_id] = document
    return sum(
        _check(connection, reader, kind, by_id, list(by_id)) for kind, by_id in by_kind.items()
    )


def check_deleted(*, connection, reader, kind: str, erp_ids) -> int:
    """The documents of `kind` with these ids are gone from the ERP."""
    return _check(connection, reader, kind, {}, [str(erp_id) for erp_id in erp_ids])


def check_missing(*, connection, reader, kind: str, seen_ids: frozenset[str]) -> int:
    """After a full read of `kind`: synced records whose document was not among them."""
    held = {
        erp_id
        for model in reader.exported_record_models(kind)
        for erp_id in model.objects.filter(erp_connection=connection, sync_status=SyncStatus.SYNCED)
        .exclude(erp_id="")
        .values_list("erp_id", flat=True)
    }
    return check_deleted(connection=connection, reader=reader, kind=kind, erp_ids=held - seen_ids)


def _check(connection, reader, kind: str, documents: dict[str, ExportedDocument], erp_ids) -> int:
    return sum(
        _check_model(connection, reader, model, documents, erp_ids)
        for model in reader.exported_record_models(kind)
    )


def _check_model(connection, reader, model, documents: dict[str, ExportedDocument], erp_ids) -> int:
    if not erp_ids:
        return 0
    changed = 0
    for start in range(0, len(erp_ids), CHUNK):
        records = model.objects.filter(
            erp_connection=connection,
            sync_status=SyncStatus.SYNCED,
            erp_id__in=erp_ids[start : start + CHUNK],
        ).order_by("pk")
        for record in records:
            document = documents.get(record.erp_id)
            state = document.state_of(record) if document else reader.missing_state(record)
            changed += _apply(record, state)
    return changed


def _apply(record, state) -> int:
    """Write what differs from what the record says now; 1 when anything did."""
    fields: dict = {}
    events = []
    drift_now = (state.drift, state.erp_amount if state.drift else None, state.note)
    drift_before = (record.erp_drift, record.erp_drift_amount, record.erp_drift_note)
    if drift_now != drift_before:
        if state.drift:
            fields.update(
                erp_drift=state.drift,
                erp_drift_amount=state.erp_amount,
                erp_drift_note=state.note,
                erp_drift_seen_at=timezone.now(),
            )
            events.append((Note.ERP_DRIFT, state.note))
        else:
            fields.update(NO_DRIFT)
            events.append(
                (Note.ERP_DRIFT_CLEARED, "The ERP's document is back to what was approved.")
            )
    if state.problem != record.erp_problem:
        fields["erp_problem"] = state.problem
        if state.problem:
            events.append((Note.ERP_PROBLEM, state.problem))
        else:
            events.append((Note.ERP_PROBLEM_CLEARED, f"Solved in the ERP: {record.erp_problem}"))
    if not fields:
        return 0
    model = type(record)
    with transaction.atomic():
        updated = model.objects.filter(
            pk=record.pk, sync_status=SyncStatus.SYNCED, erp_id=record.erp_id
        ).update(**fields)
        if updated != 1:
            return 0
        audit_write_many(
            [
                AuditEntry(
                    model=model,
                    record_id=record.pk,
                    actor_label=SYNC_ACTOR,
                    action=action,
                    reason=reason,
                )
                for action, reason in events
            ]
        )
    return 1
