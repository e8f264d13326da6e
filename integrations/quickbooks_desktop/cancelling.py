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


def hand_off_cancel(desktop: DesktopConnection, record, *, by: str) -> QueuedRequest:
    """Mark the request of `record`'s current export attempt cancelled, so it is never sent.
    Must run inside the caller's transaction: the request stays locked until it commits."""
    request = (
        QueuedRequest.objects.select_for_update()
        .filter(
            desktop=desktop,
            model_label=record._meta.label_lower,
            record_id=record.pk,
            export_attempt=record.export_attempt,
        )
        .order_by("-pk")
        .first()
    )
    title = record_title(record)
    if request is None:
        raise PermanentERPError(
            f"Nothing of {title} waits for the Web Connector (its request was not found), so "
            "there is nothing to cancel."
        )
    if request.state != RequestState.QUEUED or request.look_up_first or request.exchanges.exists():
        raise AlreadyCollected(_collected_message(title, request))
    request.state = RequestState.CANCELLED
    request.problem = f"Cancelled by {by} before the Web Connector collected it."
    request.finished_at = timezone.now()
    request.save(update_fields=["state", "problem", "finished_at"])
    return request


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
