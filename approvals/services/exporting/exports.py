"""Running exports: enqueue at accept, call the connector, retry what is transient, recover the stuck.

Exports accepted together go out together where the connector takes many documents in one
request (ExportsInBatches): the worker running one record's task claims up to a batch of others
of its type waiting for the same connection (claims.py), checks each as a single export is
checked, sends one request, and settles each record on its own through the same success and
failure paths (one audit event per record). A batch whose answer was lost is recovered record
by record by looking each up in the ERP.
"""

from __future__ import annotations

import logging
import secrets
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from approvals import notifications
from approvals.models import ChangeOrderLine, Commitment, CommitmentChangeOrder, CommitmentLine
from approvals.services import erp, erp_links
from approvals.services.database_outage import DATABASE_UNREACHABLE
from approvals.services.exporting import claims
from approvals.services.importing.drift import NO_DRIFT
from approvals.services.workflow import approved
from approvals.services.workflow.descriptions import records_for_description
from approvals.services.workflow.errors import StaleState
from approvals.services.workflow.records import (
    EXPORTABLE_MODELS,
    model_for_label,
    model_label,
)
from approvals.services.workflow.transitions import record_transition
from approvals.states import Action, SyncStatus
from integrations.base import (
    ERPError,
    ExportResult,
    ExportsInBatches,
    HandedOff,
    RateLimitedError,
    TransientERPError,
)

logger = logging.getLogger(__name__)

EXPORT_WORKER = "export worker"
RECOVERY = "stuck export recovery"
UNEXPECTED_FAILURE = (
    "The export stopped on an unexpected error. The technical team can see the details in "
    "the server log; retry once they have fixed it."
)
DOCUMENT_TAKEN = (
    "The accounting system answered with document id {erp_id}, which another record here is "
    "already linked to, so this record was not linked to it. Check both records before "
    "exporting again."
)
ALREADY_RECORDED = "skipped: already recorded"
# What a settled export writes: no request waits with an ERP's agent any more.
NOT_HANDED_OFF = {"handed_off_to": None, "handed_off_at": None}
_JITTER = secrets.SystemRandom()
# How much later than its batch's first record the task of a record held back with it runs.
FOLLOWER_TASK_GRACE_SECONDS = 2.0
# How much earlier than its batch's first record such a record's try is due.
FOLLOWER_DUE_EARLIER_SECONDS = 0.5


def max_tries() -> int:
    return settings.EXPORT_MAX_TRIES


def retry_delay_seconds(*, try_number: int, retry_after: float | None = None) -> float:
    """Exponential back-off with up to 25% jitter, never sooner than the ERP's Retry-After."""
    base = settings.EXPORT_RETRY_BASE_SECONDS
    cap = settings.EXPORT_RETRY_MAX_SECONDS
    delay = min(cap, base * 2 ** (try_number - 1))
    delay += _JITTER.uniform(0, delay / 4)
    return max(delay, retry_after or 0)


def export_enqueue(*, record, try_number: int = 1, run_after: datetime | None = None) -> None:
    """Queue the export of `record`'s current attempt; a row in the caller's transaction."""
    from approvals import tasks

    task = tasks.export_run.using(run_after=run_after) if run_after else tasks.export_run
    task.enqueue(model_label(record), record.pk, record.export_attempt, try_number)


def export_enqueue_many(*, records) -> None:
    """Queue the exports of a bulk accept with one INSERT instead of one per record.

    django-tasks-db has no bulk enqueue, so the rows are written as its `enqueue` writes them
    (same fields, its pre_save default for run_after, the same `task_enqueued` signal after);
    a test holds them equal to rows from `enqueue`. Any other backend enqueues one by one.
    """
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.compat import normalize_json, task_enqueued
    from django_tasks_db.models import DBTaskResult, get_date_max

    from approvals import tasks

    backend = tasks.export_run.get_backend()
    if not isinstance(backend, DatabaseBackend):
        for record in records:
            export_enqueue(record=record)
        return
    backend.validate_task(tasks.export_run)
    rows = DBTaskResult.objects.bulk_create(
        DBTaskResult(
            args_kwargs=normalize_json(
                {
                    "args": [model_label(record), record.pk, record.export_attempt, 1],
                    "kwargs": {},
                }
            ),
            priority=tasks.export_run.priority,
            task_path=tasks.export_run.module_path,
            queue_name=tasks.export_run.queue_name,
            run_after=tasks.export_run.run_after or get_date_max(),
            backend_name=backend.alias,
        )
        for record in records
    )
    for row in rows:
        task_enqueued.send(type(backend), task_result=row.task_result)


