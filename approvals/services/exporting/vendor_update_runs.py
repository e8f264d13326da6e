"""The worker's side of a vendor update: update the ERP vendor, then the company, or say why not.

Retries follow the exports' rules: what is transient is tried again with the same back-off, up to
the same number of tries; the transport key is reused only to repeat a request whose answer was
lost. A run for a proposal that is no longer updating, or for an older attempt, does nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from approvals import notifications
from approvals.models import Company, VendorUpdate, VendorUpdateStatus
from approvals.services import erp, erp_links
from approvals.services.database_outage import DATABASE_UNREACHABLE
from approvals.services.exporting.exports import EXPORT_WORKER, max_tries, next_try_after
from approvals.services.workflow.vendor_updates import (
    changed_since_proposed,
    new_request_key,
    vendor_update_enqueue,
    vendor_update_event,
)
from approvals.states import Note
from integrations.base import ERPError, TransientERPError, UpdatesVendors, VendorUpdateResult

logger = logging.getLogger(__name__)

S = VendorUpdateStatus
UNEXPECTED_FAILURE = (
    "The vendor update stopped on an unexpected error. The technical team can see the details "
    "in the server log; retry once they have fixed it."
)
RECOVERY = "stuck vendor update recovery"


def vendor_update_run(*, update_id: int, attempt: int, try_number: int = 1) -> str:
    """Run one try of an accepted vendor update; returns what happened, for the task result."""
    update = VendorUpdate.objects.select_related("company").filter(pk=update_id).first()
    if update is None or update.status != S.UPDATING:
        return "skipped: not updating"
    if update.attempt != attempt:
        return "skipped: superseded by a later attempt"
    company = update.company
    connection = company.erp_connection or erp.active_connection_or_none()
    changed = changed_since_proposed(update, company)
    if changed:
        _fail(
            update,
            "Nothing was sent: the company changed after the update was accepted. "
            + " ".join(changed),
            erp.erp_name(connection),
        )
        return "failed: company changed"
    elsewhere = erp_links.dependency_problems(company, erp.active_connection_or_none())
    if elsewhere:
        _fail(update, " ".join(elsewhere), erp.erp_name(connection))
        return "failed: linked through another connection"
    try:
        connector = erp.connector_for_export(connection)
        name = erp.erp_name(connection, connector)
        if not isinstance(connector, UpdatesVendors):
            _fail(update, f"This installation cannot update vendors in {name}.", name)
            return "failed: not supported"
        result = connector.vendor_update(
            company,
            new_values={change["field"]: change["new"] for change in update.changes},
            request_key=update.request_key,
        )
    except TransientERPError as error:
        next_try, delay = next_try_after(error, try_number)
        if next_try <= max_tries():
            _schedule_retry(update, error, try_number, next_try=next_try, delay=delay)
            return "retry scheduled"
        message = (
            f"{erp.erp_name(connection)} did not answer after {try_number} tries: {error.message}"
        )
        _fail(update, message, erp.erp_name(connection), error.response_body)
        return "failed"
    except ERPError as error:
        _fail(update, error.message, erp.erp_name(connection), error.response_body)
        return "failed"
    except DATABASE_UNREACHABLE:
        # Not the update's fault: the worker waits for the database and runs this try again.
        raise
    except Exception:
        logger.exception("Vendor update %s failed unexpectedly", update_id)
        _fail(update, UNEXPECTED_FAILURE, erp.erp_name(connection))
        return "failed"
    return _apply(update, result, name)


def _apply(update: VendorUpdate, result: VendorUpdateResult, erp_name: str) -> str:
    """In one transaction: the proposal applied, the company with the new values and the ERP's
    new version, and one history entry with every field's old → new."""
    now = timezone.now()
    with transaction.atomic():
        claimed = VendorUpdate.objects.filter(
            pk=update.pk, status=S.UPDATING, attempt=update.attempt
        ).update(
            status=S.APPLIED,
            version=F("version") + 1,
            started_at=None,
            last_error="",
            updated_at=now,
        )
        if not claimed:
            logger.info("Vendor update %s already settled", update.pk)
            return "skipped: already settled"
        Company.objects.filter(pk=update.company_id).update(
            **{change["field"]: change["new"] for change in update.changes},
            erp_version=result.version,
            erp_synced_at=now,
            review_version=F("review_version") + 1,
            updated_at=now,
        )
        vendor_update_event(
            update,
            Note.VENDOR_UPDATE_APPLIED,
            system_actor=EXPORT_WORKER,
            reason=f"{erp_name} holds the new values; the company has them too.",
            changes=update.changes,
            request_payload=result.request_payload,
            response_payload=result.response_payload,
        )
    return "applied"


def _fail(update: VendorUpdate, message: str, erp_name: str, response_body=None) -> None:
    response = response_body if isinstance(response_body, dict | list) else None
    with transaction.atomic():
        failed = VendorUpdate.objects.filter(
            pk=update.pk, status=S.UPDATING, attempt=update.attempt
        ).update(
            status=S.FAILED,
            version=F("version") + 1,
            started_at=None,
            last_error=message,
            updated_at=timezone.now(),
        )
        if not failed:
            logger.info("Vendor update %s already settled", update.pk)
            return
        vendor_update_event(
            update,
            Note.VENDOR_UPDATE_FAILED,
            system_actor=EXPORT_WORKER,
            reason=message,
            response_payload=response,
        )
        notifications.vendor_update_outcome_notify(
            update=update, outcome="failed", reason=message, erp_name=erp_name
        )


def _schedule_retry(
    update: VendorUpdate, error: TransientERPError, try_number: int, *, next_try: int, delay: float
) -> None:
    run_after = timezone.now() + timedelta(seconds=delay)
    logger.warning(
        "Vendor update %s: try %s failed (%s); next try in %.0f s",
        update.pk,
        try_number,
        error.message,
        delay,
    )
    changes = {"started_at": run_after, "last_error": error.message}
    if error.status is not None and error.status >= 400:
        # The ERP answered with an error it may remember under the key: ask anew next time.
        changes["request_key"] = new_request_key()
    with transaction.atomic():
        claimed = VendorUpdate.objects.filter(
            pk=update.pk, status=S.UPDATING, attempt=update.attempt
        ).update(**changes)
        if claimed:
            vendor_update_enqueue(update=update, try_number=next_try, run_after=run_after)


def vendor_updates_recover_stuck(*, older_than: timedelta) -> int:
    """Queue again the updates whose current try started longer ago than `older_than` (a worker
    died during it); the same transport key replays a request the ERP did receive."""
    cutoff = timezone.now() - older_than
    requeued = 0
    stuck = VendorUpdate.objects.filter(status=S.UPDATING, started_at__lt=cutoff)
    for update in stuck.only("pk", "attempt"):
        with transaction.atomic():
            claimed = VendorUpdate.objects.filter(
                pk=update.pk, status=S.UPDATING, attempt=update.attempt, started_at__lt=cutoff
            ).update(started_at=timezone.now())
            if claimed:
                vendor_update_enqueue(update=update)
                requeued += 1
    logger.info("%s: re-queued %s stuck vendor updates", RECOVERY, requeued)
    return requeued
