"""Which import runs when: by hand, after a webhook, or on schedule.

A request marks the cursor (requested_at) and queues one task; further requests while that
task waits queue nothing more, so a burst of webhooks costs one sync. Intervals come from
settings.ERP_SYNC_INTERVAL_MINUTES, e.g. {"jobs": 60, "vendors": 60, "job_costs": 30,
"cost_codes": 360}; missing kinds use DEFAULT_INTERVALS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.timesince import timesince

from approvals.models import SyncCursor, SyncKind
from approvals.services import erp
from approvals.services.exporting.exports import max_tries, next_try_after
from approvals.services.importing import sync_runs
from approvals.services.importing.imports_cost_codes import cost_codes_sync
from approvals.services.importing.imports_jobs import jobs_sync
from approvals.services.importing.imports_vendors import vendors_sync
from approvals.services.importing.job_costs import job_costs_sync
from integrations.base import TransientERPError
from integrations.models import ERPConnection

SYNCS = {
    SyncKind.COST_CODES: cost_codes_sync,
    SyncKind.JOBS: jobs_sync,
    SyncKind.VENDORS: vendors_sync,
    SyncKind.JOB_COSTS: job_costs_sync,
}
DEFAULT_INTERVALS = {
    SyncKind.COST_CODES: 60,
    SyncKind.JOBS: 60,
    SyncKind.VENDORS: 60,
    SyncKind.JOB_COSTS: 60,
}


def sync_run(*, connection: ERPConnection, kind: str, progress=None) -> sync_runs.SyncSummary:
    """Run one import now (raises SyncAlreadyRunning when one of its kind is under way)."""
    return SYNCS[SyncKind(kind)](connection=connection, progress=progress)


def interval(kind: str) -> timedelta:
    configured = settings.ERP_SYNC_INTERVAL_MINUTES
    minutes = configured.get(str(kind), DEFAULT_INTERVALS[SyncKind(kind)])
    return timedelta(minutes=float(minutes))


def sync_request(*, connection: ERPConnection, kind: str) -> bool:
    """Queue one run of `kind` unless one already waits; True when this call queued it. An ERP
    whose own agent reads for it has the reads queued for the agent instead of a worker."""
    from approvals import sync_tasks

    agent = erp.agent_imports(connection)
    if agent is not None:
        return agent.request(kind)
    cursor = sync_runs.cursor_for(connection, kind)
    now = timezone.now()
    forgotten = now - timedelta(seconds=sync_runs.lease_seconds())
    with transaction.atomic():
        claimed = SyncCursor.objects.filter(
            Q(requested_at__isnull=True) | Q(requested_at__lt=forgotten), pk=cursor.pk
        ).update(requested_at=now)
        if claimed:
            sync_tasks.sync_run.enqueue(str(kind), connection.pk)
    return bool(claimed)


@dataclass(frozen=True)
class SyncState:
    """Where one import of one connection stands, for a page to say without asking the ERP."""

    kind: str
    running_since: datetime | None = None
    requested_at: datetime | None = None
    last_run_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str = ""
    counts: dict = field(default_factory=dict)
    next_due_at: datetime | None = None
    due_now: bool = True
    finished_ago: str = ""
    waits_for_agent: str = ""
    """When the ERP's own agent does the reads: the sentence saying when it will."""

    @property
    def running(self) -> bool:
        return self.running_since is not None

    @property
    def queued(self) -> bool:
        return self.requested_at is not None and not self.running

    @property
    def failed(self) -> bool:
        return not self.running and bool(self.last_error)

    @property
    def counted(self) -> str:
        """What the run did (so far, while it runs): "12 new, 3 changed, 1 removed"."""
        counts = self.counts
        parts = [
            f"{counts.get('created', 0)} new",
            f"{counts.get('updated', 0)} changed",
            f"{counts.get('deleted', 0)} removed",
            f"{counts.get('unchanged', 0)} unchanged",
        ]
        return ", ".join(parts)


def sync_state(*, connection: ERPConnection, kind: str, now=None) -> SyncState:
    """Running (someone holds the lease), queued (a request waits for a worker), how the last
    run ended and when the schedule next runs it."""
    now = now or timezone.now()
    agent = erp.agent_imports(connection)
    queued = agent.state(kind) if agent is not None else None
    cursor = SyncCursor.objects.filter(erp_connection=connection, kind=kind).first()
    if cursor is None:
        cursor = SyncCursor(erp_connection=connection, kind=kind)
        if queued is None:
            return SyncState(kind=kind)
    if queued is not None:
        running_since, requested_at = queued.reading_since, queued.waiting_since
    else:
        running = cursor.lease_until is not None and cursor.lease_until > now
        forgotten = now - timedelta(seconds=sync_runs.lease_seconds())
        waiting = cursor.requested_at is not None and cursor.requested_at >= forgotten
        running_since = cursor.last_run_at if running else None
        requested_at = cursor.requested_at if waiting else None
    next_due_at = cursor.last_run_at + interval(kind) if cursor.last_run_at else None
    return SyncState(
        kind=kind,
        running_since=running_since,
        requested_at=requested_at,
        waits_for_agent=queued.agent_news if queued is not None else "",
        last_run_at=cursor.last_run_at,
        last_success_at=cursor.last_success_at,
        last_error=cursor.last_error,
        counts=cursor.last_summary or {},
        next_due_at=next_due_at,
        due_now=next_due_at is None or next_due_at <= now,
        finished_ago=_ago(cursor.last_success_at, now),
    )


def _ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return ""
    if now - moment < timedelta(minutes=1):
        return "less than a minute ago"
    return f"{timesince(moment, now)} ago"


def sync_request_again(
    *, connection: ERPConnection, kind: str, error: TransientERPError, try_number: int
) -> str:
    """Queue the run of `kind` that `error` interrupted again, when the ERP said or after the
    back-off (a rate-limited run is not counted); it resumes after the last batch stored. Past
    the last try it waits for its next scheduled run."""
    from approvals import sync_tasks

    next_try, delay = next_try_after(error, try_number)
    if next_try > max_tries():
        return f"gave up after {try_number} tries; the next scheduled run carries on"
    run_after = timezone.now() + timedelta(seconds=delay)
    cursor = sync_runs.cursor_for(connection, kind)
    with transaction.atomic():
        SyncCursor.objects.filter(pk=cursor.pk).update(requested_at=timezone.now())
        sync_tasks.sync_run.using(run_after=run_after).enqueue(str(kind), connection.pk, next_try)
    return f"asked again in {delay:.0f} s"


def syncs_due(*, now=None) -> list[tuple[ERPConnection, str]]:
    """(connection, kind) of every import whose interval has passed since its last run."""
    now = now or timezone.now()
    due = []
    for connection in ERPConnection.objects.filter(is_active=True).order_by("pk"):
        last_runs = dict(
            SyncCursor.objects.filter(erp_connection=connection).values_list("kind", "last_run_at")
        )
        for kind in SyncKind:
            last = last_runs.get(kind.value)
            if last is None or now - last >= interval(kind):
                due.append((connection, kind.value))
    return due


def syncs_enqueue_due(*, now=None) -> list[str]:
    """Queue every due import; returns what was queued, for the scheduler's log."""
    queued = []
    for connection, kind in syncs_due(now=now):
        if sync_request(connection=connection, kind=kind):
            queued.append(f"{SyncKind(kind).label} from {connection}")
    return queued