def idempotency_key(record) -> str:
    """The transport key of the current try: kept while an answer is lost (the ERP replays it),
    new for each accept or retry and after the ERP answered with an error (written with the
    accept, the retry, or the rescheduled try; random, so a reset database reusing ids cannot
    replay an old answer)."""
    return record.export_request_key


def export_run(
    *, model_label: str, record_id: int, export_attempt: int | None = None, try_number: int = 1
) -> str:
    """Export one record if it still waits for it, with others of its type waiting for the same
    connection where the ERP takes many documents in one request; returns what happened, for
    the task result."""
    model = model_for_label(model_label)
    record = model.objects.filter(pk=record_id).first()
    if record is None or record.sync_status != SyncStatus.EXPORTING:
        skipped = "skipped: not exporting"
    elif export_attempt is not None and record.export_attempt != export_attempt:
        skipped = "skipped: superseded by a later attempt"
    else:
        return _claim_and_export(record, try_number)
    return _left_by_a_cut_off_run(model) or skipped


def _left_by_a_cut_off_run(model) -> str:
    """The database went away while this worker settled a batch one record after another: the
    run of the task again (db_worker) finds the record it names settled, and the others of the
    batch still claimed by this worker, their own tasks done long ago (skipped while this
    worker held them). They go out now, not when their claims expire. '' when none are left."""
    left = claims.left_here(model)
    if left is None:
        return ""
    outcome = _claim_and_export(left, left.export_try)
    return f"resumed a batch cut off by the database: {outcome}"


def _claim_and_export(record, try_number: int) -> str:
    claim = claims.new_claim()
    if not claims.claim_record(record, claim):
        return _not_claimed(record)
    # What is checked and sent is the record as it is once claimed.
    record.refresh_from_db()
    connection = record.erp_connection or erp.active_connection_or_none()
    try:
        connector = erp.connector_for_export(connection)
    except ERPError as error:
        return export_try_failed(record, error, connection, try_number)
    model = type(record)
    size = connector.export_batch_size(model) if isinstance(connector, ExportsInBatches) else 1
    others = claims.claim_batch(record, connection, claim, how_many=size - 1) if size > 1 else []
    if others:
        members = [(record, try_number), *((other, other.export_try) for other in others)]
        return _export_batch(members, connection, connector, claim)
    return _export_alone(record, connection, connector, try_number)


def _not_claimed(record) -> str:
    """Why the task of `record` sends nothing: settled or superseded meanwhile, its try is due
    later (the task of a try rescheduled since), or another worker's batch is sending it."""
    record.refresh_from_db()
    if record.sync_status != SyncStatus.EXPORTING:
        return "skipped: not exporting"
    if record.export_started_at and record.export_started_at > timezone.now():
        return "skipped: its try is due later"
    return "skipped: another worker is exporting it"


def _refusal(record, connection, connector) -> tuple[str, str] | None:
    """Why `record` must not go out, checked before anything is sent: (the sentence for the
    record, the outcome for the task result), or None."""
    elsewhere = erp_links.dependency_problems(record, connection)
    if elsewhere:
        # Accepted before the company switched accounting systems: never sent silently.
        return " ".join(elsewhere), "failed: linked through another connection"
    changed = approved.mismatch_sentence(
        record,
        approved.latest_approval(record),
        approved.current_approval(record, connector),
        erp.erp_name(connection, connector),
    )
    if changed:
        return changed, "failed: changed since approved"
    return None


def _export_alone(record, connection, connector, try_number: int) -> str:
    try:
        refusal = _refusal(record, connection, connector)
        if refusal:
            export_fail(record, refusal[0], connection, try_number, None)
            return refusal[1]
        result = connector.export(record, idempotency_key=idempotency_key(record))
    except ERPError as error:
        return export_try_failed(record, error, connection, try_number)
    except DATABASE_UNREACHABLE:
        # Not the export's fault: the worker waits for the database and runs this try again.
        raise
    except Exception:
        logger.exception("Export of %s %s failed unexpectedly", model_label(record), record.pk)
        export_fail(record, UNEXPECTED_FAILURE, connection, try_number, None)
        return "failed"
    return _settled(record, result, connection, connector, try_number)


