"""The queues an accountant works through, as a list filter and as tabs above each changelist."""

from dataclasses import dataclass

from django.contrib import admin
from django.utils.http import urlencode

from approvals.admin.paginator import CappedCountPaginator
from approvals.services import erp
from approvals.states import SyncStatus, status_label

QUEUE_PARAMETER = "queue"


@dataclass(frozen=True)
class Queue:
    slug: str
    label: str
    status: SyncStatus
    waiting: bool
    """Waiting queues need the accountant; their tabs show a count and list the oldest first."""
    only_while_filled: bool = False
    """Shown only while it holds records: only some ERPs ever fill it."""

    def label_for(self, erp_name: str) -> str:
        """The queue's name; the records waiting for an ERP's own agent name that ERP."""
        if self.status == SyncStatus.AWAITING_ERP:
            return status_label(self.status, erp_name=erp_name)
        return self.label


QUEUES = (
    Queue("ready", "Ready to Export", SyncStatus.READY_TO_EXPORT, waiting=True),
    Queue("failed", "Failed to Export", SyncStatus.EXPORT_FAILED, waiting=True),
    Queue("exporting", "Exporting", SyncStatus.EXPORTING, waiting=False),
    Queue(
        "awaiting",
        SyncStatus.AWAITING_ERP.label,
        SyncStatus.AWAITING_ERP,
        waiting=False,
        only_while_filled=True,
    ),
    Queue("synced", "Synced", SyncStatus.SYNCED, waiting=False),
    Queue("rejected", "Rejected", SyncStatus.REJECTED, waiting=False),
)
QUEUES_BY_SLUG = {queue.slug: queue for queue in QUEUES}


def queue_url(changelist_url: str, queue: Queue | None) -> str:
    if queue is None:
        return changelist_url
    return f"{changelist_url}?{urlencode({QUEUE_PARAMETER: queue.slug})}"


def connected_erp_name() -> str:
    """The name queue labels give the connected ERP."""
    return erp.erp_name(erp.active_connection_or_none())


def queues_shown(queryset, *, active: Queue | None = None) -> list[Queue]:
    """The queues worth a tab for these records: every one, but those shown only while filled
    when they are empty (and not the one open)."""
    return [
        queue
        for queue in QUEUES
        if not queue.only_while_filled
        or queue == active
        or queryset.filter(sync_status=queue.status).exists()
    ]


def selected_queue(request) -> Queue | None:
    return QUEUES_BY_SLUG.get(request.GET.get(QUEUE_PARAMETER, ""))


class QueueFilter(admin.SimpleListFilter):
    title = "queue"
    parameter_name = QUEUE_PARAMETER

    def lookups(self, request, model_admin):
        erp_name = connected_erp_name()
        shown = queues_shown(model_admin.model.objects.all(), active=selected_queue(request))
        return [(queue.slug, queue.label_for(erp_name)) for queue in shown]

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
    erp_name = connected_erp_name()
    tabs = [QueueTab("All", changelist_url, None, False, active is None)]
    for queue in queues_shown(queryset, active=active):
        count = None
        if queue.waiting:
            count = queryset.filter(sync_status=queue.status)[: cap + 1].count()
        tabs.append(
            QueueTab(
                label=queue.label_for(erp_name),
                url=queue_url(changelist_url, queue),
                count=min(count, cap) if count is not None else None,
                count_is_capped=count is not None and count > cap,
                active=queue == active,
            )
        )
    return tabs
