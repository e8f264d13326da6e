from django import forms
from django.utils.functional import cached_property

from approvals.forms.choices import share_choices
from approvals.forms.lines import LineInputsNamed, commitment_line_amount, lines_total, number_lines
from approvals.forms.locking import LockedFieldsFormMixin
from approvals.models import (
    ChangeOrderLine,
    Commitment,
    CommitmentLine,
    Company,
    CostCode,
    InvoiceLine,
)
from money import MAX_MONEY, cents, plain_money

MAX_LINES = 200


class CommitmentForm(LockedFieldsFormMixin, forms.ModelForm):
    class Meta:
        model = Commitment
        fields = [
            "vendor",
            "kind",
            "number",
            "title",
            "description",
            "status",
            "default_retainage_percent",
        ]
        labels = {"vendor": "Contract company", "default_retainage_percent": "Default retainage %"}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        vendors = Company.objects.filter(projects=project, is_archived=False)
        if self.instance.vendor_id:
            vendors = vendors | Company.objects.filter(pk=self.instance.vendor_id)
        self.fields["vendor"].queryset = vendors.distinct().order_by("name")
        self.fields["vendor"].empty_label = "Choose a company from the project directory"
        self.fields["vendor"].error_messages["invalid_choice"] = (
            "Choose a company from the project directory."
        )
        self.fields[
            "vendor"
        ].help_text = "Companies in this project's directory. Add a company to the directory first."

    def clean_number(self):
        number = self.cleaned_data["number"].strip()
        if not number:
            raise forms.ValidationError("Enter the commitment number.")
        taken = Commitment.objects.filter(project=self.project, number__iexact=number)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(f"This project already has a commitment numbered {number}.")
        return number

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("Enter a title.")
        return title


class CommitmentLineForm(LineInputsNamed, forms.ModelForm):
    """One schedule-of-values line: an amount, or a quantity times a unit cost."""

    class Meta:
        model = CommitmentLine
        fields = ["cost_code", "description", "quantity", "unit_cost", "amount"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cost_code"].queryset = CostCode.objects.filter(is_active=True).order_by(
            "code", "cost_type"
        )
        self.fields["cost_code"].error_messages["invalid_choice"] = (
            "Choose a cost code from the standard list."
        )
        self.fields["amount"].required = False
        self.fields["amount"].help_text = "Leave empty to compute quantity times unit cost."

    def clean(self):
        cleaned = super().clean()
        quantity = cleaned.get("quantity")
        unit_cost = cleaned.get("unit_cost")
        amount = cleaned.get("amount")
        if any(self.has_error(name) for name in ("quantity", "unit_cost", "amount")):
            return cleaned
        if (quantity is None) != (unit_cost is None):
            raise forms.ValidationError(
                "Enter both a quantity and a unit cost, or neither and an amount."
            )
        if quantity is not None:
            if quantity < 0 or unit_cost < 0:
                raise forms.ValidationError("Quantity and unit cost cannot be negative.")
            computed = cents(quantity * unit_cost)
            if computed > MAX_MONEY:
                raise forms.ValidationError("Quantity times unit cost is too large for one line.")
            if amount is not None and amount != computed:
                raise forms.ValidationError(
                    f"The amount {plain_money(amount)} does not match quantity times unit cost "
                    f"({plain_money(computed)}). Leave the amount empty to have it computed."
                )
            cleaned["amount"] = computed
        elif amount is None:
            raise forms.ValidationError("Enter an amount, or a quantity and a unit cost.")
        if cleaned["amount"] < 0:
            raise forms.ValidationError("A schedule-of-values line cannot be negative.")
        self.instance.amount = cleaned["amount"]
        return cleaned


class BaseCommitmentLineFormSet(forms.BaseInlineFormSet):
    default_error_messages = {
        "too_many_forms": "A commitment can have at most %(num)d schedule-of-values lines.",
    }

    @cached_property
    def forms(self):
        line_forms = super().forms
        share_choices(line_forms, "cost_code")
        number_lines(line_forms)
        return line_forms

    def typed_total(self):
        return lines_total(self.forms, commitment_line_amount)

    def clean(self):
        super().clean()
        for form in self.deleted_forms:
            line = form.instance
            if line.pk and _line_is_referenced(line):
                raise forms.ValidationError(
                    f"Line {line.position} ({line.cost_code.code}) is billed on an invoice or "
                    "changed by a change order, so it cannot be deleted. Set its amount instead."
                )

    def save(self, commit=True):
        for line in self.deleted_objects_to_remove():
            line.delete()
        kept = [
            form.instance
            for form in self.forms
            if form not in self.deleted_forms and (form.instance.pk or form.has_changed())
        ]
        for position, line in enumerate(kept, start=1):
            line.commitment = self.instance
            line.position = position
            line.save()
        return kept

    def deleted_objects_to_remove(self):
        return [form.instance for form in self.deleted_forms if form.instance.pk]


def _line_is_referenced(line: CommitmentLine) -> bool:
    return (
        InvoiceLine.objects.filter(commitment_line=line).exists()
        or ChangeOrderLine.objects.filter(commitment_line=line).exists()
    )


CommitmentLineFormSet = forms.inlineformset_factory(
    Commitment,
    CommitmentLine,
    form=CommitmentLineForm,
    formset=BaseCommitmentLineFormSet,
    # One blank line to start with; the page adds more as they are needed.
    extra=1,
    can_delete=True,
    max_num=MAX_LINES,
    absolute_max=MAX_LINES,
    validate_max=True,
)
