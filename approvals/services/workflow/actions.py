"""The workflow steps people take: send, retrieve, reject, resend, accept, retry, unlink, and
cancelling an export handed to an ERP's agent before it collects it."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from approvals import notifications, preconditions
from approvals.models import (
    ApprovalPolicy,
    Commitment,
    CommitmentChangeOrder,
    DirectExportSetting,
    ERPJob,
    ERPVendor,
    Project,
    SubcontractorInvoice,
)
from approvals.people import person_name
from approvals.schedule import SharedSchedules, overbilled_lines
from approvals.services import erp
from approvals.services.exporting import failed_exports
from approvals.services.exporting.exports import NOT_HANDED_OFF, export_enqueue
from approvals.services.workflow import duplicates, posting, unlinking
from approvals.services.workflow.accept_questions import (
    accept_questions,
    answered_fields,
    clean_text,
    questions_of,
    unanswered,
)
from approvals.services.workflow.approved import (
    approval_of,
    export_started_changes,
    shown_differs,
)
from approvals.services.workflow.errors import (
    PastBalance,
    PossibleDuplicate,
    PreconditionsNotMet,
    StaleState,
)
from approvals.services.workflow.lookalikes import lookalike_sentences, lookalikes
from approvals.services.workflow.records import noun, record_title
from approvals.services.workflow.transitions import (
    changed_since_review_message,
    changed_since_shown_message,
    check_allowed,
    check_permission,
    record_transition,
    self_approval_note,
)
from approvals.states import Action, SyncStatus
from integrations.base import ERPError

DIRECT_EXPORT = "direct export setting"
_ASKED = {"retrieve": "retrieved", "reject": "rejected"}
# A look-up queued this long ago and still unanswered is queued again when someone asks.
LOOKUP_OVERDUE = timedelta(minutes=2)
REASON_REQUIRED = "Give a reason for the rejection; the sender will read it."
MAX_REASON = 2000


def record_send(*, record, actor):
    """Put `record` in the approvers' queue (or export it at once when direct export is on)."""
    return _send(record=record, actor=actor, action=Action.SEND)


def record_resend(*, record, actor):
    """Send a rejected record again, once its sender has fixed it."""
    return _send(record=record, actor=actor, action=Action.RESEND)


def _send(*, record, actor, action: Action):
    _check(record=record, actor=actor, action=action)
    changes = {"sent_by": actor, "sent_at": timezone.now(), "rejection_reason": ""}
    twins: list[str] = []
    if isinstance(record, SubcontractorInvoice):
        # Looked up before the transaction: asking the ERP must not hold database locks.
        local, twins = duplicates.invoice_possible_duplicates(record)
        changes["duplicate_of"] = local[0] if local else None
        changes["duplicate_warning"] = duplicate_warning(twins)
        changes["duplicate_confirmed_by"] = None
    # Vendors and jobs the ERP already has that this looks like: from the imported lists.
    found = lookalike_sentences(record)
    direct = _direct_export_enabled(record)
    waiting = " ".join(
        [
            duplicate_warning(twins),
            *found,
            *(["An approver will link it or create a new one."] if found else []),
        ]
    ).strip()
    with transaction.atomic():
        # The commitment first, then the record: one order of locks for every send and accept.
        _lock_commitment_of(record)
        # Edits take the same row lock, so the lines checked here are the lines that are sent.
        list(type(record).objects.select_for_update().filter(pk=record.pk).values_list("pk"))
        _require(preconditions.send_problems(record))
        # Past a line's balance (the policy let it through): an approver must confirm it.
        past = past_balance_sentences(record) if isinstance(record, SubcontractorInvoice) else []
        waiting = " ".join([waiting, *past]).strip()
        reason = waiting
        if direct and waiting:
            reason = f"Kept for an approver although direct export is on: {waiting}"
        event = record_transition(
            record=record, action=action, actor=actor, changes=changes, reason=reason
        )
        if direct and not waiting:
            _accept(record=record, actor=None, system_actor=DIRECT_EXPORT, changes={})
    return event


