"""The connected ERP companies, read-only: connecting happens through each ERP's own page."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from integrations import registry
from integrations.models import ERPConnection


@admin.register(ERPConnection)
class ERPConnectionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "company_id", "is_active", "connected_by", "connected_at"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["connected_by"]
    fields = [
        "kind",
        "company_name",
        "company_id",
        "is_active",
        "connected_by",
        "connected_at",
        "disconnected_at",
        "access_token_expires_at",
        "refresh_token_expires_at",
        "manage",
    ]
    readonly_fields = fields

    @admin.display(description="Connect or disconnect")
    def manage(self, obj):
        entry = registry.entry_for(obj.kind)
        if entry is None:
            return "-"
        return format_html(
            '<a href="{}">Open the connection page</a>', reverse(entry.connection_page)
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
