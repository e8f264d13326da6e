from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from approvals.forms.invoices import InvoiceForm, invoice_line_formset
from approvals.forms.lines import invoice_totals_typed
from approvals.ids import parsed_id
from approvals.locking import locked_fields
from approvals.models import SubcontractorInvoice
from approvals.schedule import invoice_rows
from approvals.services import invoices_send_bulk
from approvals.services.workflow.actions import duplicate_warning
from approvals.services.workflow.duplicates import (
    invoice_number_twins,
    invoice_possible_duplicates,
)
from approvals.states import SyncStatus
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
MAX_NUMBER = SubcontractorInvoice._meta.get_field("number").max_length


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
        "duplicate_warning": _duplicate_warning(invoice),
        "commitment": invoice.commitment,
        "project": invoice.commitment.project,
        "rows": invoice_rows(invoice),
        "gross": gross,
        "retainage": retainage,
        "net": net,
        **sync_panel(request.user, invoice),
    }
    return render(request, "approvals/invoice_detail.html", context)


def _duplicate_warning(invoice: SubcontractorInvoice) -> str:
    """Until it is sent, what the invoice looks like now (number, amount, period): the warning
    follows every edit. From send on, what was found when it was sent, as the approver sees it."""
    if invoice.sync_status in (SyncStatus.NOT_SENT, SyncStatus.REJECTED):
        return duplicate_warning(invoice_possible_duplicates(invoice)[1])
    return invoice.duplicate_warning


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


@login_required
@require_GET
def invoice_number_check(request, commitment_pk):
    """{"number", "warning"}: what already carries the typed invoice number for the
    commitment's vendor, here or in the ERP as last imported. Asked by the invoice form while
    the number is typed; it never calls the ERP."""
    commitment = member_commitment(request.user, commitment_pk)
    if not (
        request.user.has_perm("approvals.add_subcontractorinvoice")
        or request.user.has_perm("approvals.change_subcontractorinvoice")
    ):
        raise PermissionDenied("You may not enter invoices.")
    number = request.GET.get("number", "").strip()[:MAX_NUMBER]
    editing = parsed_id(request.GET.get("invoice", ""))
    invoice = SubcontractorInvoice(commitment=commitment, number=number)
    if editing is not None:
        invoice = (
            SubcontractorInvoice.objects.filter(commitment=commitment, pk=editing).first()
            or invoice
        )
        invoice.number = number
    return JsonResponse({"number": number, "warning": _number_warning(invoice)})


def _number_warning(invoice: SubcontractorInvoice) -> str:
    return duplicate_warning(invoice_number_twins(invoice))


def _render_form(request, commitment, form, formset, *, invoice):
    typed = SubcontractorInvoice(
        pk=invoice.pk if invoice else None,
        commitment=commitment,
        number=str(form["number"].value() or "").strip()[:MAX_NUMBER],
        erp_id=invoice.erp_id if invoice else "",
    )
    check_url = reverse("approvals:invoice_number_check", args=[commitment.pk])
    if invoice:
        check_url = f"{check_url}?invoice={invoice.pk}"
    number_open = not form.fields["number"].disabled
    if number_open:
        form.fields["number"].widget.attrs.update(
            {
                "data-number-check": check_url,
                "data-number-check-shown-in": "number-check",
                "aria-describedby": "number-check",
            }
        )
    context = {
        "form": form,
        "formset": formset,
        "commitment": commitment,
        "project": commitment.project,
        "invoice": invoice,
        "rows": invoice_rows(invoice) if invoice else [],
        "typed_totals": (
            invoice_totals_typed(form, formset.forms, commitment.default_retainage_percent)
            if formset is not None
            else None
        ),
        # A locked number was checked when the invoice was sent; its page says what was found.
        "number_warning": _number_warning(typed) if number_open else "",
    }
    return render(request, "approvals/invoice_form.html", context)
