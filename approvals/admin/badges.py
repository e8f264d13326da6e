"""Sync status badges in Procore's colours, and the ERP id next to them."""

from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

# How much of a problem sentence a queue row shows; the whole is its tooltip and on the record.
SHORT_FINDING = 60


def sync_badge(record) -> str:
    """The status badge (a record waiting for an ERP's agent says what that agent last did),
    and under it in red what became of a synced document in the ERP."""
    badge = format_html(
        '<span class="erp-badge erp-badge-{}">{}</span>',
        record.badge_colour,
        record.sync_status_label,
    )
    note = record.waiting_note
    if note:
        badge = format_html('{} <span class="erp-waiting-note">— {}</span>', badge, note)
    findings = [
        format_html('<div class="erp-finding" title="{}">{}</div>', text, short)
        for text, short in (
            (record.erp_drift_note, record.get_erp_drift_display() if record.erp_drift else ""),
            (record.erp_problem, Truncator(record.erp_problem).chars(SHORT_FINDING)),
        )
        if short
    ]
    return format_html("{}{}", badge, format_html_join("", "{}", ((f,) for f in findings)))


def erp_reference(record) -> str:
    return record.erp_id or "—"
