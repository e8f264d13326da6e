"""The queues an accountant works through, as tabs above each changelist (a list filter that
shows nothing of its own), and the project and vendor filters beside them.

A changelist opens on Ready to Export: that is what waits for the accountant. "All" is a queue
of its own in the query string, so that sorting, searching or filtering keeps what is shown.
"""

from dataclasses import dataclass

from django.contrib import admin
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR
from django.utils.http import urlencode

from approvals.admin.paginator import CappedCountPaginator
from approvals.ids import parsed_id
from approvals.models import Company, Project
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
DEFAULT_QUEUE = QUEUES_BY_SLUG["ready"]
ALL_QUEUES = "all"


def queue_url(changelist_url: str, queue: Queue | None) -> str:
    """The changelist showing one queue, or every record (`queue` None)."""
    slug = queue.slug if queue is not None else ALL_QUEUES
    return f"{changelist_url}?{urlencode({QUEUE_PARAMETER: slug})}"


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
    """The queue a changelist shows; None for every record ("all", or a pop-up choosing one)."""
    slug = request.GET.get(QUEUE_PARAMETER)
    if slug is None:
        return None if IS_POPUP_VAR in request.GET else DEFAULT_QUEUE
    return QUEUES_BY_SLUG.get(slug)


class QueueFilter(admin.SimpleListFilter):
    """Filters by the queue of the tabs; the tabs are its only face."""

    title = "queue"
    parameter_name = QUEUE_PARAMETER
    template = "admin/approvals/filters/none.html"

    def lookups(self, request, model_admin):
        return [(queue.slug, queue.label) for queue in QUEUES] + [(ALL_QUEUES, "All")]

    def queryset(self, request, queryset):
        queue = selected_queue(request)
        if queue is None:
            return queryset
        return queryset.filter(sync_status=queue.status)


class RelatedChoiceFilter(admin.SimpleListFilter):
    """One of a few hundred projects or vendors, chosen in a drop-down (the stock filter lists
    them all as links) that submits with the rest of the query string. Made by
    project_filter and vendor_filter."""

    template = "admin/approvals/filters/select.html"
    related_model: type
    ordering: tuple[str, ...]
    path: str
    """The lookup from a record to the related row ("commitment__vendor")."""

    def lookups(self, request, model_admin):
        used = model_admin.model.objects.values(f"{self.path}_id")
        rows = self.related_model.objects.filter(pk__in=used).order_by(*self.ordering)
        return [(str(row.pk), str(row)) for row in rows]

    def queryset(self, request, queryset):
        pk = parsed_id(self.value() or "")
        if pk is None:
            return queryset
        return queryset.filter(**{f"{self.path}_id": pk})

    def choices(self, changelist):
        kept = [
            (name, value)
            for name, values in changelist.filter_params.items()
            if name not in (self.parameter_name, PAGE_VAR, ERROR_FLAG)
            for value in values
        ]
        yield {"value": "", "display": "All", "selected": self.value() is None, "kept": kept}
        for value, display in self.lookup_choices:
            yield {"value": value, "display": display, "selected": self.value() == value}


def project_filter(path: str) -> type[RelatedChoiceFilter]:
    """The project filter of records reaching their project through `path`."""
    return type(
        "ProjectFilter",
        (RelatedChoiceFilter,),
        {
            "title": "project",
            "parameter_name": "project",
            "related_model": Project,
            "ordering": ("number", "pk"),
            "path": path,
        },
    )


def vendor_filter(path: str) -> type[RelatedChoiceFilter]:
    """The vendor filter of records reaching their vendor through `path`."""
    return type(
        "VendorFilter",
        (RelatedChoiceFilter,),
        {
            "title": "vendor",
            "parameter_name": "vendor",
            "related_model": Company,
            "ordering": ("name", "pk"),
            "path": path,
        },
    )


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
    tabs = [QueueTab("All", queue_url(changelist_url, None), None, False, active is None)]
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