def record_retrieve(*, record, actor):
    """Take a record back to Not sent: out of the queue before anyone decided on it, or after
    its export failed, once a look-up shows the ERP holds nothing of its last attempt.

    Returns the audit event.
    """
    _check(record=record, actor=actor, action=Action.RETRIEVE)
    _require_lookup_answered(record=record, asked="retrieve")
    with transaction.atomic():
        _require_lookup_answered(record=record, asked="retrieve", locked=True)
        return record_transition(
            record=record,
            action=Action.RETRIEVE,
            actor=actor,
            changes={"export_request_key": "", "last_export_error": ""},
        )


def record_reject(*, record, actor, reason: str, review_version: int | None = None):
    """Send `record` back to its sender with `reason`; the sender and creator are emailed.

    A failed record is rejected only once the background look-up shows the ERP holds nothing
    of its last attempt (see failed_exports).
    """
    _check(record=record, actor=actor, action=Action.REJECT)
    reason = clean_text(reason)
    if not reason:
        raise PreconditionsNotMet([REASON_REQUIRED])
    _require_lookup_answered(record=record, asked="reject")
    with transaction.atomic():
        _require_lookup_answered(record=record, asked="reject", locked=True)
        event = record_transition(
            record=record,
            action=Action.REJECT,
            actor=actor,
            reason=reason,
            changes={
                "decided_by": actor,
                "decided_at": timezone.now(),
                "rejection_reason": reason,
                "last_export_error": "",
                "export_request_key": "",
            },
            review_version=review_version,
        )
        notifications.rejection_notify(record=record, decider=actor, reason=reason)
    return event


def _require_lookup_answered(*, record, asked: str, locked: bool = False) -> None:
    """A failed record is retrieved or rejected only once the background look-up said the ERP
    holds nothing of its last attempt; until then it is refused, and the look-up queued.

    `locked`: check the row as it is now, locked in the caller's transaction (a retry that
    failed again since the page loaded is a new attempt, not yet looked up).
    """
    if locked:
        record = type(record).objects.select_for_update().get(pk=record.pk)
    if record.sync_status != SyncStatus.EXPORT_FAILED or failed_exports.lookup_answered(record):
        return
    if not locked:
        failed_exports.lookup_ensure_queued(record, older_than=LOOKUP_OVERDUE)
    name = erp.erp_name(record.erp_connection or erp.active_connection_or_none())
    sentence = (
        f"This {noun(record)} was not {_ASKED[asked]}: {name} is being asked whether its last "
        "export created the document after all, so that it is not exported twice."
    )
    if record.erp_lookup_error:
        sentence += f" The last check could not tell: {record.erp_lookup_error}"
    raise PreconditionsNotMet([f"{sentence} Try again in a minute."])


def record_accept(
    *,
    record,
    actor,
    choices: dict | None = None,
    confirm_duplicate: bool = False,
    review_version: int | None = None,
    link_to: str = "",
    create_reason: str = "",
    confirm_past_balance: bool = False,
    posting_date: date | None = None,
    shown_document: str = "",
):
    """Approve `record` for export: it moves to 'exporting' and its export task is queued.

    choices: the answers to the questions the connected ERP asks about the record's type
    (accept_questions), by question name. Raises PossibleDuplicate for an invoice that
    looks already billed unless confirm_duplicate is True (which the audit trail records).
    review_version: the version the approver reviewed; a record changed since is refused.
    link_to / create_reason: for a company or project that looks like a vendor or job the ERP
    already has, the approver's answer: the ERP id to link it to instead of exporting it, or
    why a new one must be created after all. Without an answer such a record is refused.
    confirm_past_balance: the approver confirmed an invoice billing past a line's balance (only
    possible when the approval policy allows billing past the balance).
    posting_date: for a commitment, change order or invoice, the date it posts on (default:
    posting.default_posting_date); never inside the ERP's closed period.
    shown_document: the description_fingerprint of the document the approver's page showed; a
    document that reads otherwise now is refused.
    """
    _check(record=record, actor=actor, action=Action.ACCEPT)
    changes = {"decided_by": actor, "decided_at": timezone.now()}
    reason = ""
    if isinstance(record, SubcontractorInvoice):
        local, twins = duplicates.invoice_possible_duplicates(record)
        if twins and not confirm_duplicate:
            raise PossibleDuplicate(twins)
        if twins:
            reason = "accepted despite possible duplicate of " + "; ".join(twins)
            changes.update(
                duplicate_of=local[0] if local else None,
                duplicate_warning=duplicate_warning(twins),
                duplicate_confirmed_by=actor,
            )
    with transaction.atomic():
        return _accept(
            record=record,
            actor=actor,
            changes=changes,
            choices=choices,
            reason=_joined(reason, self_approval_note(actor=actor, record=record)),
            review_version=review_version,
            link_to=clean_text(link_to),
            create_reason=clean_text(create_reason),
            confirm_past_balance=confirm_past_balance,
            posting_date=posting_date,
            shown_document=shown_document,
        )


