from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from approvals.forms.invoices import InvoiceForm, invoice_line_formset
from approvals.ids import parsed_id
from approvals.locking import locked_fields
from approvals.models import SubcontractorInvoice
from approvals.schedule import invoice_rows
from approvals.services import invoices_send_bulk
from approvals.views.access import (
    member_commitment,
    member_invoice,
    member_project,
    require_permission,
)
from approvals.views.editing import CONCURRENT_EDIT, edit_with_lines, save_edit
from approvals.views.sync import sync_panel

LINES_LOCKED = (
    "The amounts of this invoice are locked because it was sent to the ERP; nothing was saved. "
    "Retrieve it first to change them."
)
NOTHING_CHOSEN = "Tick at least one invoice to send."


@login_required
def invoice_create(request, commitment_pk):
    commitment = member_commitment(request.user, commitment_pk)
    require_permission(request.user, "add_subcontractorinvoice")
    invoice = SubcontractorInvoice(commitment=commitment, created_by=request.user)
    data = request.POST if request.method == "POST" else None
    form = InvoiceForm(data, instance=invoice, commitment=commitment)
    formset = invoice_line_formset(commitment=commitment, data=data)
    if data is not None and form.is_valid() and formset.is_valid():
        try:
            with transaction.atomic():
                save_edit(form)
                formset.save(invoice)
        except IntegrityError:
            form.add_error(None, CONCURRENT_EDIT)
        else:
            messages.success(request, f"Invoice {invoice.number} was created.")
            return redirect("approvals:invoice_detail", pk=invoice.pk)
    return _render_form(request, commitment, form, formset, invoice=None)


@login_required
def invoice_detail(request, pk):
    invoice = member_invoice(request.user, pk)
    gross, retainage, net = invoice.totals()
    context = {
        "invoice": invoice,
        "commitment": invoice.commitment,
        "project": invoice.commitment.project,
        "rows": invoice_rows(invoice),
        "gross": gross,
        "retainage": retainage,
        "net": net,
        **sync_panel(request.user, invoice),
    }
    return render(request, "approvals/invoice_detail.html", context)


@login_required
def invoice_edit(request, pk):
    invoice = member_invoice(request.user, pk)
    require_permission(request.user, "change_subcontractorinvoice")
    commitment = invoice.commitment
    return edit_with_lines(
        request,
        invoice,
        make_form=lambda record, data: InvoiceForm(
            data, instance=record, commitment=commitment, locked=locked_fields(record)
        ),
        make_formset=lambda record, data: invoice_line_formset(
            commitment=commitment, invoice=record, data=data
        ),
        save_lines=lambda formset, record: formset.save(record),
        lines_locked_message=LINES_LOCKED,
        saved_message=lambda record: f"Invoice {record.number} was saved.",
        render_page=lambda form, formset, record: _render_form(
            request, commitment, form, formset, invoice=record
        ),
    )


@login_required
@require_POST
def invoices_send(request, project_pk):
    """Bulk send from the project's invoice list; every invoice gets its own outcome message."""
    project = member_project(request.user, project_pk)
    chosen = [
        pk for value in request.POST.getlist("invoice") if (pk := parsed_id(value)) is not None
    ]
    invoices = list(
        SubcontractorInvoice.objects.filter(commitment__project=project, pk__in=chosen)
        .select_related("commitment__project", "commitment__vendor")
        .order_by("number", "pk")
    )
    if not invoices:
        messages.error(request, NOTHING_CHOSEN)
    else:
        for outcome in invoices_send_bulk(invoices=invoices, actor=request.user):
            level = messages.SUCCESS if outcome.ok else messages.ERROR
            messages.add_message(request, level, outcome.message)
    return redirect(reverse("approvals:project_detail", args=[project.pk]) + "#invoices")


def _render_form(request, commitment, form, formset, *, invoice):
    context = {
        "form": form,
        "formset": formset,
        "commitment": commitment,
        "project": commitment.project,
        "invoice": invoice,
        "rows": invoice_rows(invoice) if invoice else [],
    }
    return render(request, "approvals/invoice_form.html", context)
