"""Saving edit forms without touching what the form does not own.

An edit writes only the form's unlocked fields (and updated_at), never the whole row: the
sync status and ERP link belong to the services, which may change them while the page is open.
"""

from django.forms import ModelForm

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
