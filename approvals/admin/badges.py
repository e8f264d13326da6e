"""Sync status badges in Procore's colours, and the ERP id next to them."""

from django.utils.html import format_html


def sync_badge(record) -> str:
    return format_html(
        '<span class="erp-badge erp-badge-{}">{}</span>',
        record.badge_colour,
        record.get_sync_status_display(),
    )


def erp_reference(record) -> str:
    return record.erp_id or "—"
