"""Send, retrieve and resend: the project manager's side of the approval workflow."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from approvals.locking import lines_locked, locked_fields
from approvals.people import person_name
from approvals.permissions import can_send, send_refusal
from approvals.preconditions import send_problems
from approvals.selectors import record_history
from approvals.services import erp, erp_links, record_resend, record_retrieve, record_send
from approvals.services.exporting.failed_exports import lookup_answered
from approvals.services.workflow.errors import WorkflowError
from approvals.services.workflow.lookalikes import lookalike_sentences
from approvals.services.workflow.records import record_title
from approvals.states import SyncStatus, event_label
from approvals.views.access import RECORD_LOOKUPS
from approvals.views.records import record_kind, record_url

_ACTIONS = {
    "send": (record_send, "{title} was sent to the accounting approvers."),
    "retrieve": (record_retrieve, "{title} was retrieved from the approval queue; edit it freely."),
    "resend": (record_resend, "{title} was sent to the accounting approvers again."),
}
_SENDABLE = {SyncStatus.NOT_SENT, SyncStatus.REJECTED}


@login_required
@require_POST
def record_action(request, kind: str, pk: int, action: str):
    record = RECORD_LOOKUPS[kind](request.user, pk)
    service, success = _ACTIONS[action]
    try:
        event = service(record=record, actor=request.user)
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        said = success.format(title=_capitalised(record_title(record)))
        if action in ("send", "resend"):
            # What the approver will be asked about: a look-alike, a possible duplicate.
            said = " ".join(filter(None, [said, _not_on_the_page(event.reason, record)]))
        messages.success(request, said)
    return redirect(record_url(record))


def _not_on_the_page(reason: str, record) -> str:
    """The send's reason less an invoice's possible duplicates, which its page shows anyway."""
    duplicates = getattr(record, "duplicate_warning", "")
    if not duplicates or duplicates not in reason:
        return reason
    rest = reason.replace(duplicates, "").strip().rstrip(":").strip()
    return f"{rest}." if rest and not rest.endswith(".") else rest


def sync_panel(user, record) -> dict:
    """What the record page shows about its journey to the ERP, and what the user may do next."""
    status = SyncStatus(record.sync_status)
    problems = send_problems(record) if status in _SENDABLE else []
    may_send = can_send(user, record)
    return {
        "record": record,
        "kind": record_kind(record),
        "status": status,
        "may_send": may_send,
        "problems": problems,
        "lookalikes": lookalike_sentences(record) if status in _SENDABLE else [],
        "locked": locked_fields(record),
        "lines_locked": lines_locked(record),
        "refusal": "" if may_send else send_refusal(user, record),
        "lookup_answered": status == SyncStatus.EXPORT_FAILED and lookup_answered(record),
        "history": history_rows(record),
        "elsewhere": erp_links.elsewhere_note(record, erp.active_connection_or_none()),
    }


def history_rows(record) -> list[dict]:
    """The audit trail as a project manager reads it: who, when, what, why (no payloads)."""
    return [
        {
            "when": event.created_at,
            "who": _actor_name(event),
            "what": event_label(event.action),
            "from_status": _label(SyncStatus, event.from_status),
            "to_status": _label(SyncStatus, event.to_status),
            "reason": event.reason,
            "changes": event.changes or [],
        }
        for event in record_history(record)
    ]


def _actor_name(event) -> str:
    if event.actor is None:
        return event.actor_label
    return person_name(event.actor)


def _label(choices, value: str) -> str:
    try:
        return choices(value).label
    except ValueError:
        return value


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
