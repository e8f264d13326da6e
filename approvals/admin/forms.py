"""The questions an accountant answers on a decision page."""

from django import forms

DEFAULT_VENDOR_TYPES = ("Subcontractor", "Supplier")


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason for the rejection",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="The sender reads this to fix the record and send it again.",
        error_messages={
            "required": "Please say why you reject it: the sender needs the reason to fix it."
        },
    )


class ProjectAcceptForm(forms.Form):
    parent_customer_id = forms.ChoiceField(
        label="Customer the job belongs to",
        error_messages={
            "required": "Please choose the customer this job belongs to.",
            "invalid_choice": "That customer is no longer in the list; please choose again.",
        },
    )

    def __init__(self, *args, customers: list[tuple[str, str]], erp_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["parent_customer_id"]
        field.choices = [("", "— choose a customer —"), *customers]
        field.help_text = f"The project becomes a job under this customer in {erp_name}."

    def choices(self) -> dict[str, str]:
        return {"parent_customer_id": self.cleaned_data["parent_customer_id"]}


class CompanyAcceptForm(forms.Form):
    vendor_type = forms.ChoiceField(label="Vendor type", required=False)

    def __init__(self, *args, vendor_types: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vendor_type"].choices = [
            ("", "— keep each company's own type —"),
            *[(vendor_type, vendor_type) for vendor_type in vendor_types],
        ]

    def choices(self) -> dict[str, str] | None:
        vendor_type = self.cleaned_data["vendor_type"]
        return {"vendor_type": vendor_type} if vendor_type else None


class InvoiceAcceptForm(forms.Form):
    """One "accept anyway" box per invoice that may already be billed."""

    def __init__(self, *args, twins: dict[int, list[str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.twins = twins
        for invoice_id in twins:
            self.fields[confirm_field_name(invoice_id)] = forms.BooleanField(
                required=False,
                label="I checked: this is not the same bill. Accept anyway.",
            )

    def confirm_field(self, invoice_id: int):
        name = confirm_field_name(invoice_id)
        return self[name] if name in self.fields else None

    def confirmed_invoice_ids(self) -> set[int]:
        return {
            int(name.removeprefix(CONFIRM_PREFIX))
            for name, confirmed in self.cleaned_data.items()
            if name.startswith(CONFIRM_PREFIX) and confirmed
        }


class ConfirmForm(forms.Form):
    """Commitments, change orders, retry and unlink ask nothing more than the confirmation."""

    def choices(self) -> None:
        return None


CONFIRM_PREFIX = "confirm_duplicate_"


def confirm_field_name(invoice_id: int) -> str:
    return f"{CONFIRM_PREFIX}{invoice_id}"


def vendor_types_of(connection) -> list[str]:
    configured = (connection.settings or {}).get("vendor_types") if connection else None
    return list(configured or DEFAULT_VENDOR_TYPES)
