"""The project's job costs: committed, invoiced and actual cost per cost code, with drill-down."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from approvals.ids import parsed_id
from approvals.models import CostCode
from approvals.selectors_job_costs import (
    NO_COST_CODE,
    project_job_cost_detail,
    project_job_cost_report,
    project_job_cost_transactions,
)
from approvals.views.access import member_project

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
            else str(get_object_or_404(CostCode, pk=cost_code_id))
        )
        transactions = project_job_cost_transactions(project, cost_code_id=cost_code_id)[:500]
        detail = project_job_cost_detail(project, cost_code_id=cost_code_id)
    return render(
        request,
        "approvals/job_costs.html",
        {
            "project": project,
            "report": project_job_cost_report(project),
            "chosen": chosen,
            "transactions": transactions,
            "detail": detail,
            "heading": heading,
            "none": NONE,
        },
    )
