"""Cancelling a handed-off export before the Web Connector collects it.

The request is locked for the cancel as the Web Connector locks it to collect it
(outbox.next_request): whichever comes first wins. A cancel that waited finds the request
collected and refuses; a Web Connector that finds it locked pauses, then finds it cancelled.
Once collected, an Add may be in QuickBooks whether or not its answer came back, so it is never
cancelled: its answer settles the record, or the look-up by name at the next run does.
"""

from __future__ import annotations

from django.utils import timezone

from approvals.inbound import record_title
from integrations.base import PermanentERPError
from integrations.quickbooks_desktop.models import DesktopConnection, QueuedRequest, RequestState


class AlreadyCollected(PermanentERPError):
    """The Web Connector has the request: QuickBooks may hold the document."""


def hand_off_cancel(desktop: DesktopConnection, record, *, by: str) -> None:
    """Mark the requests of `record`'s current export attempt cancelled, so none is sent: all
    of them, or none when the Web Connector collected any. Must run inside the caller's
    transaction: the requests stay locked until it commits."""
    requests = list(
        QueuedRequest.objects.select_for_update()
        .filter(
            desktop=desktop,
            model_label=record._meta.label_lower,
            record_id=record.pk,
            export_attempt=record.export_attempt,
        )
        .order_by("pk")
    )
    title = record_title(record)
    if not requests:
        raise PermanentERPError(
            f"Nothing of {title} waits for the Web Connector (its request was not found), so "
            "there is nothing to cancel."
        )
    ids = [request.pk for request in requests]
    handed = [r for r in requests if r.state != RequestState.QUEUED or r.look_up_first]
    handed += QueuedRequest.objects.filter(pk__in=ids, exchanges__isnull=False)
    if handed:
        raise AlreadyCollected(_collected_message(title, handed[0]))
    QueuedRequest.objects.filter(pk__in=ids).update(
        state=RequestState.CANCELLED,
        problem=f"Cancelled by {by} before the Web Connector collected it.",
        finished_at=timezone.now(),
    )


def _collected_message(title: str, request: QueuedRequest) -> str:
    if request.state in (RequestState.DONE, RequestState.FAILED):
        return (
            f"QuickBooks Desktop has already answered the request of {title}, so it cannot be "
            "cancelled. Reload the page to see the outcome."
        )
    if request.state == RequestState.CANCELLED:
        return f"The request of {title} was already cancelled. Reload the page to see it."
    return (
        f"The Web Connector has already collected the request of {title}, so it cannot be "
        "cancelled: QuickBooks Desktop may have added it. Its answer (or, if the answer is "
        "lost, a look-up by name at the next run) settles the record; retry or reject it then."
    )
