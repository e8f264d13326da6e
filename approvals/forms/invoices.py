from decimal import Decimal

from django import forms

from approvals.forms.lines import LineInputsNamed
from approvals.forms.locking import LockedFieldsFormMixin
from approvals.models import MONEY, ApprovalPolicy, InvoiceLine, SubcontractorInvoice
from approvals.schedule import line_key, revised_schedule
from approvals.selectors import commitment_retainage
from money import MAX_MONEY, ZERO, cents, plain_money


class InvoiceForm(LockedFieldsFormMixin, forms.ModelForm):
    class Meta:
        model = SubcontractorInvoice
        fields = [
            "number",
            "billing_date",
            "period_start",
            "period_end",
            "due_date",
            "status",
            "is_retainage_release",
            "retainage_released",
        ]
        widgets = {
            name: forms.DateInput(attrs={"type": "date"})
            for name in ("billing_date", "period_start", "period_end", "due_date")
        }

    def __init__(self, *args, commitment, **kwargs):
        super().__init__(*args, **kwargs)
        self.commitment = commitment

    def clean_number(self):
        number = self.cleaned_data["number"].strip()
        if not number:
            raise forms.ValidationError("Enter the invoice number.")
        return number

    def clean_retainage_released(self):
        released = self.cleaned_data["retainage_released"]
        if released is not None and released < 0:
            raise forms.ValidationError("Retainage released cannot be negative.")
        return released

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "The billing period must end on or after its start.")
        due, billed = cleaned.get("due_date"), cleaned.get("billing_date")
        if due and billed and due < billed:
            self.add_error("due_date", "The due date cannot be before the billing date.")
        released = cleaned.get("retainage_released")
        if released and not cleaned.get("is_retainage_release"):
            self.add_error(
                "is_retainage_release",
                "Tick 'Is retainage release' to release retainage on this invoice.",
            )
        elif released and "retainage_released" not in self.locked:
            self._check_retainage_available(released)
        return cleaned

    def _check_retainage_available(self, released: Decimal) -> None:
        held, released_before = commitment_retainage(self.commitment, excluding=self.instance)
        available = held - released_before
        if released > available:
            self.add_error(
                "retainage_released",
                f"Only {plain_money(available)} of retainage is still held on commitment "
                f"{self.commitment.number} (withheld {plain_money(held)}, released "
                f"{plain_money(released_before)} on approved invoices).",
            )


def _money_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=MONEY["max_digits"],
        decimal_places=MONEY["decimal_places"],
    )


class InvoiceLineForm(LineInputsNamed, forms.Form):
    """What is billed on one line of the revised schedule of values this period."""

    # The schedule line's key ("c12", "o7"); `self.line` is the line itself.
    key = forms.CharField(widget=forms.HiddenInput)
    work_completed = _money_field("Work completed this period")
    materials_stored = _money_field("Materials stored")
    retainage_withheld = _money_field("Retainage withheld")

    def __init__(self, *args, schedule: dict, retainage_percent: Decimal, **kwargs):
        super().__init__(*args, **kwargs)
        self.schedule = schedule
        self.retainage_percent = retainage_percent
        self.line = schedule.get(self.initial.get("key", ""))

    def clean_key(self):
        key = self.cleaned_data["key"]
        if key not in self.schedule:
            raise forms.ValidationError(
                "This line is no longer on the commitment; reload the page."
            )
        return self.schedule[key]

    def clean(self):
        cleaned = super().clean()
        work = cleaned.get("work_completed") or ZERO
        materials = cleaned.get("materials_stored") or ZERO
        cleaned["work_completed"], cleaned["materials_stored"] = work, materials
        gross = work + materials
        retainage = cleaned.get("retainage_withheld")
        if retainage is None and not self.has_error("retainage_withheld"):
            retainage = cents(max(gross, ZERO) * self.retainage_percent / 100)
        cleaned["retainage_withheld"] = retainage
        if retainage is None:
            return cleaned
        if abs(gross) > MAX_MONEY:
            raise forms.ValidationError("This line's amount is too large.")
        if retainage < 0:
            self.add_error("retainage_withheld", "Retainage withheld cannot be negative.")
        elif retainage > max(gross, ZERO):
            self.add_error(
                "retainage_withheld",
                "Retainage withheld cannot be more than the work completed and materials stored "
                "on this line.",
            )
        return cleaned

    @property
    def bills_something(self) -> bool:
        data = self.cleaned_data
        return any(
            data[name] for name in ("work_completed", "materials_stored", "retainage_withheld")
        )


class BaseInvoiceLineFormSet(forms.BaseFormSet):
    def __init__(self, *args, currency: str = "USD", **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            line = form.cleaned_data.get("key")
            if line is None:
                continue
            if line.key in seen:
                raise forms.ValidationError(
                    f"Line {line.label} appears twice on this invoice; reload the page."
                )
            seen.add(line.key)
        if not ApprovalPolicy.current().allow_billing_past_balance:
            for form in self.forms:
                self._check_balance(form)

    def _check_balance(self, form) -> None:
        line = form.cleaned_data.get("key")
        if line is None:
            return
        this_period = form.cleaned_data["work_completed"] + form.cleaned_data["materials_stored"]
        excess = line.excess(this_period)
        if excess:
            form.add_error(
                None,
                f"This bills {plain_money(line.billed_before + this_period)} of the line's revised "
                f"value of {plain_money(line.revised)} ({plain_money(line.billed_before)} billed before): "
                f"{plain_money(excess)} past its balance.",
            )

    def save(self, invoice: SubcontractorInvoice) -> None:
        existing = {line_key(line): line for line in invoice.lines.all()}
        for form in self.forms:
            data = form.cleaned_data
            line = data.get("key")
            if line is None:
                continue
            current = existing.get(line.key)
            if not form.bills_something:
                if current is not None:
                    current.delete()
                continue
            InvoiceLine.objects.update_or_create(
                invoice=invoice,
                commitment_line=line.commitment_line,
                change_order_line=line.change_order_line,
                defaults={
                    "work_completed": data["work_completed"],
                    "materials_stored": data["materials_stored"],
                    "retainage_withheld": data["retainage_withheld"],
                },
            )


def invoice_line_formset(*, commitment, invoice=None, data=None):
    """One form per line of the revised schedule of values, with what was billed before and
    what the invoice bills on it."""
    schedule = revised_schedule(commitment, excluding=invoice)
    billed = {}
    if invoice is not None and invoice.pk:
        billed = {line_key(line): line for line in invoice.lines.all()}
    initial = []
    for line in schedule:
        row = {"key": line.key}
        if line.key in billed:
            invoice_line = billed[line.key]
            row.update(
                work_completed=invoice_line.work_completed,
                materials_stored=invoice_line.materials_stored,
                retainage_withheld=invoice_line.retainage_withheld,
            )
        initial.append(row)
    formset_class = forms.formset_factory(
        InvoiceLineForm,
        formset=BaseInvoiceLineFormSet,
        extra=0,
        max_num=len(initial),
        absolute_max=len(initial),
        validate_max=True,
    )
    return formset_class(
        data=data,
        initial=initial,
        prefix="lines",
        currency=commitment.currency,
        form_kwargs={
            "schedule": {line.key: line for line in schedule},
            "retainage_percent": commitment.default_retainage_percent,
        },
    )
