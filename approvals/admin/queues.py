"""The queues an accountant works through, as a list filter and as tabs above each changelist."""

from dataclasses import dataclass

from django.contrib import admin
from django.utils.http import urlencode

from approvals.admin.paginator import CappedCountPaginator
from approvals.states import SyncStatus

QUEUE_PARAMETER = "queue"


@dataclass(frozen=True)
class Queue:
    slug: str
    label: str
    status: SyncStatus
    waiting: bool
    """Waiting queues need the accountant; their tabs show a count and list the oldest first."""


QUEUES = (
    Queue("ready", "Ready to Export", SyncStatus.READY_TO_EXPORT, waiting=True),
    Queue("failed", "Failed to Export", SyncStatus.EXPORT_FAILED, waiting=True),
    Queue("exporting", "Exporting", SyncStatus.EXPORTING, waiting=False),
    Queue("synced", "Synced", SyncStatus.SYNCED, waiting=False),
    Queue("rejected", "Rejected", SyncStatus.REJECTED, waiting=False),
)
QUEUES_BY_SLUG = {queue.slug: queue for queue in QUEUES}


def queue_url(changelist_url: str, queue: Queue | None) -> str:
    if queue is None:
        return changelist_url
    return f"{changelist_url}?{urlencode({QUEUE_PARAMETER: queue.slug})}"


def selected_queue(request) -> Queue | None:
    return QUEUES_BY_SLUG.get(request.GET.get(QUEUE_PARAMETER, ""))


class QueueFilter(admin.SimpleListFilter):
    title = "queue"
    parameter_name = QUEUE_PARAMETER

    def lookups(self, request, model_admin):
        return [(queue.slug, queue.label) for queue in QUEUES]

    def queryset(self, request, queryset):
        queue = QUEUES_BY_SLUG.get(self.value() or "")
        if queue is None:
            return queryset
        return queryset.filter(sync_status=queue.status)


@dataclass(frozen=True)
class QueueTab:
    label: str
    url: str
    count: int | None
    count_is_capped: bool
    active: bool


def queue_tabs(*, queryset, changelist_url: str, active: Queue | None) -> list[QueueTab]:
    """One tab per queue; waiting queues carry a count that the (sync_status, sent_at) index answers."""
    cap = CappedCountPaginator.count_cap
    tabs = [QueueTab("All", changelist_url, None, False, active is None)]
    for queue in QUEUES:
        count = None
        if queue.waiting:
            count = queryset.filter(sync_status=queue.status)[: cap + 1].count()
        tabs.append(
            QueueTab(
                label=queue.label,
                url=queue_url(changelist_url, queue),
                count=min(count, cap) if count is not None else None,
                count_is_capped=count is not None and count > cap,
                active=queue == active,
            )
        )
    return tabs
