from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render

from approvals.forms.commitments import CommitmentForm, CommitmentLineFormSet
from approvals.forms.lines import adding_line, with_added_line
from approvals.locking import locked_fields
from approvals.models import Commitment
from approvals.schedule import revised_schedule, schedule_totals
from approvals.selectors import commitment_retainage, commitment_revised_total, commitment_total
from approvals.services.importing.job_costs import commitment_paid_to_date
from approvals.views.access import member_commitment, member_project, require_permission
from approvals.views.editing import (
    CONCURRENT_EDIT,
    LINES_PREFIX,
    edit_with_lines,
    save_edit,
)
from approvals.views.sync import sync_panel

LINES_LOCKED = (
    "The schedule of values is locked because this commitment was sent to the ERP; "
    "nothing was saved. Change its lines through a change order."
)


@login_required
def commitment_create(request, project_pk):
    project = member_project(request.user, project_pk)
    require_permission(request.user, "add_commitment")
    commitment = Commitment(project=project, created_by=request.user)
    data = request.POST if request.method == "POST" else None
    if adding_line(request):
        data = with_added_line(request.POST, LINES_PREFIX)
    form = CommitmentForm(data, instance=commitment, project=project)
    formset = CommitmentLineFormSet(data, instance=commitment, prefix=LINES_PREFIX)
    if data is not None and not adding_line(request) and form.is_valid() and formset.is_valid():
        try:
            with transaction.atomic():
                save_edit(form)
                formset.save()
        except IntegrityError:
            form.add_error(None, CONCURRENT_EDIT)
        else:
            messages.success(request, f"Commitment {commitment} was created.")
            return redirect("approvals:commitment_detail", pk=commitment.pk)
    context = {"form": form, "formset": formset, "project": project, "commitment": commitment}
    return render(request, "approvals/commitment_form.html", context)


@login_required
def commitment_detail(request, pk):
    commitment = member_commitment(request.user, pk)
    held, released = commitment_retainage(commitment)
    schedule = revised_schedule(commitment)
    context = {
        "commitment": commitment,
        "project": commitment.project,
        "schedule": schedule,
        "schedule_totals": schedule_totals(schedule),
        "total": commitment_total(commitment),
        "revised_total": commitment_revised_total(commitment),
        "change_orders": commitment.change_orders.order_by("number"),
        "invoices": commitment.invoices.with_totals().order_by("-billing_date", "number"),
        "retainage_held": held,
        "retainage_released": released,
        "payments": commitment_paid_to_date(commitment),
        **sync_panel(request.user, commitment),
    }
    return render(request, "approvals/commitment_detail.html", context)


@login_required
def commitment_edit(request, pk):
    commitment = member_commitment(request.user, pk)
    require_permission(request.user, "change_commitment")
    project = commitment.project
    return edit_with_lines(
        request,
        commitment,
        make_form=lambda record, data: CommitmentForm(
            data, instance=record, project=project, locked=locked_fields(record)
        ),
        make_formset=lambda record, data: CommitmentLineFormSet(
            data, instance=record, prefix=LINES_PREFIX
        ),
        lines_locked_message=LINES_LOCKED,
        saved_message=lambda record: f"Commitment {record} was saved.",
        render_page=lambda form, formset, record: _render_edit(request, record, form, formset),
    )


def _render_edit(request, commitment, form, formset):
    context = {
        "form": form,
        "formset": formset,
        "commitment": commitment,
        "project": commitment.project,
        "lines": commitment.lines.select_related("cost_code"),
    }
    return render(request, "approvals/commitment_form.html", context)
