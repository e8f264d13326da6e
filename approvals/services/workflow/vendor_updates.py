"""Vendor updates: a change to a synced company's ERP fields waits for an approver, who accepts it
(the worker then updates the ERP vendor, and the company with it) or rejects it.

Every status change is a compare-and-set update of the proposal and one audit event on its
company, in one transaction. The company itself changes only once the ERP holds the new values.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format

from approvals import notifications, permissions
from approvals.locking import erp_fields
from approvals.models import (
    OPEN_VENDOR_UPDATE_STATUSES,
    ApprovalPolicy,
    AuditEvent,
    Company,
    VendorUpdate,
    VendorUpdateStatus,
)
from approvals.people import person_name
from approvals.services import erp, erp_links
from approvals.services.workflow.audit import AuditEntry, audit_write
from approvals.services.workflow.errors import (
    NotPermitted,
    PreconditionsNotMet,
    StaleState,
    TransitionNotAllowed,
    WorkflowError,
)
from approvals.states import Note, SyncStatus

S = VendorUpdateStatus
SENSITIVE_FIELDS = frozenset(
    {"name", "legal_name", "tax_id", "address_line1", "city", "region", "postal_code", "country"}
)
"""Who is paid and where: a changed payee name (checks follow the name), tax id or remit-to
address is a classic payment-fraud path."""
REASON_REQUIRED = "Give a reason for the rejection; the person who proposed it will read it."
MAX_REASON = 2000
NOTHING_CHANGED = "Nothing the ERP holds for this vendor changed, so no vendor update was proposed."


class VendorUpdateOpen(WorkflowError):
    """The company already has a vendor update that is not settled; `update` is that one."""

    def __init__(self, update: VendorUpdate):
        self.update = update
        super().__init__(
            f"{_capitalised(vendor_update_title(update))} is still open "
            f"({update.get_status_display().lower()}): {_who(update.proposed_by)} proposed it "
            f"{_when(update.proposed_at)}. It must be accepted, rejected or withdrawn before "
            "another change is proposed."
        )


def vendor_update_title(update: VendorUpdate) -> str:
    return f"the vendor update of {update.company.name}"


def field_label(name: str) -> str:
    return str(Company._meta.get_field(name).verbose_name).capitalize()


def proposed_changes(company: Company, new_values: dict[str, str]) -> list[dict]:
    """[{field, label, old, new}] for each ERP field `new_values` changes, in a stable order."""
    unknown = set(new_values) - erp_fields(Company)
    if unknown:
        raise ValueError(f"Not ERP fields of a company: {sorted(unknown)}")
    return [
        {
            "field": name,
            "label": field_label(name),
            "old": getattr(company, name),
            "new": new_values[name],
        }
        for name in sorted(new_values)
        if new_values[name] != getattr(company, name)
    ]


@dataclass(frozen=True)
class ChangeRow:
    """One field of a proposal as an approver reads it: its value when proposed (`old`), here
    now, and proposed; `moved` when it changed here since (the accept is then refused)."""

    label: str
    old: str
    now: str
    new: str
    sensitive: bool

    @property
    def moved(self) -> bool:
        return self.now != self.old


def change_rows(update: VendorUpdate) -> list[ChangeRow]:
    company = update.company
    return [
        ChangeRow(
            label=change["label"],
            old=change["old"],
            now=getattr(company, change["field"]),
            new=change["new"],
            sensitive=is_sensitive(change),
        )
        for change in update.changes
    ]


def is_sensitive(change: dict) -> bool:
    return change["field"] in SENSITIVE_FIELDS


def changed_since_proposed(update: VendorUpdate, company: Company) -> list[str]:
    """Sentences naming each field whose value here is no longer the proposal's 'old' one."""
    sentences = []
    for change in update.changes:
        now = getattr(company, change["field"])
        if now != change["old"]:
            sentences.append(
                f"{change['label']} is now '{now}', no longer '{change['old']}' as when the "
                "update was proposed."
            )
    return sentences


def open_vendor_update(company: Company) -> VendorUpdate | None:
    return (
        VendorUpdate.objects.filter(company=company, status__in=OPEN_VENDOR_UPDATE_STATUSES)
        .select_related("proposed_by", "company")
        .first()
    )


def new_request_key() -> str:
    return f"vendor-update-{secrets.token_hex(12)}"


# --- proposing ---------------------------------------------------------------------------------


