"""What a load balancer or monitor asks: does the database answer, do exports leave the queue,
is the ERP still connected. Read from our own tables only; the ERP itself is never called."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, TaskResultStatus, get_date_max

from approvals.services import erp
from approvals.services.database_outage import DATABASE_UNREACHABLE
from approvals.tasks import EXPORTS_QUEUE

CONNECTED = "connected"
NEEDS_RECONNECT = "needs reconnect"
NOT_CONNECTED = "not connected"


@dataclass(frozen=True)
class Health:
    database_answers: bool
    exports_waiting: int = 0
    oldest_export_waiting_seconds: float | None = None
    erp_status: str = ""
    erp_name: str = ""

    @property
    def queue_too_old(self) -> bool:
        oldest = self.oldest_export_waiting_seconds
        return oldest is not None and oldest > settings.HEALTH_EXPORT_QUEUE_MAX_AGE_SECONDS

    @property
    def healthy(self) -> bool:
        # An ERP needing a reconnect is an administrator's job, not a reason to stop serving.
        return self.database_answers and not self.queue_too_old

    def as_json(self) -> dict:
        if not self.database_answers:
            return {
                "status": "unhealthy",
                "database": "unreachable",
                "export_queue": None,
                "erp": None,
            }
        oldest = self.oldest_export_waiting_seconds
        return {
            "status": "ok" if self.healthy else "unhealthy",
            "database": "ok",
            "export_queue": {
                "status": "too old" if self.queue_too_old else "ok",
                "waiting": self.exports_waiting,
                "oldest_waiting_seconds": None if oldest is None else round(oldest, 1),
                "limit_seconds": settings.HEALTH_EXPORT_QUEUE_MAX_AGE_SECONDS,
            },
            "erp": {"status": self.erp_status, "name": self.erp_name},
        }


def health_check() -> Health:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        now = timezone.now()
        waiting, oldest = _exports_waiting(now)
        erp_status, erp_name = _erp_status(now)
    except DATABASE_UNREACHABLE:
        return Health(database_answers=False)
    return Health(
        database_answers=True,
        exports_waiting=waiting,
        oldest_export_waiting_seconds=None if oldest is None else (now - oldest).total_seconds(),
        erp_status=erp_status,
        erp_name=erp_name,
    )


def _exports_waiting(now: datetime) -> tuple[int, datetime | None]:
    """How many exports are ready to run, and since when the oldest has been: since it was
    queued, or since its retry came due."""
    ready = DBTaskResult.objects.filter(queue_name=EXPORTS_QUEUE, status=TaskResultStatus.READY)
    never_delayed = get_date_max()
    queued = ready.filter(run_after=never_delayed).aggregate(
        count=Count("pk"), oldest=Min("enqueued_at")
    )
    due = ready.filter(run_after__lte=now).aggregate(count=Count("pk"), oldest=Min("run_after"))
    oldest = [moment for moment in (queued["oldest"], due["oldest"]) if moment is not None]
    return queued["count"] + due["count"], min(oldest, default=None)


def _erp_status(now: datetime) -> tuple[str, str]:
    connection_, _problem = erp.active_connection_with_problem()
    if connection_ is None:
        return NOT_CONNECTED, erp.erp_name(None)
    expires = connection_.refresh_token_expires_at
    expired = expires is not None and expires <= now
    status = NEEDS_RECONNECT if expired or connection_.authorization_unreadable else CONNECTED
    return status, erp.erp_name(connection_)