def _export_batch(members: list[tuple], connection, connector, claim: claims.Claim) -> str:
    """Records claimed together, sent in one request; each checked, settled and audited on its
    own, as if it had gone alone."""
    outcomes: Counter[str] = Counter()
    tries = {record.pk: try_number for record, try_number in members}
    # What is checked and sent is each record as it is once the whole batch is claimed, loaded
    # with everything its checks read in a few queries for the batch, not a few per record.
    claimed = {record.pk: record for record in records_for_description(type(members[0][0]), tries)}
    ready = []
    for pk, try_number in tries.items():
        record = claimed[pk]
        outcome = _on_its_own(
            record, connection, try_number, partial(_checked, record, connection, connector)
        )
        if outcome:
            outcomes[outcome] += 1
        else:
            ready.append(record)
    sending = claims.still_claimed(ready, claim)
    outcomes["skipped: settled meanwhile"] += len(ready) - len(sending)
    if len(sending) == 1:
        outcomes[_export_alone(sending[0], connection, connector, tries[sending[0].pk])] += 1
    elif sending:
        try:
            results = connector.export_batch(
                sending, idempotency_keys=[idempotency_key(record) for record in sending]
            )
        except ERPError as error:
            results = [error] * len(sending)
        except DATABASE_UNREACHABLE:
            raise
        except Exception:
            logger.exception("Batch export of %s records failed unexpectedly", len(sending))
            results = [None] * len(sending)
        lost = []
        for position, (record, result) in enumerate(zip(sending, results, strict=True)):
            if result is None:
                export_fail(record, UNEXPECTED_FAILURE, connection, tries[record.pk], None)
                outcomes["failed"] += 1
            elif _answer_lost(result):
                lost.append((record, result))
            else:
                outcomes[
                    _on_its_own(
                        record,
                        connection,
                        tries[record.pk],
                        partial(
                            _settled,
                            record,
                            result,
                            connection,
                            connector,
                            tries[record.pk],
                            follows=position > 0,
                        ),
                    )
                ] += 1
        for outcome in _looked_up(lost, connection, connector, tries):
            outcomes[outcome] += 1
    summary = ", ".join(
        f"{count} {outcome}" for outcome, count in sorted(outcomes.items()) if count
    )
    return f"batch of {len(members)}: {summary}"


def _checked(record, connection, connector) -> str:
    """'' when `record` may go out; else what became of it (failed, or its try rescheduled)."""
    try:
        refusal = _refusal(record, connection, connector)
    except ERPError as error:
        return export_try_failed(record, error, connection, record.export_try)
    if refusal:
        export_fail(record, refusal[0], connection, record.export_try, None)
        return refusal[1]
    return ""


def _on_its_own(record, connection, try_number: int, step: Callable[[], str]) -> str:
    """One record's step of a batch: an unexpected error fails that record alone, as it would
    have failed alone, and the others carry on."""
    try:
        return step()
    except DATABASE_UNREACHABLE:
        raise
    except Exception:
        logger.exception("Export of %s %s failed unexpectedly", model_label(record), record.pk)
        export_fail(record, UNEXPECTED_FAILURE, connection, try_number, None)
        return "failed"


def _settled(
    record, result, connection, connector, try_number: int, *, follows: bool = False
) -> str:
    """One record's try settled by what the ERP made of it (`follows`: it went in a batch after
    the batch's first record)."""
    if isinstance(result, HandedOff):
        return _hand_off(record, result, connection, erp.erp_name(connection, connector))
    if isinstance(result, ERPError):
        return export_try_failed(record, result, connection, try_number, follows=follows)
    return export_succeed(record, result, connection)


def _answer_lost(error: ExportResult | HandedOff | ERPError) -> bool:
    """The ERP may hold the document: its answer never came, or came unreadable."""
    return (
        isinstance(error, TransientERPError)
        and not isinstance(error, RateLimitedError)
        and not _answered_with_error(error)
    )


def _looked_up(lost: list[tuple], connection, connector, tries: dict[int, int]) -> list[str]:
    """The batch's answer was lost, maybe after the ERP stored some of its documents: each
    record is looked up by what its accept approved, and linked to its document when the ERP
    holds it; the others get another try, which looks up again before it creates. When the ERP
    cannot answer a look-up, the rest wait for their next try without asking."""
    outcomes = []
    answering = True
    for record, error in lost:

        def settle(record=record, error=error) -> str:
            nonlocal answering
            found = None
            if answering:
                try:
                    found = connector.find_exported(record, approved.latest_approval(record))
                except ERPError:
                    answering = False
            if found is None:
                return export_try_failed(record, error, connection, tries[record.pk])
            return export_succeed(record, found, connection)

        outcomes.append(_on_its_own(record, connection, tries[record.pk], settle))
    return outcomes


