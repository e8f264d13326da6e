"""The one way a sync status changes: permission, compare-and-set update and audit event, atomically."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.expressions import Combinable
from django.utils import timezone
from django.utils.formats import date_format

from approvals import permissions
from approvals.models import ApprovalPolicy, AuditEvent
from approvals.people import person_name
from approvals.services.workflow.audit import AuditEntry, audit_write, audit_write_many
from approvals.services.workflow.errors import NotPermitted, StaleState, TransitionNotAllowed
from approvals.services.workflow.records import noun, plural_noun
from approvals.states import Action, Note, SyncStatus, allowed_from, target_of

_SENDER_ACTIONS = frozenset({Action.SEND, Action.RETRIEVE, Action.RESEND})
_APPROVER_ACTIONS = frozenset(
    {Action.ACCEPT, Action.REJECT, Action.RETRY, Action.UNLINK, Action.LINK, Action.CANCEL_HAND_OFF}
)

_PAST_TENSE = {
    Action.SEND: "sent",
    Action.RETRIEVE: "retrieved",
    Action.REJECT: "rejected",
    Action.RESEND: "resent",
    Action.ACCEPT: "accepted",
    Action.HAND_OFF: "handed to the ERP",
    Action.EXPORT_SUCCEEDED: "exported",
    Action.EXPORT_FAILED: "marked as failed to export",
    Action.RETRY: "retried",
    Action.UNLINK: "unlinked",
    Action.LINK: "linked",
    Action.IMPORT: "imported",
    Action.FOUND_IN_ERP: "linked to the document found in the ERP",
    Action.CANCEL_HAND_OFF: "cancelled",
}

_INFINITIVE = {
    Action.SEND: "send",
    Action.RETRIEVE: "retrieve",
    Action.REJECT: "reject",
    Action.RESEND: "resend",
    Action.ACCEPT: "accept",
    Action.HAND_OFF: "hand to the ERP",
    Action.EXPORT_SUCCEEDED: "mark as exported",
    Action.EXPORT_FAILED: "mark as failed",
    Action.RETRY: "retry",
    Action.UNLINK: "unlink",
    Action.LINK: "link",
    Action.IMPORT: "import",
    Action.FOUND_IN_ERP: "link to the document found in the ERP",
    Action.CANCEL_HAND_OFF: "cancel before the ERP collects it",
}


def record_transition(
    *,
    record,
    action: Action,
    actor=None,
    system_actor: str = "",
    reason: str = "",
    changes: dict[str, Any] | None = None,
    request_payload: Any = None,
    response_payload: Any = None,
    review_version: int | None = None,
    export_attempt: int | None = None,
    approved: dict | None = None,
) -> AuditEvent:
    """Move `record` along `action` of the state table and write its one audit event.

    `actor` is the user acting; `system_actor` names who acts when no user does (the export
    worker, the direct export setting) and skips the permission check, so only code paths
    that already decided it is allowed pass it. `changes` are further fields written by the
    same UPDATE; `approved` is what an accept approves (approved.approval_of).
    `review_version`, when given, is the version of the record the person saw: the update
    also compares it, so a record edited since is refused; `export_attempt`, when given, is
    the export attempt the caller settles, so an answer for an earlier attempt changes nothing
    although the status matches again. Raises NotPermitted,
    TransitionNotAllowed or StaleState; then nothing changed.
    """
    action = Action(action)
    if not system_actor:
        check_permission(actor=actor, record=record, action=action)
    current = check_allowed(record=record, action=action)
    target = target_of(action)
    now = timezone.now()
    fields = {"sync_status": target, "updated_at": now, **(changes or {})}
    model = type(record)
    compared = {"pk": record.pk, "sync_status": current}
    if review_version is not None:
        compared["review_version"] = review_version
    if export_attempt is not None:
        compared["export_attempt"] = export_attempt
    with transaction.atomic():
        updated = model.objects.filter(**compared).update(**fields)
        if updated != 1:
            if (
                review_version is not None
                and not model.objects.filter(pk=record.pk, review_version=review_version).exists()
            ):
                raise StaleState(changed_since_review_message(record, action))
            raise StaleState(stale_state_message(record, action))
        event = audit_write(
            AuditEntry(
                model=model,
                record_id=record.pk,
                actor=actor if not system_actor else None,
                actor_label=system_actor,
                action=action,
                from_status=current,
                to_status=target,
                reason=reason,
                request_payload=request_payload,
                response_payload=response_payload,
                approved=approved,
            )
        )
    _apply_to_instance(record, fields)
    return event


def records_transition_many(
    *,
    model,
    records: list,
    action: Action,
    actor,
    fields: dict[str, Any],
    reasons: dict[int, str],
    approved: dict[int, dict] | None = None,
) -> None:
    """Move `records` of `model` along `action` in one UPDATE, one audit event each: the
    set-based form of record_transition, for rows the caller locked and checked (permission,
    state, review version). `fields` are written to every row (expressions may differ per
    row); `reasons` and `approved` are per record id. Raises StaleState when a row is no longer
    where its record says, and then nothing changed."""
    action = Action(action)
    target = target_of(action)
    with transaction.atomic():
        for status in {record.sync_status for record in records}:
            if SyncStatus(status) not in allowed_from(action):
                raise TransitionNotAllowed(
                    f"A {noun(model)} that is '{SyncStatus(status).label}' cannot be "
                    f"{_PAST_TENSE[action]}."
                )
        moved = 0
        for status in {record.sync_status for record in records}:
            moved += model.objects.filter(
                pk__in=[record.pk for record in records if record.sync_status == status],
                sync_status=status,
            ).update(sync_status=target, updated_at=timezone.now(), **fields)
        if moved != len(records):
            raise StaleState(
                f"{len(records) - moved} of these {plural_noun(model)} changed meanwhile, so none "
                f"was {_PAST_TENSE[action]}. Reload the page to see them."
            )
        audit_write_many(
            [
                AuditEntry(
                    model=model,
                    record_id=record.pk,
                    actor=actor,
                    action=action,
                    from_status=record.sync_status,
                    to_status=target,
                    reason=reasons.get(record.pk, ""),
                    approved=(approved or {}).get(record.pk),
                )
                for record in records
            ]
        )


def records_import(
    *, records: list, reason_of: Callable[[Any], str], actor=None, system_actor: str = ""
) -> list:
    """Create these unsaved records (all of one model) already at the IMPORT step's status, with
    one audit event each: two queries for any number. Callers check who may import.

    `reason_of(record)` is the history's sentence for each created record.
    """
    if not records:
        return []
    target = target_of(Action.IMPORT)
    model = type(records[0])
    for record in records:
        record.sync_status = target
    with transaction.atomic():
        created = model.objects.bulk_create(records)
        audit_write_many(
            [
                AuditEntry(
                    model=model,
                    record_id=record.pk,
                    actor=actor if not system_actor else None,
                    actor_label=system_actor,
                    action=Action.IMPORT,
                    to_status=target,
                    reason=reason_of(record),
                )
                for record in created
            ]
        )
    return created


def check_allowed(*, record, action: Action) -> SyncStatus:
    """The record's current status, if the state table allows `action` from it."""
    current = SyncStatus(record.sync_status)
    if current not in allowed_from(action):
        raise TransitionNotAllowed(
            f"This {noun(record)} is '{record.sync_status_label}', so it cannot be {_PAST_TENSE[action]}."
        )
    return current


