"""The one writer of the audit trail: every history entry of every record is written here.

An entry is either a status change (from_status → to_status, written by the transition path)
or a note beside the status (an edit, a vendor update, a change seen in the ERP).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType

from approvals.models import AuditEvent


@dataclass
class AuditEntry:
    """What one history entry says about one record (`model`, `record_id`)."""

    model: type
    record_id: int
    action: str
    actor: Any = None
    actor_label: str = ""
    from_status: str = ""
    to_status: str = ""
    reason: str = ""
    changes: list[dict] | None = None
    approved: dict | None = None
    request_payload: Any = None
    response_payload: Any = None

    def as_event(self) -> AuditEvent:
        return AuditEvent(
            content_type=ContentType.objects.get_for_model(self.model),
            object_id=self.record_id,
            actor=self.actor,
            actor_label=self.actor_label,
            action=self.action,
            from_status=self.from_status,
            to_status=self.to_status,
            reason=self.reason,
            changes=self.changes or None,
            approved=self.approved,
            request_payload=self.request_payload,
            response_payload=self.response_payload,
        )


def audit_write(entry: AuditEntry) -> AuditEvent:
    event = entry.as_event()
    event.save()
    return event


def audit_write_many(entries: list[AuditEntry]) -> list[AuditEvent]:
    """One INSERT for a set-based change (a bulk accept, an import)."""
    return AuditEvent.objects.bulk_create([entry.as_event() for entry in entries])
