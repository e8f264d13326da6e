from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render

from approvals.forms.companies import AddCompanyToProjectForm
from approvals.forms.projects import ProjectForm
from approvals.locking import locked_fields
from approvals.models import (
    Commitment,
    CommitmentChangeOrder,
    Project,
    ProjectMembership,
    SubcontractorInvoice,
)
from approvals.services.workflow.edits import exported_values, record_edited
from approvals.states import SyncStatus
from approvals.views.access import member_project, require_permission
from approvals.views.editing import CONCURRENT_EDIT, locked_for_update, save_edit
from approvals.views.sync import sync_panel
from money import ZERO

_MONEY = DecimalField(max_digits=14, decimal_places=2)


def _sum(expression):
    return Coalesce(Sum(expression), Value(ZERO), output_field=_MONEY)


@login_required
def project_create(request):
    require_permission(request.user, "add_project")
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                project = form.save(commit=False)
                project.created_by = request.user
                project.save()
                ProjectMembership.objects.create(project=project, user=request.user)
        except IntegrityError:
            form.add_error(None, CONCURRENT_EDIT)
        else:
            messages.success(request, f"Project {project} was created; you are a member.")
            return redirect("approvals:project_detail", pk=project.pk)
    return render(request, "approvals/project_form.html", {"form": form})


@login_required
def project_detail(request, pk):
    project = member_project(request.user, pk)
    commitments = (
        Commitment.objects.filter(project=project)
        .select_related("vendor")
        .annotate(total=_sum("lines__amount"))
        .order_by("number")
    )
    change_orders = (
        CommitmentChangeOrder.objects.filter(commitment__project=project)
        .select_related("commitment")
        .annotate(total=_sum("lines__amount"))
        .order_by("commitment__number", "number")
    )
    invoices = (
        SubcontractorInvoice.objects.filter(commitment__project=project)
        .select_related("commitment__vendor")
        .with_totals()
        .order_by("-billing_date", "number")
    )
    context = {
        "project": project,
        "commitments": commitments,
        "change_orders": change_orders,
        "invoices": invoices,
        "companies": project.companies.order_by("name"),
        "add_company_form": AddCompanyToProjectForm(project=project),
        "sendable_status": SyncStatus.NOT_SENT,
        **sync_panel(request.user, project),
    }
    return render(request, "approvals/project_detail.html", context)


@login_required
def project_edit(request, pk):
    project = member_project(request.user, pk)
    require_permission(request.user, "change_project")
    if request.method != "POST":
        form = ProjectForm(instance=project, locked=locked_fields(project))
        return render(request, "approvals/project_form.html", {"form": form, "project": project})
    try:
        with transaction.atomic():
            project = locked_for_update(Project, project.pk)
            before = exported_values(project)
            form = ProjectForm(request.POST, instance=project, locked=locked_fields(project))
            if form.is_valid():
                save_edit(form)
                record_edited(record=project, actor=request.user, before=before)
                messages.success(request, f"Project {project} was saved.")
                return redirect("approvals:project_detail", pk=project.pk)
    except IntegrityError:
        form.add_error(None, CONCURRENT_EDIT)
    return render(request, "approvals/project_form.html", {"form": form, "project": project})