def check_permission(*, actor, record, action: Action, edited: bool | None = None) -> None:
    """Raise NotPermitted unless `actor` may take `action` on `record` (`edited`: see
    check_separation_of_duties)."""
    if action in _SENDER_ACTIONS:
        if not permissions.can_send(actor, record):
            raise NotPermitted(permissions.send_refusal(actor, record))
    elif action in _APPROVER_ACTIONS:
        if not permissions.can_decide(actor, record):
            raise NotPermitted(permissions.decide_refusal(actor, record))
        if action == Action.ACCEPT:
            check_separation_of_duties(actor=actor, record=record, edited=edited)
    else:
        raise NotPermitted(f"Only the export worker can {_INFINITIVE[action]} a {noun(record)}.")


def check_separation_of_duties(*, actor, record, edited: bool | None = None) -> None:
    """An approver does not accept what they created, edited or sent, unless the policy allows
    it. `edited`, when known (bulk accepts ask once for all), spares a query."""
    if edited is None:
        edited = _edited_by(actor, record)
    part = permissions.own_part(actor, record, edited=edited)
    if part and not ApprovalPolicy.current().allow_self_approval:
        raise NotPermitted(
            f"You {part} this {noun(record)} yourself, so another approver must accept it. "
            "An administrator can allow approvers to accept their own records in the "
            "approval policy."
        )