def _accept(
    *,
    record,
    actor,
    changes: dict,
    choices: dict | None = None,
    reason: str = "",
    system_actor: str = "",
    review_version: int | None = None,
    link_to: str = "",
    create_reason: str = "",
    confirm_past_balance: bool = False,
    posting_date: date | None = None,
    shown_document: str = "",
):
    # The row stays locked from reading what is approved to the accept's own update.
    _lock_commitment_of(record)
    current = type(record).objects.select_for_update().get(pk=record.pk)
    if review_version is not None and current.review_version != review_version:
        raise StaleState(changed_since_review_message(record, Action.ACCEPT))
    reason = _joined(reason, past_balance_reason(current, confirmed=confirm_past_balance))
    # The connected ERP's questions about this type, and the answers given (checked even when
    # the record is linked instead, so a wrong answer is never silently dropped).
    connector = erp.connector_or_none(erp.active_connection_or_none())
    if shown_differs(current, connector, shown_document):
        raise StaleState(changed_since_shown_message(record))
    questions = questions_of(connector, type(record))
    answers = answered_fields(current, choices, questions)
    found = lookalikes(current)
    if link_to:
        return _link_instead(record, current, found, link_to, actor, review_version)
    if found:
        reason = _joined(reason, _create_anyway_reason(current, found, create_reason))
    for name, value in answers.items():
        setattr(current, name, value)
    changes = {**changes, **answers}
    if posting.is_dated(current):
        current.posting_date = posting_date or posting.default_posting_date(current)
        changes = {**changes, "posting_date": current.posting_date}
    _require(unanswered(current, questions))
    _require(preconditions.accept_problems(current))
    approved = approval_of(current, connector)
    event = record_transition(
        record=record,
        action=Action.ACCEPT,
        actor=actor,
        system_actor=system_actor,
        reason=reason,
        changes={**changes, **export_started_changes(type(record))},
        review_version=current.review_version,
        approved=approved,
    )
    export_enqueue(record=record)
    return event


def _create_anyway_reason(record, found, create_reason: str) -> str:
    """Creating a second vendor or job is the last resort: only for a stated reason."""
    connection = erp.active_connection_or_none()
    name = erp.erp_name(connection)
    if not create_reason:
        raise PreconditionsNotMet(
            [
                *(lookalike.sentence(name, record) for lookalike in found),
                f"Link it to the existing one, or say why a new one must be created in {name}.",
            ]
        )
    if len(create_reason) > MAX_REASON:
        raise PreconditionsNotMet([f"Keep the reason under {MAX_REASON} characters."])
    names = ", ".join(f"'{lookalike.name}' (id {lookalike.erp_id})" for lookalike in found)
    return f"Accepted to create a new one in {name} although it looks like {names}: {create_reason}"


