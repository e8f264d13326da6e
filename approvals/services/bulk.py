"""Acting on many records at once: every item gets its own outcome; one failure stops no other."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction

from approvals.services.actions import choices_for, record_accept, record_reject, record_send
from approvals.services.errors import WorkflowError
from approvals.services.records import record_title
from approvals.states import SyncStatus


@dataclass(frozen=True)
class Outcome:
    record: object
    ok: bool
    message: str


def _each(records: Iterable, step: Callable[[object], str]) -> list[Outcome]:
    outcomes = []
    for record in records:
        title = record_title(record)
        title = title[:1].upper() + title[1:]
        try:
            with transaction.atomic():
                done = step(record)
        except WorkflowError as error:
            outcomes.append(Outcome(record=record, ok=False, message=f"{title}: {error.message}"))
        else:
            outcomes.append(Outcome(record=record, ok=True, message=f"{title}: {done}"))
    return outcomes


def records_accept_bulk(
    *, records: Iterable, actor, choices: dict | None = None, confirm_duplicates: bool = False
) -> list[Outcome]:
    """Accept each record; each choice applies to the records of the type it belongs to."""

    def accept(record) -> str:
        record_accept(
            record=record,
            actor=actor,
            choices=choices_for(record, choices),
            confirm_duplicate=confirm_duplicates,
        )
        return "accepted; the export is queued."

    return _each(records, accept)


def records_reject_bulk(*, records: Iterable, actor, reason: str) -> list[Outcome]:
    def reject(record) -> str:
        record_reject(record=record, actor=actor, reason=reason)
        return "rejected and sent back."

    return _each(records, reject)


def invoices_send_bulk(*, invoices: Iterable, actor) -> list[Outcome]:
    def send(invoice) -> str:
        record_send(record=invoice, actor=actor)
        if invoice.sync_status == SyncStatus.EXPORTING:
            return "sent and accepted at once by the direct export setting."
        if invoice.duplicate_warning:
            return f"sent to the approvers. {invoice.duplicate_warning}"
        return "sent to the approvers."

    return _each(invoices, send)
