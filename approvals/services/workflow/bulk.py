"""Acting on many records at once: every item gets its own outcome; one failure stops no other."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, DateField, Value, When
from django.utils import timezone

from approvals import preconditions
from approvals.models import ApprovalPolicy, SubcontractorInvoice
from approvals.schedule import INVOICE_LINE_RELATIONS, SharedSchedules
from approvals.services import erp
from approvals.services.exporting.exports import export_enqueue_many
from approvals.services.workflow import duplicates
from approvals.services.workflow.actions import (
    choices_for,
    duplicate_warning,
    lock_commitments,
    record_accept,
    record_reject,
    record_resend,
    record_send,
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
    WorkflowError,
)
from approvals.services.workflow.posting import default_posting_date
from approvals.services.workflow.records import record_title
from approvals.services.workflow.transitions import (
    changed_since_review_message,
    changed_since_shown_message,
    check_allowed,
    check_permission,
    edited_since_last_accept,
    records_transition_many,
    self_approval_note,
    stale_state_message,
)
from approvals.states import Action, SyncStatus, target_of

logger = logging.getLogger(__name__)
ACCEPTED = "accepted; the export is queued."


@dataclass(frozen=True)
class Outcome:
    record: object
    ok: bool
    message: str


def _title(record) -> str:
    title = record_title(record)
    return title[:1].upper() + title[1:]


UNEXPECTED = (
    "something unexpected went wrong, so nothing was changed for it; the error was logged. "
    "Try again, and tell an administrator if it happens again."
)


def each_record(records: Iterable, step: Callable[[object], str]) -> list[Outcome]:
    """Run `step` on each record in a transaction of its own: a record is done entirely or not
    at all, and whatever goes wrong with one (even an unexpected error) stops no other."""
    outcomes = []
    for record in records:
        title = _title(record)
        try:
            with transaction.atomic():
                done = step(record)
        except WorkflowError as error:
            outcomes.append(Outcome(record=record, ok=False, message=f"{title}: {error.message}"))
        except Exception:
            logger.exception("Unexpected error acting on %s; it was rolled back", title)
            outcomes.append(Outcome(record=record, ok=False, message=f"{title}: {UNEXPECTED}"))
        else:
            outcomes.append(Outcome(record=record, ok=True, message=f"{title}: {done}"))
    return outcomes


def records_accept_bulk(
    *,
    records: Iterable,
    actor,
    choices: dict | None = None,
    confirm_duplicates: bool = False,
    review_versions: dict[int, int] | None = None,
    answers: dict[int, tuple[str, str]] | None = None,
    confirm_past_balance: bool = False,
    posting_dates: dict | None = None,
    shown_documents: dict[int, str] | None = None,
) -> list[Outcome]:
    """Accept each record; each choice applies to the records of the type it belongs to.

    review_versions: by primary key, the version of each record the approver reviewed; a record
    changed since is refused. shown_documents: by primary key, the description_fingerprint of
    the document the approver's page showed; a record whose document reads otherwise now (data
    it refers to changed) is refused. answers: by primary key, (ERP id to link to, reason to create a
    new one) for companies and projects that look like a vendor or job the ERP already has. Invoices are accepted together, in a number of SQL statements that
    does not grow with their count except for one queued export task each; other records one
    after the other.
    """
    records = list(records)
    versions = review_versions or {}
    shown = shown_documents or {}
    together, seen = [], set()
    for record in records:
        if isinstance(record, SubcontractorInvoice) and record.pk not in seen:
            seen.add(record.pk)
            together.append(record)
    outcomes = {
        id(outcome.record): outcome
        for outcome in _invoices_accept(
            together,
            actor=actor,
            confirm_duplicates=confirm_duplicates,
            confirm_past_balance=confirm_past_balance,
            versions=versions,
            posting_dates=posting_dates or {},
            shown=shown,
        )
    }

    def accept(record) -> str:
        link_to, create_reason = (answers or {}).get(record.pk, ("", ""))
        event = record_accept(
            record=record,
            actor=actor,
            choices=choices_for(record, choices),
            confirm_duplicate=confirm_duplicates,
            review_version=versions.get(record.pk),
            link_to=link_to,
            create_reason=create_reason,
            posting_date=(posting_dates or {}).get(record.pk),
            shown_document=shown.get(record.pk, ""),
        )
        if event.action == Action.LINK:
            return "linked to the existing one in the accounting system; nothing was exported."
        return ACCEPTED

    one_by_one = [record for record in records if id(record) not in outcomes]
    outcomes.update({id(outcome.record): outcome for outcome in each_record(one_by_one, accept)})
    return [outcomes[id(record)] for record in records]


def _invoices_accept(
    invoices: list,
    *,
    actor,
    confirm_duplicates: bool,
    confirm_past_balance: bool,
    versions: dict[int, int],
    posting_dates: dict,
    shown: dict[int, str],
) -> list[Outcome]:
    """record_accept for each invoice (no two with one primary key), set-based."""
    if not invoices:
        return []
    outcomes: list[Outcome] = []

    def refuse(record, title: str, error: WorkflowError) -> None:
        outcomes.append(Outcome(record=record, ok=False, message=f"{title}: {error.message}"))

    allowed = []
    edited = edited_since_last_accept(
        actor=actor, model=SubcontractorInvoice, pks=[invoice.pk for invoice in invoices]
    )
    for invoice in invoices:
        try:
            check_permission(
                actor=actor, record=invoice, action=Action.ACCEPT, edited=invoice.pk in edited
            )
            check_allowed(record=invoice, action=Action.ACCEPT)
        except WorkflowError as error:
            refuse(invoice, _title(invoice), error)
        else:
            allowed.append(invoice)
    loaded = {
        invoice.pk: invoice
        for invoice in SubcontractorInvoice.objects.filter(pk__in=[i.pk for i in allowed])
        .select_related("commitment__project", "commitment__vendor")
        .prefetch_related(*INVOICE_LINE_RELATIONS)
    }
    connector = erp.connector_or_none(erp.active_connection_or_none())
    # What each would export must read as the page showed it (before the posting date chosen).
    changed_since_shown = {
        pk for pk, invoice in loaded.items() if shown_differs(invoice, connector, shown.get(pk, ""))
    }
    policy = ApprovalPolicy.current()
    for invoice in loaded.values():
        invoice.posting_date = posting_dates.get(invoice.pk) or default_posting_date(
            invoice, policy=policy
        )
    for invoice in allowed:
        if invoice.pk not in loaded:
            refuse(
                invoice, _title(invoice), StaleState(stale_state_message(invoice, Action.ACCEPT))
            )
    allowed = [invoice for invoice in allowed if invoice.pk in loaded]
    # Asked before the transaction, as record_accept does: the ERP must not hold database locks.
    twins = duplicates.invoices_possible_duplicates([loaded[i.pk] for i in allowed])
    now = timezone.now()
    changes = {}
    reasons = {}
    undoubted = []
    for invoice in allowed:
        local, described = twins[invoice.pk]
        if described and not confirm_duplicates:
            refuse(invoice, _title(loaded[invoice.pk]), PossibleDuplicate(described))
            continue
        if described:
            reasons[invoice.pk] = "accepted despite possible duplicate of " + "; ".join(described)
            changes[invoice.pk] = {
                "duplicate_of": local[0] if local else None,
                "duplicate_warning": duplicate_warning(described),
                "duplicate_confirmed_by": actor,
            }
        undoubted.append(invoice)
        note = self_approval_note(actor=actor, record=invoice, edited=invoice.pk in edited)
        if note:
            reasons[invoice.pk] = " ".join(filter(None, [reasons.get(invoice.pk), note]))
    with transaction.atomic():
        lock_commitments(loaded[invoice.pk].commitment_id for invoice in undoubted)
        problems = preconditions.accept_problems_many([loaded[i.pk] for i in undoubted])
        allow_past_balance = policy.allow_billing_past_balance
        schedules = SharedSchedules()
        ready = []
        for invoice in undoubted:
            past = schedules.overbilled(loaded[invoice.pk]) if allow_past_balance else []
            if problems[invoice.pk]:
                refuse(
                    invoice, _title(loaded[invoice.pk]), PreconditionsNotMet(problems[invoice.pk])
                )
            elif past and not confirm_past_balance:
                refuse(invoice, _title(loaded[invoice.pk]), PastBalance(past))
            else:
                if past:
                    confirmed = "Accepted past the balance, as the approver confirmed: "
                    reasons[invoice.pk] = " ".join(
                        filter(None, [reasons.get(invoice.pk), confirmed + " ".join(past)])
                    )
                ready.append(invoice)
        # Compare-and-set for the lot: only rows still in the status the accountant saw move.
        locked = {
            pk: (status, attempt, version)
            for pk, status, attempt, version in SubcontractorInvoice.objects.select_for_update()
            .filter(pk__in=[invoice.pk for invoice in ready])
            .values_list("pk", "sync_status", "export_attempt", "review_version")
        }
        moving = []
        for invoice in ready:
            if invoice.pk not in locked or locked[invoice.pk][0] != invoice.sync_status:
                stale = StaleState(stale_state_message(invoice, Action.ACCEPT))
                refuse(invoice, _title(loaded[invoice.pk]), stale)
            elif _changed_since_review(locked[invoice.pk][2], loaded[invoice.pk], versions):
                changed = StaleState(changed_since_review_message(invoice, Action.ACCEPT))
                refuse(invoice, _title(loaded[invoice.pk]), changed)
            else:
                moving.append(invoice)
        approved_now = {
            invoice.pk: approval_of(loaded[invoice.pk], connector) for invoice in moving
        }
        for invoice in moving:
            if invoice.pk in changed_since_shown:
                changed = StaleState(changed_since_shown_message(invoice))
                refuse(invoice, _title(loaded[invoice.pk]), changed)
        moving = [invoice for invoice in moving if invoice.pk not in changed_since_shown]
        outcomes += _move(
            moving,
            actor=actor,
            now=now,
            changes=changes,
            approvals=approved_now,
            reasons=reasons,
            loaded=loaded,
            attempts={pk: attempt for pk, (_, attempt, _) in locked.items()},
        )
    return outcomes


def _changed_since_review(locked_version: int, loaded, versions: dict[int, int]) -> bool:
    """The approval is computed from the loaded invoice: it must still be the locked row, and
    the version the approver reviewed."""
    seen = loaded.review_version
    return locked_version != seen or versions.get(loaded.pk, seen) != seen


def _move(invoices, *, actor, now, changes, approvals, reasons, loaded, attempts) -> list[Outcome]:
    """Accept the locked, checked invoices: one UPDATE, one audit event each (with what it
    approves), one task each."""
    if not invoices:
        return []
    target = target_of(Action.ACCEPT)
    started = export_started_changes(SubcontractorInvoice)
    fields = {"decided_by": actor, "decided_at": now, **started}
    by_date: dict = {}
    for invoice in invoices:
        by_date.setdefault(loaded[invoice.pk].posting_date, []).append(invoice.pk)
    # Each invoice's posting date, in the same UPDATE: one branch per date, not per invoice.
    posting_dates = Case(
        *(When(pk__in=pks, then=Value(day)) for day, pks in by_date.items()),
        output_field=DateField(),
    )
    records_transition_many(
        model=SubcontractorInvoice,
        records=invoices,
        action=Action.ACCEPT,
        actor=actor,
        fields={**fields, "posting_date": posting_dates},
        reasons=reasons,
        approved=approvals,
    )
    for pk, duplicate_fields in changes.items():
        if pk in attempts:
            SubcontractorInvoice.objects.filter(pk=pk).update(**duplicate_fields)
    fields.update(sync_status=target, updated_at=now)
    outcomes = []
    for invoice in invoices:
        written = {
            **fields,
            **changes.get(invoice.pk, {}),
            "export_attempt": attempts[invoice.pk] + 1,
        }
        for name, value in written.items():
            if name != "export_request_key":
                setattr(invoice, name, value)
        invoice.posting_date = loaded[invoice.pk].posting_date
        outcomes.append(
            Outcome(record=invoice, ok=True, message=f"{_title(loaded[invoice.pk])}: {ACCEPTED}")
        )
    export_enqueue_many(records=invoices)
    return outcomes


def records_reject_bulk(
    *, records: Iterable, actor, reason: str, review_versions: dict[int, int] | None = None
) -> list[Outcome]:
    versions = review_versions or {}

    def reject(record) -> str:
        record_reject(
            record=record, actor=actor, reason=reason, review_version=versions.get(record.pk)
        )
        return "rejected and sent back."

    return each_record(records, reject)


def invoices_send_bulk(*, invoices: Iterable, actor) -> list[Outcome]:
    def send(invoice) -> str:
        record_send(record=invoice, actor=actor)
        if invoice.sync_status == SyncStatus.EXPORTING:
            return "sent and accepted at once by the direct export setting."
        if invoice.duplicate_warning:
            return f"sent to the approvers. {invoice.duplicate_warning}"
        return "sent to the approvers."

    return each_record(invoices, send)


def records_resend_bulk(*, records: Iterable, actor) -> list[Outcome]:
    """Send rejected records again, each on its own: one not fixed yet stops no other."""

    def resend(record) -> str:
        event = record_resend(record=record, actor=actor)
        if record.sync_status == SyncStatus.EXPORTING:
            return "sent again and accepted at once by the direct export setting."
        # What the approver will be asked about: a look-alike, a possible duplicate.
        return " ".join(filter(None, ["sent to the approvers again.", event.reason]))

    return each_record(records, resend)
