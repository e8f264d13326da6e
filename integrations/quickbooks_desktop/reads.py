"""When a read queued for the Web Connector is due again, and from when it asks for changes:
what the list reads (outbox.py) and the job-cost read (job_cost_reads.py) share.

A read of changes starts from the latest time of change QuickBooks answered the last time
(reference §2.4), in QuickBooks' clock, less an hour of overlap; reading a document twice only
writes it again."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from integrations.quickbooks_desktop.models import DesktopConnection, RequestState

WAITING = (RequestState.QUEUED, RequestState.READING)
# QuickBooks has a known daylight-saving error in the times it returns.
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


def resume_from(desktop: DesktopConnection, operation: str) -> datetime | None:
    """Where a read of changes of `operation` starts: the latest time of change the last
    complete read saw, less the overlap (QuickBooks' own clock: the accountant's computer may
    keep another time than ours), else what that read asked from; None (read everything) when
    there was none, or it asked for everything and QuickBooks had nothing."""
    last = (
        desktop.requests.filter(operation=operation, state=RequestState.DONE)
        .order_by("-queued_at")
        .values_list("newest_seen", "changed_since")
        .first()
    )
    if last is None:
        return None
    newest_seen, changed_since = last
    if newest_seen is not None:
        return newest_seen - OVERLAP
    return changed_since