def next_try_after(error: TransientERPError, try_number: int) -> tuple[int, float]:
    """The try that follows try `try_number` ending in `error`, and the seconds to wait for it.

    The ERP's rate limits having no room is not the try's failure: it runs again as the same
    try, when the ERP (or our share of its budget) said. Any other transient error counts, and
    waits the back-off, never less than the ERP's Retry-After. Shared by every job that talks to
    an ERP from the worker (exports, look-ups, vendor updates, imports).
    """
    if isinstance(error, RateLimitedError):
        return try_number, error.retry_after or retry_delay_seconds(try_number=1)
    return try_number + 1, retry_delay_seconds(try_number=try_number, retry_after=error.retry_after)


def export_try_failed(
    record, error: ERPError, connection, try_number: int, *, follows: bool = False
) -> str:
    """What a try that ended in `error` leads to: another try while the error is transient and
    tries are left (a rate-limited one is not counted), else the failure, in the ERP's words.
    `follows`: the record went in a batch after the batch's first record."""
    if isinstance(error, TransientERPError):
        next_try, delay = next_try_after(error, try_number)
        if next_try <= max_tries():
            _schedule_retry(
                record, error, try_number, next_try=next_try, delay=delay, follows=follows
            )
            return "retry scheduled" if next_try > try_number else "rate limited: try rescheduled"
        message = (
            f"{erp.erp_name(connection)} did not answer after {try_number} tries: {error.message}"
        )
        export_fail(record, message, connection, try_number, error.response_body)
        return "failed"
    export_fail(record, error.message, connection, try_number, error.response_body)
    return "failed"


def linked_changes(record, result: ExportResult, connection) -> dict:
    changes = {
        "erp_id": result.erp_id,
        "erp_version": result.version,
        "erp_synced_at": timezone.now(),
        "erp_connection": connection,
        "export_started_at": None,
        **NOT_HANDED_OFF,
        **claims.NOT_CLAIMED,
        "last_export_error": "",
        "erp_problem": result.problem,
        **NO_DRIFT,
    }
    if isinstance(record, Commitment) and result.doc_number:
        changes["erp_doc_number"] = result.doc_number
    return changes


def _hand_off(record, handed_off: HandedOff, connection, name: str) -> str:
    try:
        record_transition(
            record=record,
            action=Action.HAND_OFF,
            system_actor=EXPORT_WORKER,
            reason=(
                f"Handed to {name} as request {handed_off.reference}; it answers when {name} "
                "next collects requests."
            ),
            changes={
                "handed_off_to": connection,
                "handed_off_at": timezone.now(),
                "export_started_at": None,
                **claims.NOT_CLAIMED,
            },
            request_payload=handed_off.request_payload,
            export_attempt=record.export_attempt,
        )
    except StaleState:
        logger.info("Hand-off of %s %s already recorded", model_label(record), record.pk)
        return ALREADY_RECORDED
    return "handed off"


def export_succeed(record, result: ExportResult, connection, *, by: str = EXPORT_WORKER) -> str:
    """Link `record` (exporting, or waiting for the ERP's answer) to the document `result`
    names, for its current attempt; ALREADY_RECORDED when that attempt was settled first."""
    reason = "Linked to an existing document in the ERP." if result.linked_existing else ""
    reason = " ".join(part for part in (reason, result.problem) if part)
    try:
        with transaction.atomic():
            record_transition(
                record=record,
                action=Action.EXPORT_SUCCEEDED,
                system_actor=by,
                reason=reason,
                changes=linked_changes(record, result, connection),
                request_payload=result.request_payload,
                response_payload=result.response_payload,
                export_attempt=record.export_attempt,
            )
            store_line_ids(record, result)
    except StaleState:
        # Another run or answer of the same attempt finished first; the ERP replayed the same
        # document.
        logger.info("Export of %s %s already recorded", model_label(record), record.pk)
        return ALREADY_RECORDED
    except IntegrityError:
        # The connector guards against this; should one slip through, the record must not be
        # left exporting with nobody able to act on it.
        logger.exception("Export of %s %s: document already linked", model_label(record), record.pk)
        export_fail(record, DOCUMENT_TAKEN.format(erp_id=result.erp_id), connection, 1, None, by=by)
        return "failed"
    return "synced"


def store_line_ids(record, result: ExportResult) -> None:
    if isinstance(record, Commitment):
        lines = CommitmentLine.objects.filter(commitment=record)
    elif isinstance(record, CommitmentChangeOrder):
        lines = ChangeOrderLine.objects.filter(change_order=record)
        # The change order's lines live on its commitment's purchase order, now one version on.
        if result.version:
            Commitment.objects.filter(pk=record.commitment_id).update(erp_version=result.version)
    else:
        return
    for line_pk, erp_line_id in result.line_ids.items():
        lines.filter(pk=line_pk).update(erp_line_id=erp_line_id)


