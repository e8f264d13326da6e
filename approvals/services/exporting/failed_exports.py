"""Settling a failed export in the background: does the ERP hold what its last attempt sent?

An export can fail after its document was stored (an answer lost, then the ERP down until the
tries ran out). Retrieving or rejecting such a record would let it be exported again, so the
worker looks the attempt up as soon as it fails: a document found is linked, and nothing found
is remembered for that attempt. Retrieve and reject then only read that answer, so no person
waits on the ERP; until it is in, they say the check is under way.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from approvals import notifications
from approvals.services import erp
from approvals.services.database_outage import DATABASE_UNREACHABLE
from approvals.services.exporting.exports import (
    EXPORT_WORKER,
    linked_changes,
    next_try_after,
    retry_delay_seconds,
    store_line_ids,
)
from approvals.services.workflow.approved import latest_approval
from approvals.services.workflow.errors import StaleState
from approvals.services.workflow.records import EXPORTABLE_MODELS, model_for_label, model_label
from approvals.services.workflow.transitions import record_transition
from approvals.states import Action, SyncStatus
from integrations.base import ERPError, TransientERPError

logger = logging.getLogger(__name__)

LOOKUP_RECOVERY = "failed export look-up recovery"


def lookup_enqueue(*, record, try_number: int = 1, run_after: datetime | None = None) -> None:
    """Queue the look-up of `record`'s failed attempt; rows in the caller's transaction."""
    from approvals import tasks

    when = run_after or timezone.now()
    type(record).objects.filter(pk=record.pk).update(erp_lookup_at=when)
    task = tasks.lookup_run.using(run_after=run_after) if run_after else tasks.lookup_run
    task.enqueue(model_label(record), record.pk, record.export_attempt, try_number)


def lookup_answered(record) -> bool:
    """Has the ERP told us it holds nothing of `record`'s last attempt (or was it never sent)?"""
    return (
        record.nothing_in_erp_for_attempt == record.export_attempt
        or latest_approval(record) is None
    )


def lookup_run(*, model_label: str, record_id: int, export_attempt: int, try_number: int) -> str:
    """Look up a failed record's last attempt in the ERP; returns what happened."""
    model = model_for_label(model_label)
    record = model.objects.filter(pk=record_id).first()
    if record is None or record.sync_status != SyncStatus.EXPORT_FAILED:
        return "skipped: not failed"
    if record.export_attempt != export_attempt:
        return "skipped: superseded by a later attempt"
    if record.nothing_in_erp_for_attempt == export_attempt:
        return "skipped: already answered"
    connection = record.erp_connection or erp.active_connection_or_none()
    approved = latest_approval(record)
    result, connector = None, None
    try:
        if approved is not None:
            connector = erp.connector_for_export(connection)
            result = connector.find_exported(record, approved)
    except DATABASE_UNREACHABLE:
        raise
    except ERPError as error:
        return _ask_again(record, error, try_number)
    if result is None:
        model.objects.filter(
            pk=record.pk, sync_status=SyncStatus.EXPORT_FAILED, export_attempt=export_attempt
        ).update(nothing_in_erp_for_attempt=export_attempt, erp_lookup_at=None, erp_lookup_error="")
        return "nothing in the ERP"
    name = erp.erp_name(connection, connector)
    try:
        with transaction.atomic():
            record_transition(
                record=record,
                action=Action.FOUND_IN_ERP,
                system_actor=EXPORT_WORKER,
                reason=(
                    f"The export failed, but {name} holds the document its last attempt created "
                    f"(id {result.erp_id}), so the record was linked to that document."
                ),
                changes={
                    **linked_changes(record, result, connection),
                    "erp_lookup_at": None,
                    "erp_lookup_error": "",
                },
                response_payload=result.response_payload,
            )
            store_line_ids(record, result)
            notifications.export_found_notify(record=record, erp_name=name, erp_id=result.erp_id)
    except StaleState:
        return "skipped: settled meanwhile"
    return "linked"


def _ask_again(record, error: ERPError, try_number: int) -> str:
    if isinstance(error, TransientERPError):
        next_try, delay = next_try_after(error, try_number)
    else:
        next_try, delay = try_number + 1, retry_delay_seconds(try_number=try_number)
    run_after = timezone.now() + timedelta(seconds=delay)
    logger.warning(
        "Look-up of failed %s %s: %s; next in %.0f s",
        model_label(record),
        record.pk,
        error.message,
        delay,
    )
    with transaction.atomic():
        claimed = (
            type(record)
            .objects.filter(
                pk=record.pk,
                sync_status=SyncStatus.EXPORT_FAILED,
                export_attempt=record.export_attempt,
            )
            .update(erp_lookup_error=error.message)
        )
        if claimed:
            lookup_enqueue(record=record, try_number=next_try, run_after=run_after)
    return "look-up could not answer; asked again later"


def lookup_ensure_queued(record, *, older_than: timedelta) -> None:
    """Queue the look-up of a failed record unless one is due within `older_than`."""
    due = record.erp_lookup_at
    if due is None or due < timezone.now() - older_than:
        with transaction.atomic():
            lookup_enqueue(record=record)


def lookups_recover_stuck(*, older_than: timedelta) -> int:
    """Queue the look-up of every failed record still unanswered whose look-up is overdue by
    `older_than` (a worker that died, or records that failed before look-ups existed)."""
    cutoff = timezone.now() - older_than
    queued = 0
    for model in EXPORTABLE_MODELS:
        waiting = (
            model.objects.filter(sync_status=SyncStatus.EXPORT_FAILED)
            .filter(
                Q(nothing_in_erp_for_attempt__isnull=True)
                | ~Q(nothing_in_erp_for_attempt=F("export_attempt"))
            )
            .filter(Q(erp_lookup_at__isnull=True) | Q(erp_lookup_at__lt=cutoff))
        )
        for record in waiting:
            with transaction.atomic():
                claimed = (
                    model.objects.filter(pk=record.pk, export_attempt=record.export_attempt)
                    .filter(Q(erp_lookup_at__isnull=True) | Q(erp_lookup_at__lt=cutoff))
                    .update(erp_lookup_at=timezone.now())
                )
                if claimed:
                    lookup_enqueue(record=record)
                    queued += 1
    if queued:
        logger.info("%s: queued %s look-ups", LOOKUP_RECOVERY, queued)
    return queued
