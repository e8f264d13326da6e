"""The project's job costs: committed, invoiced and actual cost per cost code, with drill-down."""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from approvals.ids import parsed_id
from approvals.models import CostCode
from approvals.selectors_job_costs import (
    NO_COST_CODE,
    CostCodeRow,
    project_job_cost_detail,
    project_job_cost_report,
    project_job_cost_transactions,
)
from approvals.views.access import member_project
from money import ZERO

NONE = "none"


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
        },
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
