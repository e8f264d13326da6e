"""Saving edit forms without touching what the form does not own.

An edit writes only the form's unlocked fields (and updated_at), never the whole row: the
sync status and ERP link belong to the services, which may change them while the page is open.
"""

from collections.abc import Callable

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.forms import ModelForm
from django.shortcuts import redirect

from approvals.forms.lines import adding_line, with_added_line
from approvals.locking import lines_locked
from approvals.services.workflow.edits import exported_values, record_edited
from approvals.views.records import record_url

LINES_PREFIX = "lines"

CONCURRENT_EDIT = (
    "Someone saved a record with the same number at the same moment. "
    "Nothing was saved; check the numbers and save again."
)


def save_edit(form: ModelForm):
    """Saves a bound, valid form of a record: all fields when new, the unlocked ones otherwise."""
    instance = form.save(commit=False)
    if instance._state.adding:
        instance.save()
    else:
        unlocked = [name for name in form.fields if name not in getattr(form, "locked", ())]
        instance.save(update_fields=[*unlocked, "updated_at"])
    return instance


def locked_for_update(model, pk):
    """The record's current row, locked until the transaction ends, so a send cannot slip in."""
    return model.objects.select_for_update().get(pk=pk)


def edit_with_lines(
    request,
    record,
    *,
    make_form: Callable,
    make_formset: Callable,
    lines_locked_message: str,
    saved_message: Callable,
    render_page: Callable,
    save_lines: Callable = lambda formset, record: formset.save(),
):
    """The edit page of a record with lines (commitment, change order, invoice).

    make_form(record, data) and make_formset(record, data) build the bound (data) or unbound
    (None) form and line formset; lines posted while they are locked are refused as a whole.
    The row stays locked from reading it to saving it, so a send cannot slip in between.
    """
    if request.method != "POST":
        formset = None if lines_locked(record) else make_formset(record, None)
        return render_page(make_form(record, None), formset, record)
    if adding_line(request):
        # Without the page's script: the same page with a blank line more; nothing is saved.
        data = with_added_line(request.POST, LINES_PREFIX)
        formset = None if lines_locked(record) else make_formset(record, data)
        return render_page(make_form(record, data), formset, record)
    try:
        with transaction.atomic():
            record = locked_for_update(type(record), record.pk)
            before = exported_values(record)
            form = make_form(record, request.POST)
            formset = None
            if lines_locked(record):
                if f"{LINES_PREFIX}-TOTAL_FORMS" in request.POST:
                    form.add_error(None, lines_locked_message)
            else:
                formset = make_formset(record, request.POST)
            if form.is_valid() and (formset is None or formset.is_valid()):
                save_edit(form)
                if formset is not None:
                    save_lines(formset, record)
                record_edited(record=record, actor=request.user, before=before)
                messages.success(request, saved_message(record))
                return redirect(record_url(record))
    except IntegrityError:
        form.add_error(None, CONCURRENT_EDIT)
    return render_page(form, formset, record)