def vendor_update_propose(*, company: Company, actor, new_values: dict[str, str]) -> VendorUpdate:
    """Propose the change of `company`'s ERP fields to `new_values`; the company stays as it is.

    Raises NotPermitted, TransitionNotAllowed (the company is not synced), PreconditionsNotMet
    (nothing changes) or VendorUpdateOpen (one already waits).
    """
    proposers = ApprovalPolicy.current().vendor_updates_proposed_by
    if not permissions.can_propose_vendor_update(actor, proposers=proposers):
        raise NotPermitted(permissions.vendor_update_refusal(proposers=proposers))
    try:
        with transaction.atomic():
            company = Company.objects.select_for_update().get(pk=company.pk)
            if company.sync_status != SyncStatus.SYNCED or not company.erp_id:
                raise TransitionNotAllowed(
                    f"{company.name} is not synced with the ERP, so it is edited directly, "
                    "not through a vendor update."
                )
            changes = proposed_changes(company, new_values)
            if not changes:
                raise PreconditionsNotMet([NOTHING_CHANGED])
            waiting = open_vendor_update(company)
            if waiting is not None:
                raise VendorUpdateOpen(waiting)
            update = VendorUpdate.objects.create(
                company=company, changes=changes, proposed_by=actor, request_key=new_request_key()
            )
            vendor_update_event(
                update,
                Note.VENDOR_UPDATE_PROPOSED,
                actor=actor,
                reason="Waits for an accounting approver; the company keeps its current values "
                "until the ERP vendor is updated.",
                changes=changes,
            )
            sensitive = [change for change in changes if is_sensitive(change)]
            if sensitive:
                notifications.vendor_update_sensitive_notify(update=update, sensitive=sensitive)
    except IntegrityError:
        # Proposed by someone else at the same moment: the constraint kept one.
        waiting = open_vendor_update(company)
        if waiting is None:
            raise
        raise VendorUpdateOpen(waiting) from None
    return update


# --- deciding ----------------------------------------------------------------------------------


def check_may_decide(*, actor) -> None:
    if not permissions.can_decide_type(actor, Company):
        raise NotPermitted(
            "You do not have the right to approve companies, so you cannot decide on vendor "
            "updates. Ask an administrator to give it to you."
        )


def check_separation_of_duties(*, actor, update: VendorUpdate) -> None:
    """An approver does not accept their own proposal, unless the approval policy allows it."""
    if _proposed_by(actor, update) and not ApprovalPolicy.current().allow_self_approval:
        raise NotPermitted(
            "You proposed this vendor update yourself, so another approver must accept it. An "
            "administrator can allow approvers to accept their own changes in the approval "
            "policy."
        )


def accept_problems(update: VendorUpdate) -> list[str]:
    """Why accepting `update` now would be wrong, from what is stored here (no ERP call)."""
    if update.status != S.WAITING:
        return [f"It is {update.get_status_display().lower()}, not waiting for approval."]
    company = Company.objects.get(pk=update.company_id)
    changed = changed_since_proposed(update, company)
    if changed:
        return [
            "The company changed since this update was proposed, so it cannot be accepted as "
            "it stands:",
            *changed,
            "Reject it; the change can then be proposed again from the company as it is now.",
        ]
    if company.sync_status != SyncStatus.SYNCED or not company.erp_id:
        return [f"{company.name} is no longer linked to an ERP vendor."]
    return erp_links.dependency_problems(company, erp.active_connection_or_none())


def vendor_update_accept(*, update: VendorUpdate, actor, version: int) -> VendorUpdate:
    """Accept the version of `update` the page showed: it is queued for the worker, which
    updates the ERP vendor (nothing is asked of the ERP here)."""
    check_may_decide(actor=actor)
    check_separation_of_duties(actor=actor, update=update)
    problems = accept_problems(update)
    if problems:
        raise PreconditionsNotMet(problems)
    with transaction.atomic():
        _move(
            update,
            from_=(S.WAITING,),
            to=S.UPDATING,
            version=version,
            verb="accepted",
            fields={
                "decided_by": actor,
                "decided_at": timezone.now(),
                "attempt": F("attempt") + 1,
                "started_at": timezone.now(),
                "request_key": new_request_key(),
                "last_error": "",
            },
        )
        note = ""
        if _proposed_by(actor, update):
            note = (
                "Accepted by the person who proposed it, as the approval policy allows "
                "(self-approval is on). "
            )
        vendor_update_event(
            update,
            Note.VENDOR_UPDATE_ACCEPTED,
            actor=actor,
            reason=f"{note}The ERP vendor is being updated in the background.",
        )
        vendor_update_enqueue(update=update)
    return update


def vendor_update_retry(*, update: VendorUpdate, actor, version: int) -> VendorUpdate:
    """Try a failed update again, once its cause is fixed."""
    check_may_decide(actor=actor)
    with transaction.atomic():
        _move(
            update,
            from_=(S.FAILED,),
            to=S.UPDATING,
            version=version,
            verb="retried",
            fields={
                "attempt": F("attempt") + 1,
                "started_at": timezone.now(),
                "request_key": new_request_key(),
            },
        )
        vendor_update_event(
            update,
            Note.VENDOR_UPDATE_RETRIED,
            actor=actor,
            reason="The ERP vendor is being updated again in the background.",
        )
        vendor_update_enqueue(update=update)
    return update


