"""The project's job costs: committed, invoiced and actual cost per cost code, with drill-down;
and the job-cost sync that brings the actual costs, which anyone on the project may start."""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from approvals import permissions
from approvals.ids import parsed_id
from approvals.models import CostCode, SyncKind
from approvals.selectors_job_costs import (
    NO_COST_CODE,
    CostCodeRow,
    project_job_cost_detail,
    project_job_cost_report,
    project_job_cost_transactions,
)
from approvals.services import erp
from approvals.services.importing import sync_schedule
from approvals.views.access import member_project
from money import ZERO

NONE = "none"
SYNC_STATUS_TEMPLATE = "approvals/_job_cost_sync_status.html"


@login_required
def project_job_costs(request, pk):
    project = member_project(request.user, pk)
    chosen = request.GET.get("cost_code", "")
    transactions = detail = heading = None
    if chosen:
        cost_code_id = None if chosen == NONE else parsed_id(chosen)
        if chosen != NONE and cost_code_id is None:
            raise Http404("No such cost code.")
        heading = (
            NO_COST_CODE
            if cost_code_id is None
            else f"Cost code {get_object_or_404(CostCode, pk=cost_code_id)}"
        )
        transactions = project_job_cost_transactions(project, cost_code_id=cost_code_id)[:500]
        detail = project_job_cost_detail(project, cost_code_id=cost_code_id)
    report = project_job_cost_report(project)
    return render(
        request,
        "approvals/job_costs.html",
        {
            "project": project,
            "report": report,
            "bars": cost_code_bars(report),
            "chosen": chosen,
            "transactions": transactions,
            "detail": detail,
            "heading": heading,
            "none": NONE,
            "sync": _sync_context(request.user, project),
        },
    )


def _sync_context(user, project) -> dict:
    """What the page says about the job-cost sync: its state read from our database, never
    from the ERP, so the page answers at once whatever the ERP does."""
    connection, problem = erp.active_connection_with_problem()
    state = (
        sync_schedule.sync_state(connection=connection, kind=SyncKind.JOB_COSTS)
        if connection is not None and project.job_cost_sync_enabled
        else None
    )
    return {
        "project": project,
        "state": state,
        "problem": problem,
        "erp_name": erp.erp_name(connection),
        "interval_minutes": int(sync_schedule.interval(SyncKind.JOB_COSTS).total_seconds() // 60),
        "may_enable": permissions.can_decide(user, project),
    }


@login_required
@require_POST
def project_job_costs_sync(request, pk):
    """Sync now: queue the job-cost import for a worker (never run it while the person waits);
    a second click while one waits or runs queues nothing more."""
    project = member_project(request.user, pk)
    page = reverse("approvals:project_job_costs", args=[project.pk]) + "#sync"
    if not project.job_cost_sync_enabled:
        messages.error(
            request,
            f"Job-cost syncing is not enabled for project '{project}'; an accountant enables "
            "it once the project is synced.",
        )
        return redirect(page)
    connection, problem = erp.active_connection_with_problem()
    if connection is None:
        messages.error(request, problem)
        return redirect(page)
    state = sync_schedule.sync_state(connection=connection, kind=SyncKind.JOB_COSTS)
    if state.running:
        messages.info(request, "A job-cost sync is running now; its result shows here when done.")
    elif sync_schedule.sync_request(connection=connection, kind=SyncKind.JOB_COSTS):
        messages.success(
            request,
            f"Job-cost sync requested; {_when_it_starts(connection, 'as soon as a worker is free')}",
        )
    else:
        _not_requested(request, connection)
    return redirect(page)


def _not_requested(request, connection) -> None:
    """One already waits; or the ERP's own agent cannot take it (its state says why)."""
    state = sync_schedule.sync_state(connection=connection, kind=SyncKind.JOB_COSTS)
    if state.waits_for_agent and not (state.queued or state.running):
        messages.error(
            request, f"The job-cost sync could not be requested. {state.waits_for_agent}"
        )
    else:
        messages.info(
            request,
            f"A job-cost sync was already requested; {_when_it_starts(connection, 'shortly')}",
        )


def _when_it_starts(connection, soon: str) -> str:
    """A worker starts it `soon`; an ERP's own agent when it next runs, as its state says."""
    state = sync_schedule.sync_state(connection=connection, kind=SyncKind.JOB_COSTS)
    if state.waits_for_agent:
        return f"it waits for {erp.erp_name(connection)}. {state.waits_for_agent}"
    return f"it starts {soon}."


@never_cache
@login_required
def project_job_costs_sync_status(request, pk):
    """The sync's state for the page to follow while it waits or runs (polled every few
    seconds); `active` false once it has ended, when the page reloads with the new costs."""
    project = member_project(request.user, pk)
    sync = _sync_context(request.user, project)
    state = sync["state"]
    return JsonResponse(
        {
            "active": state is not None and (state.running or state.queued),
            "html": render_to_string(SYNC_STATUS_TEMPLATE, {"sync": sync}, request=request),
        }
    )


@dataclass(frozen=True)
class Bars:
    """One cost code of the chart: each figure's bar as a percentage of the largest figure."""

    row: CostCodeRow
    committed: str
    invoiced: str
    waiting: str
    waiting_from: str
    actual: str


def cost_code_bars(report) -> list[Bars]:
    largest = max(
        (max(row.committed, row.invoiced + row.waiting, row.actual) for row in report.rows),
        default=ZERO,
    )

    def width(amount: Decimal) -> str:
        if largest <= 0 or amount <= 0:
            return "0"
        return f"{amount * 100 / largest:.2f}"

    return [
        Bars(
            row=row,
            committed=width(row.committed),
            invoiced=width(row.invoiced),
            waiting=width(row.waiting),
            waiting_from=width(row.invoiced),
            actual=width(row.actual),
        )
        for row in report.rows
    ]
