"""When a read queued for the Web Connector is due again, and from when it asks for changes:
what the list reads (outbox.py) and the job-cost read (job_cost_reads.py) share."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from integrations.quickbooks_desktop.models import DesktopConnection, RequestState

WAITING = (RequestState.QUEUED, RequestState.READING)
# QuickBooks has a known daylight-saving error in the times it returns; reading a document
# twice only writes it again.
OVERLAP = timedelta(hours=1)


def due(desktop: DesktopConnection, operations: tuple[str, ...], kind: str) -> bool:
    """The last read of `operations` ended (done or failed) longer ago than the interval of
    import `kind` (ERP_SYNC_INTERVAL_MINUTES), or there was none."""
    last = (
        desktop.requests.filter(operation__in=operations, finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    interval = timedelta(minutes=settings.ERP_SYNC_INTERVAL_MINUTES[kind])
    return last is None or last <= timezone.now() - interval


def last_read_started(desktop: DesktopConnection, operation: str) -> datetime | None:
    """When the last complete read of `operation` was queued (it ran after that), less the
    overlap; None when it was never read whole."""
    queued_at = (
        desktop.requests.filter(operation=operation, state=RequestState.DONE)
        .order_by("-queued_at")
        .values_list("queued_at", flat=True)
        .first()
    )
    return queued_at - OVERLAP if queued_at is not None else None