def self_approval_note(*, actor, record, edited: bool | None = None) -> str:
    """The history's sentence for an accept the policy allowed although the approver sent it."""
    if edited is None:
        edited = _edited_by(actor, record)
    part = permissions.own_part(actor, record, edited=edited)
    if not part:
        return ""
    return (
        f"Accepted by the person who {part} it, as the approval policy allows "
        "(self-approval is on)."
    )


def _edited_by(actor, record) -> bool:
    return record.pk in edited_since_last_accept(actor=actor, model=type(record), pks=[record.pk])


def edited_since_last_accept(*, actor, model, pks) -> set[int]:
    """Which of these records `actor` edited since each was last accepted: one query."""
    if actor is None or not getattr(actor, "pk", None):
        return set()
    content_type = ContentType.objects.get_for_model(model)
    last_accept = (
        AuditEvent.objects.filter(
            content_type=content_type, object_id=OuterRef("object_id"), action=Action.ACCEPT
        )
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return set(
        AuditEvent.objects.filter(
            content_type=content_type, object_id__in=list(pks), actor=actor, action=Note.EDIT
        )
        .annotate(last_accept=Subquery(last_accept))
        .filter(Q(last_accept__isnull=True) | Q(created_at__gt=F("last_accept")))
        .values_list("object_id", flat=True)
    )


def changed_since_shown_message(record) -> str:
    """What the ERP would receive changed after the page showed it, though the record did not:
    data it refers to (a cost code, vendor or job re-linked, the connection's settings)."""
    return (
        f"What the accounting system would receive for this {noun(record)} changed after you "
        "opened this page (something it refers to was re-linked or re-imported), so it was not "
        "accepted. Review it again before you decide."
    )


def changed_since_review_message(record, attempted: Action) -> str:
    """Say who changed the record after the person opened the page they decided on."""
    what = noun(record)
    last_edit = (
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(type(record)),
            object_id=record.pk,
            action=Note.EDIT,
        )
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )
    by = ""
    if last_edit is not None:
        when = date_format(timezone.localtime(last_edit.created_at), "H:i")
        by = f" ({_actor_name(last_edit)} edited it at {when})"
    return (
        f"This {what} changed after you opened this page{by}, so it was not "
        f"{_PAST_TENSE[attempted]}. Review it again before you decide."
    )


def _apply_to_instance(record, fields: dict[str, Any]) -> None:
    expressions = []
    for name, value in fields.items():
        if isinstance(value, Combinable):
            expressions.append(name)
        else:
            setattr(record, name, value)
    if expressions:
        record.refresh_from_db(fields=expressions)


def stale_state_message(record, attempted: Action) -> str:
    """Say who changed the record first, and when: "This invoice was already accepted by Alice at 10:42."."""
    what = noun(record)
    model = type(record)
    current = model.objects.filter(pk=record.pk).values_list("sync_status", flat=True).first()
    if current is None:
        return f"This {what} no longer exists."
    last = (
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id=record.pk,
            action__in=Action.values,
        )
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )
    if last is None:
        return (
            f"This {what} changed to '{SyncStatus(current).label}' in the meantime, "
            f"so it cannot be {_PAST_TENSE[attempted]}. Reload the page to see it."
        )
    who = _actor_name(last)
    when = date_format(timezone.localtime(last.created_at), "H:i")
    day = timezone.localtime(last.created_at).date()
    if day != timezone.localdate():
        when = f"{when} on {date_format(day, 'N j')}"
    return f"This {what} was already {_PAST_TENSE[Action(last.action)]} by {who} at {when}."


def _actor_name(event: AuditEvent) -> str:
    if event.actor is not None:
        return person_name(event.actor)
    return event.actor_label or "someone else"
