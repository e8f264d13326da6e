"""The audit trail of one record, as shown on its change page."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from approvals.people import person_name
from approvals.selectors import record_history
from approvals.states import SyncStatus, event_label

SYSTEM_ACTOR = "the system"


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    actor: str
    action: str
    transition: str
    reason: str
    changes: list
    request_json: str
    response_json: str
    approved_json: str


def history_rows(record) -> list[HistoryRow]:
    return [_row(event) for event in record_history(record)]


def _row(event) -> HistoryRow:
    return HistoryRow(
        at=event.created_at,
        actor=_actor(event),
        action=event_label(event.action),
        transition=" → ".join(
            _label(SyncStatus, status) for status in (event.from_status, event.to_status) if status
        ),
        reason=event.reason,
        changes=event.changes or [],
        request_json=_pretty(event.request_payload),
        response_json=_pretty(event.response_payload),
        approved_json=_pretty(event.approved["document"]) if event.approved else "",
    )


def _actor(event) -> str:
    if event.actor is not None:
        return person_name(event.actor)
    return event.actor_label or SYSTEM_ACTOR


def _label(choices, value: str) -> str:
    if not value:
        return "—"
    try:
        return choices(value).label
    except ValueError:
        return value


def _pretty(payload) -> str:
    if payload is None:
        return ""
    return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False)
