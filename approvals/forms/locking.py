"""Edit forms that show locked fields read-only and refuse them if they are posted anyway."""

from django import forms
from django.core.exceptions import ValidationError

from approvals.models import Commitment
from approvals.services.workflow.records import noun


class LockedFieldsFormMixin:
    """Disables the fields in `locked` and turns a posted change to one of them into an error.

    A disabled field alone would silently keep the stored value; a crafted request deserves a
    clear refusal instead, so the caller never believes a change was saved when it was not.
    """

    locked_message = (
        "{label} cannot be changed: this {noun} was sent to the ERP. Retrieve it while it "
        "waits for an approver; once it is synced, {after_sync}."
    )

    def __init__(self, *args, locked: frozenset[str] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        model = self._meta.model
        self.locked_noun = noun(model)
        self.after_sync = (
            "change it through a change order"
            if model is Commitment
            else "an accounting approver can unlink it to change it"
        )
        self.locked = frozenset(name for name in locked if name in self.fields)
        for name in self.locked:
            field = self.fields[name]
            field.disabled = True
            field.help_text = "Locked while the record is with the ERP."

    def clean(self):
        cleaned = super().clean()
        for name in sorted(self.locked):
            if self._posted_change(name):
                self.add_error(
                    None,
                    self.locked_message.format(
                        label=self.fields[name].label or name,
                        noun=self.locked_noun,
                        after_sync=self.after_sync,
                    ),
                )
        return cleaned

    @property
    def all_locked(self) -> bool:
        """Nothing on the form can change: the page offers no Save."""
        return bool(self.fields) and self.locked == frozenset(self.fields)

    def _posted_change(self, name: str) -> bool:
        field: forms.Field = self.fields[name]
        key = self.add_prefix(name)
        if key not in self.data:
            return False
        raw = field.widget.value_from_datadict(self.data, self.files, key)
        try:
            posted = field.clean(raw)
        except ValidationError:
            return True
        current = self.get_initial_for_field(field, name)
        try:
            current = field.clean(field.prepare_value(current))
        except ValidationError:
            return True
        return posted != current
