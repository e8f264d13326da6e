from django import forms
from django.utils.functional import cached_property

from approvals.forms.choices import share_choices
from approvals.forms.lines import LineInputsNamed, change_line_amount, lines_total, number_lines
from approvals.forms.locking import LockedFieldsFormMixin
from approvals.models import ChangeOrderLine, CommitmentChangeOrder, CommitmentLine, CostCode

MAX_LINES = 100


class ChangeOrderForm(LockedFieldsFormMixin, forms.ModelForm):
    class Meta:
        model = CommitmentChangeOrder
        fields = ["number", "title", "status"]

    def __init__(self, *args, commitment, **kwargs):
        super().__init__(*args, **kwargs)
        self.commitment = commitment

    def clean_number(self):
        number = self.cleaned_data["number"].strip()
        if not number:
            raise forms.ValidationError("Enter the change order number.")
        taken = CommitmentChangeOrder.objects.filter(
            commitment=self.commitment, number__iexact=number
        ).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                f"Commitment {self.commitment.number} already has a change order numbered {number}."
            )
        return number

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("Enter a title.")
        return title


class ChangeOrderLineForm(LineInputsNamed, forms.ModelForm):
    """Changes an existing schedule-of-values line, or adds a new line to the commitment."""

    class Meta:
        model = ChangeOrderLine
        fields = ["commitment_line", "cost_code", "description", "amount"]
        labels = {"commitment_line": "Line changed", "amount": "Change amount"}

    def __init__(self, *args, commitment, **kwargs):
        super().__init__(*args, **kwargs)
        line_field = self.fields["commitment_line"]
        line_field.queryset = CommitmentLine.objects.filter(commitment=commitment).select_related(
            "cost_code"
        )
        line_field.empty_label = "New line"
        line_field.error_messages["invalid_choice"] = "Choose a line of this commitment."
        cost_code_field = self.fields["cost_code"]
        cost_code_field.queryset = CostCode.objects.filter(is_active=True).order_by(
            "code", "cost_type"
        )
        cost_code_field.required = False
        cost_code_field.help_text = "For a new line. A changed line keeps its cost code."
        cost_code_field.error_messages["invalid_choice"] = (
            "Choose a cost code from the standard list."
        )
        self.fields["amount"].help_text = "Negative for a deduction."

    def clean(self):
        cleaned = super().clean()
        changed_line = cleaned.get("commitment_line")
        cost_code = cleaned.get("cost_code")
        amount = cleaned.get("amount")
        if changed_line is not None:
            if cost_code is not None and cost_code != changed_line.cost_code:
                raise forms.ValidationError(
                    f"Line {changed_line.position} is on cost code {changed_line.cost_code.code}; "
                    "a change to it keeps that cost code. Add a new line for another cost code."
                )
            cleaned["cost_code"] = changed_line.cost_code
            self.instance.cost_code = changed_line.cost_code
        elif cost_code is None and not self.has_error("cost_code"):
            raise forms.ValidationError("Choose a cost code for the new line.")
        if amount is not None and amount == 0:
            raise forms.ValidationError(
                "A change of 0.00 changes nothing; enter the change amount."
            )
        if changed_line is not None and amount is not None and changed_line.amount + amount < 0:
            raise forms.ValidationError(
                f"This deduction would take line {changed_line.position} below zero "
                f"(it is {changed_line.amount:,.2f})."
            )
        return cleaned


class BaseChangeOrderLineFormSet(forms.BaseInlineFormSet):
    default_error_messages = {
        "too_many_forms": "A change order can have at most %(num)d lines.",
    }

    def __init__(self, *args, commitment, **kwargs):
        self.commitment = commitment
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "commitment": self.commitment}

    @cached_property
    def forms(self):
        line_forms = super().forms
        share_choices(line_forms, "commitment_line", "cost_code")
        number_lines(line_forms)
        return line_forms

    def typed_total(self):
        return lines_total(self.forms, change_line_amount)


ChangeOrderLineFormSet = forms.inlineformset_factory(
    CommitmentChangeOrder,
    ChangeOrderLine,
    form=ChangeOrderLineForm,
    formset=BaseChangeOrderLineFormSet,
    # One blank line to start with; the page adds more as they are needed.
    extra=1,
    can_delete=True,
    max_num=MAX_LINES,
    absolute_max=MAX_LINES,
    validate_max=True,
)
