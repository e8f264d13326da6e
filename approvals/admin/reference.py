"""Admins of the reference data: the ERP's cost codes, the direct export switches and the approval
policy."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType

from approvals.services import erp, erp_links
from approvals.services.workflow.records import EXPORTABLE_MODELS

COST_CODE_ERP_FIELDS = ("erp_id", "erp_connection", "erp_version", "erp_synced_at")
# A standard cost code mirrors the ERP's item; changing it here would only diverge from it.
STANDARD_COST_CODE_FIELDS = ("code", "name", "cost_type")


class CostCodeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "cost_type", "is_active", "erp_id")
    list_filter = ("cost_type", "is_active")
    search_fields = ("code", "name")
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_standard:
            return (*COST_CODE_ERP_FIELDS, *STANDARD_COST_CODE_FIELDS)
        return COST_CODE_ERP_FIELDS

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["erp_elsewhere"] = erp_links.elsewhere_note(
                obj, erp.active_connection_or_none()
            )
        return super().render_change_form(request, context, add, change, form_url, obj)


class DirectExportSettingAdmin(admin.ModelAdmin):
    list_display = ("__str__", "enabled")
    list_editable = ("enabled",)
    list_select_related = ("content_type",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "content_type":
            kwargs["queryset"] = ContentType.objects.filter(
                pk__in=[ContentType.objects.get_for_model(model).pk for model in EXPORTABLE_MODELS]
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ApprovalPolicyAdmin(admin.ModelAdmin):
    """One row: adding a second would leave it unclear which rule applies."""

    list_display = ("__str__", "allow_self_approval")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not self.model.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
