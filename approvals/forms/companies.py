from django import forms

from approvals.forms.locking import LockedFieldsFormMixin
from approvals.models import Company


def _same_name_companies(name: str):
    return Company.objects.filter(name__iexact=name.strip())


class CompanyForm(LockedFieldsFormMixin, forms.ModelForm):
    class Meta:
        model = Company
        fields = [
            "name",
            "legal_name",
            "tax_id",
            "email",
            "phone",
            "address_line1",
            "city",
            "region",
            "postal_code",
            "country",
        ]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Enter the company's name.")
        if _same_name_companies(name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                f"The company directory already has a company named {name}. "
                "Choose it instead of creating a second one."
            )
        return name


class AddCompanyToProjectForm(forms.Form):
    """Adds an existing company of the directory to a project's directory."""

    company = forms.ModelChoiceField(
        queryset=Company.objects.filter(is_archived=False).order_by("name"),
        empty_label="Choose a company",
        error_messages={
            "required": "Choose a company from the company directory.",
            "invalid_choice": (
                "Choose a company from the company directory that is not already on this project."
            ),
        },
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["company"].queryset = (
            Company.objects.filter(is_archived=False).exclude(projects=project).order_by("name")
        )


class CompanySearchForm(forms.Form):
    q = forms.CharField(label="Find a company", required=False, max_length=100)
