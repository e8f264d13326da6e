from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render

from approvals.forms.change_orders import ChangeOrderForm, ChangeOrderLineFormSet
from approvals.forms.lines import adding_line, with_added_line
from approvals.locking import locked_fields
from approvals.models import CommitmentChangeOrder
from approvals.views.access import member_change_order, member_commitment, require_permission
from approvals.views.editing import (
    CONCURRENT_EDIT,
    LINES_PREFIX,
    edit_with_lines,
    save_edit,
)
from approvals.views.sync import sync_panel
from money import ZERO

LINES_LOCKED = (
    "The lines of this change order are locked because it was sent to the ERP; "
    "nothing was saved. Retrieve it first to change them."
)


@login_required
def change_order_create(request, commitment_pk):
    commitment = member_commitment(request.user, commitment_pk)
    require_permission(request.user, "add_commitmentchangeorder")
    change_order = CommitmentChangeOrder(commitment=commitment, created_by=request.user)
    data = request.POST if request.method == "POST" else None
    if adding_line(request):
        data = with_added_line(request.POST, LINES_PREFIX)
    form = ChangeOrderForm(data, instance=change_order, commitment=commitment)
    formset = ChangeOrderLineFormSet(
        data, instance=change_order, commitment=commitment, prefix=LINES_PREFIX
    )
    if data is not None and not adding_line(request) and form.is_valid() and formset.is_valid():
        try:
            with transaction.atomic():
                save_edit(form)
                formset.save()
        except IntegrityError:
            form.add_error(None, CONCURRENT_EDIT)
        else:
            messages.success(request, f"Change order {change_order.number} was created.")
            return redirect("approvals:change_order_detail", pk=change_order.pk)
    return _render_form(request, commitment, form, formset, change_order=None)


@login_required
def change_order_detail(request, pk):
    change_order = member_change_order(request.user, pk)
    lines = change_order.lines.select_related("cost_code", "commitment_line")
    context = {
        "change_order": change_order,
        "commitment": change_order.commitment,
        "project": change_order.commitment.project,
        "lines": lines,
        "total": sum((line.amount for line in lines), start=ZERO),
        **sync_panel(request.user, change_order),
    }
    return render(request, "approvals/change_order_detail.html", context)


@login_required
def change_order_edit(request, pk):
    change_order = member_change_order(request.user, pk)
    require_permission(request.user, "change_commitmentchangeorder")
    commitment = change_order.commitment
    return edit_with_lines(
        request,
        change_order,
        make_form=lambda record, data: ChangeOrderForm(
            data, instance=record, commitment=commitment, locked=locked_fields(record)
        ),
        make_formset=lambda record, data: ChangeOrderLineFormSet(
            data, instance=record, commitment=commitment, prefix=LINES_PREFIX
        ),
        lines_locked_message=LINES_LOCKED,
        saved_message=lambda record: f"Change order {record.number} was saved.",
        render_page=lambda form, formset, record: _render_form(
            request, commitment, form, formset, change_order=record
        ),
    )


def _render_form(request, commitment, form, formset, *, change_order):
    context = {
        "form": form,
        "formset": formset,
        "commitment": commitment,
        "project": commitment.project,
        "change_order": change_order,
        "lines": change_order.lines.select_related("cost_code") if change_order else [],
    }
    return render(request, "approvals/change_order_form.html", context)
