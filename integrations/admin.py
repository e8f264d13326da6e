"""The connected ERP companies, read-only: connecting happens through each ERP's own page."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from integrations.models import ERPConnection, ERPKind

CONNECTION_PAGES = {ERPKind.QUICKBOOKS_ONLINE: "quickbooks_online:connection"}


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
        page = CONNECTION_PAGES.get(obj.kind)
        if page is None:
            return "-"
        return format_html('<a href="{}">Open the connection page</a>', reverse(page))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
