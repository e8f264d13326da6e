from django import forms

from approvals.forms.locking import LockedFieldsFormMixin
from approvals.models import Project


class ProjectForm(LockedFieldsFormMixin, forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "number",
            "name",
            "address",
            "customer_name",
            "uses_standard_cost_codes",
            "job_cost_sync_enabled",
        ]

    def clean_number(self):
        number = self.cleaned_data["number"].strip()
        taken = Project.objects.filter(number__iexact=number).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(f"Another project already uses the number {number}.")
        return number

    def clean_name(self):
        return self.cleaned_data["name"].strip()