def vendor_update_reject(
    *, update: VendorUpdate, actor, reason: str, version: int | None = None
) -> VendorUpdate:
    """Refuse a waiting or failed update with `reason`; its proposer is told."""
    check_may_decide(actor=actor)
    reason = (reason or "").strip()
    if not reason:
        raise PreconditionsNotMet([REASON_REQUIRED])
    if len(reason) > MAX_REASON:
        raise PreconditionsNotMet([f"Keep the reason under {MAX_REASON} characters."])
    with transaction.atomic():
        _move(
            update,
            from_=(S.WAITING, S.FAILED),
            to=S.REJECTED,
            version=version,
            verb="rejected",
            fields={
                "decided_by": actor,
                "decided_at": timezone.now(),
                "rejection_reason": reason,
                "started_at": None,
            },
        )
        vendor_update_event(update, Note.VENDOR_UPDATE_REJECTED, actor=actor, reason=reason)
        notifications.vendor_update_outcome_notify(
            update=update, outcome="rejected", decider=actor, reason=reason
        )
    return update


def vendor_update_withdraw(*, update: VendorUpdate, actor) -> VendorUpdate:
    """The proposer takes back an update no approver has decided on yet."""
    if not _proposed_by(actor, update):
        raise NotPermitted("Only the person who proposed a vendor update can withdraw it.")
    with transaction.atomic():
        _move(update, from_=(S.WAITING,), to=S.WITHDRAWN, version=None, verb="withdrawn")
        vendor_update_event(
            update,
            Note.VENDOR_UPDATE_WITHDRAWN,
            actor=actor,
            reason="Withdrawn by the person who proposed it, before any decision.",
        )
    return update


# --- shared steps ------------------------------------------------------------------------------


def _move(
    update: VendorUpdate,
    *,
    from_: tuple[str, ...],
    to: str,
    version: int | None,
    verb: str,
    fields: dict | None = None,
) -> None:
    """Compare-and-set the status (and the version the page showed, when given); refreshes
    `update`. Raises TransitionNotAllowed or StaleState, changing nothing."""
    if update.status not in from_:
        raise TransitionNotAllowed(
            f"{_capitalised(vendor_update_title(update))} is "
            f"{update.get_status_display().lower()}, so it cannot be {verb}."
        )
    compared = {"pk": update.pk, "status": update.status}
    if version is not None:
        compared["version"] = version
    updated = VendorUpdate.objects.filter(**compared).update(
        status=to, version=F("version") + 1, updated_at=timezone.now(), **(fields or {})
    )
    if updated != 1:
        raise StaleState(stale_message(update, verb))
    update.refresh_from_db()


def stale_message(update: VendorUpdate, verb: str) -> str:
    """Who settled the update first, and when: the page was opened before."""
    current = VendorUpdate.objects.select_related("decided_by", "proposed_by").get(pk=update.pk)
    status = current.get_status_display().lower()
    by = ""
    if current.status == S.WITHDRAWN:
        by = f" by {_who(current.proposed_by)}"
    elif current.decided_by is not None:
        by = f" by {_who(current.decided_by)}"
    return (
        f"{_capitalised(vendor_update_title(current))} changed after you opened this page (it "
        f"is now {status}{by}), so it was not {verb}. Reload the page to see it."
    )


def vendor_update_event(
    update: VendorUpdate,
    action: Note,
    *,
    actor=None,
    system_actor: str = "",
    reason: str = "",
    changes: list[dict] | None = None,
    request_payload=None,
    response_payload=None,
) -> AuditEvent:
    """One audit event on the update's company; changes as the history shows edits."""
    return audit_write(
        AuditEntry(
            model=Company,
            record_id=update.company_id,
            actor=actor,
            actor_label=system_actor,
            action=action,
            reason=reason,
            changes=[
                {"field": change["label"], "old": change["old"], "new": change["new"]}
                for change in changes or []
            ],
            request_payload=request_payload,
            response_payload=response_payload,
        )
    )


def _proposed_by(actor, update: VendorUpdate) -> bool:
    return actor is not None and actor.pk is not None and update.proposed_by_id == actor.pk


def _who(user) -> str:
    if user is None:
        return "someone no longer here"
    return person_name(user)


def _when(moment) -> str:
    local = timezone.localtime(moment)
    when = f"at {date_format(local, 'H:i')}"
    if local.date() != timezone.localdate():
        when = f"on {date_format(local.date(), 'N j')} {when}"
    return when


def vendor_update_enqueue(*, update: VendorUpdate, try_number: int = 1, run_after=None) -> None:
    """Queue the worker's run of `update`'s current attempt; a row in the caller's transaction."""
    from approvals import tasks

    task = (
        tasks.vendor_update_run.using(run_after=run_after) if run_after else tasks.vendor_update_run
    )
    task.enqueue(update.pk, update.attempt, try_number)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
