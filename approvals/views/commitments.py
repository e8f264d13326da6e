from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render

from approvals.forms.commitments import CommitmentForm, CommitmentLineFormSet
from approvals.locking import lines_locked, locked_fields
from approvals.models import Commitment
from approvals.selectors import commitment_retainage, commitment_revised_total, commitment_total
from approvals.services.job_costs import commitment_paid_to_date
from approvals.views.access import member_commitment, member_project, require_permission
from approvals.views.editing import CONCURRENT_EDIT, locked_for_update, save_edit
from approvals.views.sync import sync_panel

LINES_PREFIX = "lines"
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
    form = CommitmentForm(data, instance=commitment, project=project)
    formset = CommitmentLineFormSet(data, instance=commitment, prefix=LINES_PREFIX)
    if data is not None and form.is_valid() and formset.is_valid():
        try:
            with transaction.atomic():
                save_edit(form)
                formset.save()
        except IntegrityError:
            form.add_error(None, CONCURRENT_EDIT)
        else:
            messages.success(request, f"Commitment {commitment} was created.")
            return redirect("approvals:commitment_detail", pk=commitment.pk)
    context = {"form": form, "formset": formset, "project": project}
    return render(request, "approvals/commitment_form.html", context)


@login_required
def commitment_detail(request, pk):
    commitment = member_commitment(request.user, pk)
    held, released = commitment_retainage(commitment)
    context = {
        "commitment": commitment,
        "project": commitment.project,
        "lines": commitment.lines.select_related("cost_code"),
        "total": commitment_total(commitment),
        "revised_total": commitment_revised_total(commitment),
        "change_orders": commitment.change_orders.order_by("number"),
        "invoices": commitment.invoices.order_by("-billing_date", "number"),
        "retainage_held": held,
        "retainage_released": released,
        "payments": commitment_paid_to_date(commitment),
        **sync_panel(request.user, commitment),
    }
    return render(request, "approvals/commitment_detail.html", context)


@login_required
def commitment_edit(request, pk):
    commitment = member_commitment(request.user, pk)
    project = commitment.project
    require_permission(request.user, "change_commitment")
    if request.method != "POST":
        form = CommitmentForm(
            instance=commitment, project=project, locked=locked_fields(commitment)
        )
        formset = None
        if not lines_locked(commitment):
            formset = CommitmentLineFormSet(instance=commitment, prefix=LINES_PREFIX)
        return _render_edit(request, commitment, form, formset)
    try:
        with transaction.atomic():
            commitment = locked_for_update(Commitment, commitment.pk)
            form = CommitmentForm(
                request.POST, instance=commitment, project=project, locked=locked_fields(commitment)
            )
            formset = None
            if lines_locked(commitment):
                if f"{LINES_PREFIX}-TOTAL_FORMS" in request.POST:
                    form.add_error(None, LINES_LOCKED)
            else:
                formset = CommitmentLineFormSet(
                    request.POST, instance=commitment, prefix=LINES_PREFIX
                )
            if form.is_valid() and (formset is None or formset.is_valid()):
                save_edit(form)
                if formset is not None:
                    formset.save()
                messages.success(request, f"Commitment {commitment} was saved.")
                return redirect("approvals:commitment_detail", pk=commitment.pk)
    except IntegrityError:
        form.add_error(None, CONCURRENT_EDIT)
    return _render_edit(request, commitment, form, formset)


def _render_edit(request, commitment, form, formset):
    context = {
        "form": form,
        "formset": formset,
        "commitment": commitment,
        "project": commitment.project,
        "lines": commitment.lines.select_related("cost_code"),
    }
    return render(request, "approvals/commitment_form.html", context)
