"""The project's job costs: committed, invoiced and actual cost per cost code, with drill-down."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from approvals.selectors_job_costs import project_job_cost_report, project_job_cost_transactions
from approvals.views.access import member_project

NONE = "none"


@login_required
def project_job_costs(request, pk):
    project = member_project(request.user, pk)
    chosen = request.GET.get("cost_code", "")
    transactions = None
    if chosen:
        if chosen != NONE and not chosen.isdigit():
            raise Http404("No such cost code.")
        transactions = project_job_cost_transactions(
            project, cost_code_id=None if chosen == NONE else int(chosen)
        )[:500]
    return render(
        request,
        "approvals/job_costs.html",
        {
            "project": project,
            "report": project_job_cost_report(project),
            "chosen": chosen,
            "transactions": transactions,
            "none": NONE,
        },
    )
