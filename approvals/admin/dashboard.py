"""The approvals dashboard: what waits, since when, and what failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil

from approvals.admin.imports import imports_waiting
from approvals.admin.queues import QUEUES, Queue, connected_erp_name, queue_url
from approvals.admin.vendor_updates import failed_url, waiting_url
from approvals.models import Company, VendorUpdateStatus
from approvals.permissions import can_decide_type
from approvals.selectors import (
    dashboard_counts,
    exported_amount,
    recent_failures,
    records_waiting,
    synced_with_findings,
    vendor_update_counts,
)
from approvals.services import erp
from approvals.services.workflow.records import EXPORTABLE_MODELS, record_title
from approvals.states import SyncStatus
from money import format_money

DASHBOARD_URL_NAME = "approvals_dashboard"
RECENT_FAILURES_SHOWN = 10
FINDINGS_SHOWN = 20


@dataclass(frozen=True)
class QueueCell:
    label: str
    count: int
    url: str
    waiting: bool


@dataclass(frozen=True)
class TypeRow:
    name: str
    changelist_url: str
    cells: list[QueueCell]
    not_sent: int


@dataclass(frozen=True)
class RecordLink:
    title: str
    url: str
    since: str
    message: str


@dataclass(frozen=True)
class Finding:
    title: str
    url: str
    what: str
    sentence: str
    in_erp: str
    approved: str
    seen: str


def register_dashboard(site) -> None:
    """Serve the dashboard at admin/approvals/dashboard/, ahead of the site's own URLs."""
    site_urls = site.get_urls

    def get_urls():
        dashboard = path(
            "approvals/dashboard/",
            site.admin_view(lambda request: dashboard_view(request, site)),
            name=DASHBOARD_URL_NAME,
        )
        return [dashboard, *site_urls()]

    site.get_urls = get_urls


@dataclass(frozen=True)
class QueueTable:
    """How many records of each type the user may see wait in each queue."""

    queue_labels: list[str]
    rows: list[TypeRow]


def visible_models(request, site) -> list:
    return [
        model
        for model in EXPORTABLE_MODELS
        if site.is_registered(model) and site.get_model_admin(model).has_view_permission(request)
    ]


def queue_table(request, site) -> QueueTable:
    """The queues table of the dashboard and of the admin index: one grouped count per type."""
    models = visible_models(request, site)
    if not models:
        return QueueTable(queue_labels=[], rows=[])
    counts = dashboard_counts(models)
    erp_name = connected_erp_name()
    queues = [
        queue
        for queue in QUEUES
        if not queue.only_while_filled or any(counts[model][queue.status] for model in models)
    ]
    return QueueTable(
        queue_labels=[queue.label_for(erp_name) for queue in queues],
        rows=[_type_row(model, counts[model], queues, erp_name) for model in models],
    )


def dashboard_view(request, site):
    models = visible_models(request, site)
    table = queue_table(request, site)
    erp_name = connected_erp_name()
    # Counted before the sidebar is, which then shows the same counts.
    imports = imports_waiting(request, with_suggestions=True)
    context = {
        **site.each_context(request),
        "title": "ERP Integrations dashboard",
        "subtitle": None,
        "rows": table.rows,
        "queue_labels": table.queue_labels,
        "oldest": _oldest_link(models),
        "failures": _failure_links(models),
        "findings": _findings(models),
        "vendor_updates": _vendor_update_counts(request),
        "imports": imports,
        "erp_name": erp_name,
        "day_spent": _day_spent(),
        "agent": erp.agent_activity(erp.active_connection_or_none()),
    }
    request.current_app = site.name
    return TemplateResponse(request, "admin/approvals/dashboard.html", context)


@dataclass(frozen=True)
class DaySpent:
    erp_name: str
    resumes_at: datetime
    resumes_in: str


def _day_spent() -> DaySpent | None:
    """The ERP's daily limit of requests reached: work waits for it (nothing fails)."""
    connection = erp.active_connection_or_none()
    resumes_at = erp.day_spent_until(connection)
    if resumes_at is None:
        return None
    return DaySpent(
        erp_name=erp.erp_name(connection),
        resumes_at=resumes_at,
        resumes_in=timeuntil(resumes_at, timezone.now()),
    )


def _vendor_update_counts(request) -> dict | None:
    """How many vendor updates wait for a decision or failed, for those who decide on them."""
    if not can_decide_type(request.user, Company):
        return None
    counts = vendor_update_counts()
    return {
        "waiting": counts[VendorUpdateStatus.WAITING],
        "failed": counts[VendorUpdateStatus.FAILED],
        "waiting_url": waiting_url(),
        "failed_url": failed_url(),
    }


def _type_row(model, per_status: dict[str, int], queues: list[Queue], erp_name: str) -> TypeRow:
    changelist_url = _changelist_url(model)
    return TypeRow(
        name=model._meta.verbose_name_plural.capitalize(),
        changelist_url=changelist_url,
        cells=[
            QueueCell(
                label=queue.label_for(erp_name),
                count=per_status[queue.status],
                url=queue_url(changelist_url, queue),
                waiting=queue.waiting,
            )
            for queue in queues
        ],
        not_sent=per_status[SyncStatus.NOT_SENT],
    )


def _oldest_link(models) -> RecordLink | None:
    candidates = [records_waiting(model=model).exclude(sent_at=None).first() for model in models]
    waiting = [record for record in candidates if record is not None]
    if not waiting:
        return None
    record = min(waiting, key=lambda candidate: candidate.sent_at)
    return RecordLink(
        title=record_title(record),
        url=_change_url(record),
        since=timesince(record.sent_at, timezone.now()),
        message="",
    )


def _failure_links(models) -> list[RecordLink]:
    return [
        RecordLink(
            title=record_title(record),
            url=_change_url(record),
            since=timesince(record.updated_at, timezone.now()),
            message=record.last_export_error,
        )
        for record in recent_failures(limit=RECENT_FAILURES_SHOWN)
        if type(record) in models
    ]


def _findings(models) -> list[Finding]:
    rows = []
    for record in synced_with_findings(limit=FINDINGS_SHOWN):
        if type(record) not in models:
            continue
        approved = exported_amount(record)
        if record.erp_drift:
            in_erp = record.erp_drift_amount
            rows.append(
                Finding(
                    title=record_title(record),
                    url=_change_url(record),
                    what=record.get_erp_drift_display(),
                    sentence=record.erp_drift_note,
                    in_erp=format_money(in_erp) if in_erp is not None else "—",
                    approved=format_money(approved) if approved is not None else "—",
                    seen=timesince(record.erp_drift_seen_at or record.updated_at, timezone.now()),
                )
            )
        if record.erp_problem:
            rows.append(
                Finding(
                    title=record_title(record),
                    url=_change_url(record),
                    what="Problem in the ERP",
                    sentence=record.erp_problem,
                    in_erp="",
                    approved=format_money(approved) if approved is not None else "—",
                    seen=timesince(record.erp_synced_at or record.updated_at, timezone.now()),
                )
            )
    return rows


def _changelist_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _change_url(record) -> str:
    opts = record._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])