def _link_instead(record, current, found, erp_id: str, actor, review_version):
    """Accept by linking to the vendor or job the ERP already has: nothing is exported."""
    chosen = next((lookalike for lookalike in found if lookalike.erp_id == erp_id), None)
    if chosen is None or not chosen.linkable:
        raise PreconditionsNotMet(
            [f"There is no vendor or job {erp_id} this {noun(record)} can be linked to any more."]
        )
    connection = erp.active_connection_or_none()
    name = erp.erp_name(connection)
    changes = {
        "erp_connection": connection,
        "erp_id": chosen.erp_id,
        "erp_synced_at": timezone.now(),
        "decided_by": actor,
        "decided_at": timezone.now(),
        "export_request_key": "",
        **_erp_record_fields(current, connection, chosen.erp_id),
    }
    try:
        with transaction.atomic():
            return record_transition(
                record=record,
                action=Action.LINK,
                actor=actor,
                reason=(
                    f"Accepted by linking it to {name}'s '{chosen.name}' (id {chosen.erp_id}) "
                    f"instead of creating a new one ({chosen.reason})."
                ),
                changes=changes,
                review_version=(
                    review_version if review_version is not None else current.review_version
                ),
            )
    except IntegrityError as error:
        # Another project took the job a moment ago (a job is one project's).
        raise PreconditionsNotMet(
            [f"'{chosen.name}' was linked to another {noun(record)} a moment ago."]
        ) from error


def _erp_record_fields(record, connection, erp_id: str) -> dict:
    """What the imported vendor or job tells of the document a record is linked to."""
    if isinstance(record, Project):
        job = ERPJob.objects.filter(erp_connection=connection, erp_id=erp_id).first()
        if job is None:
            return {}
        return {"erp_version": job.erp_version, "erp_parent_customer_id": job.parent_erp_id}
    vendor = ERPVendor.objects.filter(erp_connection=connection, erp_id=erp_id).first()
    return {"erp_version": vendor.erp_version} if vendor is not None else {}


def record_retry(*, record, actor):
    """Start a new export attempt for a record whose export failed: the version approved at
    accept, looked up first in the ERP, under a new transport key."""
    _check(record=record, actor=actor, action=Action.RETRY)
    with transaction.atomic():
        _require(preconditions.accept_problems(record))
        event = record_transition(
            record=record,
            action=Action.RETRY,
            actor=actor,
            changes=export_started_changes(type(record)),
        )
        export_enqueue(record=record)
    return event


def record_cancel_hand_off(*, record, actor):
    """Withdraw a handed-off export the ERP's own agent has not collected yet: its request is
    never sent, and the record becomes a failed export of which nothing reached the ERP, to be
    retried, retrieved or rejected. Refused, with the ERP's sentence, once the agent collected
    it (the ERP may hold the document): its answer settles the record then."""
    _check(record=record, actor=actor, action=Action.CANCEL_HAND_OFF)
    connection = record.handed_off_to
    name = erp.erp_name(connection)
    agent = erp.agent_of(connection)
    if agent is None:
        raise PreconditionsNotMet(
            [
                f"{name} is not connected now, so its request cannot be withdrawn. An "
                "administrator can reconnect it under ERP Integrations."
            ]
        )
    who = person_name(actor)
    message = (
        f"Cancelled by {who} before {name} collected it: nothing reached {name}. Retry the "
        "export to hand it over again, or retrieve or reject it."
    )
    try:
        with transaction.atomic():
            agent.hand_off_cancel(record, by=who)
            return record_transition(
                record=record,
                action=Action.CANCEL_HAND_OFF,
                actor=actor,
                reason=message,
                changes={
                    "last_export_error": message,
                    "export_started_at": None,
                    "nothing_in_erp_for_attempt": record.export_attempt,
                    "erp_lookup_at": None,
                    "erp_lookup_error": "",
                    **NOT_HANDED_OFF,
                },
                export_attempt=record.export_attempt,
            )
    except ERPError as error:
        raise PreconditionsNotMet([error.message]) from None