def export_fail(
    record, message: str, connection, tries: int, response_body, *, by: str = EXPORT_WORKER
) -> bool:
    """Fail `record`'s current attempt (exporting, or waiting for the ERP's answer): notify the
    approvers and queue the look-up of what the attempt may have left in the ERP. False when
    that attempt was settled first."""
    response = response_body if isinstance(response_body, dict | list) else None
    try:
        with transaction.atomic():
            record_transition(
                record=record,
                action=Action.EXPORT_FAILED,
                system_actor=by,
                reason=message,
                changes={
                    "last_export_error": message,
                    "export_started_at": None,
                    **NOT_HANDED_OFF,
                    **claims.NOT_CLAIMED,
                },
                response_payload=response,
                export_attempt=record.export_attempt,
            )
            notifications.export_failure_notify(
                record=record, erp_name=erp.erp_name(connection), error=message, tries=tries
            )
            # Imported here: failed_exports builds on this module.
            from approvals.services.exporting.failed_exports import lookup_enqueue

            lookup_enqueue(record=record)
    except StaleState:
        logger.info("Export of %s %s already settled", model_label(record), record.pk)
        return False
    return True


def _schedule_retry(
    record,
    error: TransientERPError,
    try_number: int,
    *,
    next_try: int,
    delay: float,
    follows: bool = False,
) -> None:
    run_after = timezone.now() + timedelta(seconds=delay)
    task_after = run_after
    if follows and next_try == try_number:
        # Held back by the ERP's limits with its batch: the try is due with the batch's first
        # record (a moment before, as its own delay was counted a moment before), whose task
        # claims them all again; this record's own task comes a little later, for when that
        # one did not. Due at once, every worker would lead a batch of its own, and the limits
        # would be spent on batches of one.
        task_after += timedelta(seconds=FOLLOWER_TASK_GRACE_SECONDS)
        run_after -= timedelta(seconds=FOLLOWER_DUE_EARLIER_SECONDS)
    logger.warning(
        "Export of %s %s: try %s %s (%s); next try in %.1f s",
        model_label(record),
        record.pk,
        try_number,
        "rate limited" if next_try == try_number else "failed",
        error.message,
        delay,
    )
    changes = {
        "export_started_at": run_after,
        "export_try": next_try,
        "last_export_error": error.message,
        **claims.NOT_CLAIMED,
    }
    if _answered_with_error(error):
        # The ERP may remember its error answer under the key: the next try asks anew, and
        # the connector's look-up before create finds a document this try did leave.
        changes["export_request_key"] = approved.new_request_key(record)
    with transaction.atomic():
        # The start of the next try, so stuck-export recovery leaves a scheduled retry alone.
        claimed = (
            type(record)
            .objects.filter(
                pk=record.pk,
                sync_status=SyncStatus.EXPORTING,
                export_attempt=record.export_attempt,
            )
            .update(**changes)
        )
        if claimed:
            export_enqueue(record=record, try_number=next_try, run_after=task_after)


def _answered_with_error(error: TransientERPError) -> bool:
    """An error status came back (throttled, server error); no status, or an unreadable 200,
    means the answer was lost and only the same key may ask again."""
    return error.status is not None and error.status >= 400


def exports_recover_stuck(*, older_than: timedelta) -> int:
    """Re-queue exports whose current try started longer ago than `older_than`; return how many.

    A worker that died mid-export leaves its record in 'exporting', claimed: the claim is
    released. The re-queued run keeps the same idempotency key, so if the first request did reach
    the ERP it is replayed, not repeated; records that went in a batch are looked up before
    they are created again.
    A record waiting for an ERP's own agent ('awaiting_erp') is never re-queued: its request is
    queued in that ERP already, and its answer settles it.
    """
    cutoff = timezone.now() - older_than
    requeued = 0
    for model in EXPORTABLE_MODELS:
        stuck = model.objects.filter(
            sync_status=SyncStatus.EXPORTING, export_started_at__lt=cutoff
        ).only("pk", "export_attempt", "export_try")
        for record in stuck:
            with transaction.atomic():
                claimed = model.objects.filter(
                    pk=record.pk,
                    sync_status=SyncStatus.EXPORTING,
                    export_attempt=record.export_attempt,
                    export_started_at__lt=cutoff,
                ).update(export_started_at=timezone.now(), **claims.NOT_CLAIMED)
                if claimed:
                    export_enqueue(record=record, try_number=record.export_try)
                    requeued += 1
    logger.info("%s: re-queued %s stuck exports", RECOVERY, requeued)
    return requeued