def record_unlink(*, record, actor):
    """Forget the ERP document of a synced record, once the last sync saw it deleted or voided
    in the ERP (never asking the ERP while the approver waits)."""
    _check(record=record, actor=actor, action=Action.UNLINK)
    connection = record.erp_connection or erp.active_connection_or_none()
    name = erp.erp_name(connection)
    seen = unlinking.document_seen(record, connection)
    if not seen.gone:
        raise PreconditionsNotMet(
            [
                f"The {name} document of {record_title(record)} still exists ({seen.as_of}). "
                f"Delete or void it in {name} first, then unlink once a sync has seen that."
            ]
        )
    document_id = record.erp_id
    with transaction.atomic():
        event = _unlinked(
            record, actor, f"The {name} document {document_id} was deleted or voided."
        )
        if isinstance(record, Commitment):
            # Its change orders were lines of that document: gone with it, to be sent again.
            for change_order in CommitmentChangeOrder.objects.filter(
                commitment=record, sync_status=SyncStatus.SYNCED
            ).order_by("pk"):
                _unlinked(
                    change_order,
                    actor,
                    f"Its lines were on {name} document {document_id}, which was deleted or "
                    f"voided with commitment {record.number}: send it again once the "
                    "commitment is synced again.",
                )
    return event


def _unlinked(record, actor, reason: str):
    event = record_transition(
        record=record,
        action=Action.UNLINK,
        actor=actor,
        reason=reason,
        changes=unlinking.UNLINKED_FIELDS,
    )
    unlinking.forget_line_ids(type(record), [record.pk])
    return event


def past_balance_sentences(invoice) -> list[str]:
    """What an invoice bills past its lines' balances, when the approval policy lets that
    through (otherwise the preconditions refuse it)."""
    if not ApprovalPolicy.current().allow_billing_past_balance:
        return []
    return overbilled_lines(invoice)


def past_balance_sentences_many(invoices) -> dict[int, list[str]]:
    """past_balance_sentences of each invoice, by primary key, reading their commitments'
    schedules together."""
    if not ApprovalPolicy.current().allow_billing_past_balance:
        return {invoice.pk: [] for invoice in invoices}
    schedules = SharedSchedules()
    schedules.load({invoice.commitment_id for invoice in invoices})
    return {invoice.pk: schedules.overbilled(invoice) for invoice in invoices}


def past_balance_reason(record, *, confirmed: bool) -> str:
    """For an invoice billing past a line's balance, the history's sentence of the approver's
    confirmation; refused without one."""
    if not isinstance(record, SubcontractorInvoice):
        return ""
    sentences = past_balance_sentences(record)
    if not sentences:
        return ""
    if not confirmed:
        raise PastBalance(sentences)
    return "Accepted past the balance, as the approver confirmed: " + " ".join(sentences)


def _lock_commitment_of(record) -> None:
    """Invoices of one commitment are sent and accepted one at a time: each sees what the
    others bill, so two together cannot pass a line's balance."""
    if isinstance(record, SubcontractorInvoice):
        lock_commitments([record.commitment_id])


def lock_commitments(commitment_ids) -> None:
    list(
        Commitment.objects.select_for_update()
        .filter(pk__in=sorted(set(commitment_ids)))
        .order_by("pk")
        .values_list("pk")
    )


def _check(*, record, actor, action: Action) -> None:
    # Before any precondition or ERP lookup, so refusals reveal nothing about the record.
    check_permission(actor=actor, record=record, action=action)
    check_allowed(record=record, action=action)


def choices_for(record, choices: dict | None) -> dict:
    """The part of `choices` that concerns `record`'s type (bulk actions mix types)."""
    if not choices:
        return {}
    asked = {question.name for question in accept_questions(type(record)).choices}
    return {key: value for key, value in choices.items() if key in asked}


def _direct_export_enabled(record) -> bool:
    return DirectExportSetting.objects.filter(
        content_type=ContentType.objects.get_for_model(type(record)), enabled=True
    ).exists()


def duplicate_warning(twins: list[str]) -> str:
    return ("Possible duplicate of " + "; ".join(twins) + ".") if twins else ""


def _joined(*sentences: str) -> str:
    return " ".join(sentence for sentence in sentences if sentence)


def _require(problems: list[str]) -> None:
    if problems:
        raise PreconditionsNotMet(problems)
