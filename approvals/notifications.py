"""Emails: a rejection to its sender and creator, a failed export to the approvers, the daily digest."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Min
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone

from approvals import permissions, selectors
from approvals.models import Company, VendorUpdate, VendorUpdateStatus
from approvals.people import person_name
from approvals.services import erp
from approvals.services.workflow.records import EXPORTABLE_MODELS, noun, plural_noun, record_title
from approvals.states import SyncStatus

logger = logging.getLogger(__name__)
MAX_SUBJECT = 150
# Waits before each further try of an email the mail server refused: about a day in all.
NOTHING_REACHES_THE_ERP = "ERP approvals: nothing reaches the ERP"
EMAIL_RETRY_DELAYS = tuple(timedelta(minutes=minutes) for minutes in (1, 5, 30, 120, 360, 720))


def _send(*, recipient, subject: str, template: str, context: dict) -> None:
    """Send one email; a failure is logged and retried later, never raised: it runs after the
    decision it reports was committed, and must not turn that decision into an error page."""
    body = render_to_string(template, {"recipient_name": person_name(recipient), **context})
    # A header cannot carry line breaks; titles typed by people may.
    one_line = " ".join(subject.split())
    if len(one_line) > MAX_SUBJECT:
        one_line = one_line[: MAX_SUBJECT - 1] + "…"
    _deliver_or_retry(to=recipient.email, subject=one_line, body=body, try_number=1)


def _deliver_or_retry(*, to: str, subject: str, body: str, try_number: int) -> None:
    try:
        send_mail(
            subject=subject,
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[to],
        )
    except Exception:
        if try_number > len(EMAIL_RETRY_DELAYS):
            logger.exception("Gave up emailing %s about %r after %d tries", to, subject, try_number)
            return
        delay = EMAIL_RETRY_DELAYS[try_number - 1]
        logger.exception(
            "Could not email %s about %r (try %d); trying again in %s",
            to,
            subject,
            try_number,
            delay,
        )
        _retry_later(to=to, subject=subject, body=body, try_number=try_number + 1, delay=delay)


def _retry_later(*, to: str, subject: str, body: str, try_number: int, delay: timedelta) -> None:
    try:
        email_resend.using(run_after=timezone.now() + delay).enqueue(
            to=to, subject=subject, body=body, try_number=try_number
        )
    except Exception:
        logger.exception("Could not queue another try to email %s about %r", to, subject)


@task()
def email_resend(*, to: str, subject: str, body: str, try_number: int) -> None:
    """Another try at an email the mail server refused before."""
    _deliver_or_retry(to=to, subject=subject, body=body, try_number=try_number)


def rejection_notify(*, record, decider, reason: str) -> None:
    """After commit, tell the sender and the creator why their record came back."""
    recipients = {
        user.pk: user
        for user in (record.sent_by, record.created_by)
        if user is not None and user.email and user.is_active
    }
    title = record_title(record)
    context = {
        "decider_name": person_name(decider) if decider is not None else "An approver",
        "title": title,
        "reason": reason,
        "noun": noun(record),
        "link": "",
    }

    def deliver():
        for user in recipients.values():
            _send(
                recipient=user,
                subject=f"Rejected: {title}",
                template="emails/record_rejected.txt",
                context=context,
            )

    transaction.on_commit(deliver, robust=True)


def export_failure_notify(*, record, erp_name: str, error: str, tries: int) -> None:
    """After commit, tell everyone who may approve this type that its export failed."""
    title = record_title(record)
    context = {"title": title, "erp_name": erp_name, "error": error, "tries": tries}

    def deliver():
        for user in selectors.approvers_of(type(record)):
            _send(
                recipient=user,
                subject=f"Export failed: {title}",
                template="emails/export_failed.txt",
                context=context,
            )

    transaction.on_commit(deliver, robust=True)


def export_found_notify(*, record, erp_name: str, erp_id: str) -> None:
    """After commit, tell those told of a failed export that the look-up found its document in
    the ERP after all and linked the record: nothing is left to retry or correct."""
    title = record_title(record)
    context = {"title": title, "erp_name": erp_name, "erp_id": erp_id}

    def deliver():
        for user in selectors.approvers_of(type(record)):
            _send(
                recipient=user,
                subject=f"Export settled: {title} is in {erp_name}",
                template="emails/export_found.txt",
                context=context,
            )

    transaction.on_commit(deliver, robust=True)


def masked_tax_id(value: str) -> str:
    """All but the last four characters hidden: enough to recognise, not to reuse."""
    if not value:
        return ""
    return "•" * max(len(value) - 4, 0) + value[-4:]


def vendor_update_sensitive_notify(*, update, sensitive: list[dict]) -> None:
    """After commit, tell every approver of companies (administrators included) that someone
    proposed changing where a vendor's payments go: `sensitive` are the changes of its tax id
    or remit-to address, as the proposal lists them."""
    changes = [
        {
            "label": change["label"],
            "old": masked_tax_id(change["old"]) if change["field"] == "tax_id" else change["old"],
            "new": masked_tax_id(change["new"]) if change["field"] == "tax_id" else change["new"],
        }
        for change in sensitive
    ]
    company = update.company.name
    proposer = update.proposed_by
    context = {
        "company": company,
        "proposer_name": person_name(proposer) if proposer is not None else "Someone",
        "changes": changes,
    }

    def deliver():
        for user in selectors.approvers_of(Company):
            _send(
                recipient=user,
                subject=f"Check before accepting: payment details of {company} would change",
                template="emails/vendor_update_proposed.txt",
                context=context,
            )

    transaction.on_commit(deliver, robust=True)


def vendor_update_outcome_notify(
    *, update, outcome: str, reason: str, decider=None, erp_name: str = ""
) -> None:
    """After commit, tell the proposer their vendor update was "rejected" or "failed", and why."""
    proposer = update.proposed_by
    if proposer is None or not proposer.email or not proposer.is_active:
        return
    company = update.company.name
    context = {
        "company": company,
        "reason": reason,
        "decider_name": person_name(decider) if decider is not None else "An approver",
        "erp_name": erp_name,
    }
    subject = {"rejected": "Vendor update rejected", "failed": "Vendor update failed"}[outcome]

    def deliver():
        _send(
            recipient=proposer,
            subject=f"{subject}: {company}",
            template=f"emails/vendor_update_{outcome}.txt",
            context=context,
        )

    transaction.on_commit(deliver, robust=True)


def waiting_summary() -> dict[type, dict]:
    """Per type: how many wait for a decision, how many failed, and since when the oldest waits."""
    summary = {}
    for model in EXPORTABLE_MODELS:
        ready = model.objects.filter(sync_status=SyncStatus.READY_TO_EXPORT)
        summary[model] = {
            "ready": ready.count(),
            "failed": model.objects.filter(sync_status=SyncStatus.EXPORT_FAILED).count(),
            "oldest": ready.aggregate(oldest=Min("sent_at"))["oldest"],
        }
    waiting = VendorUpdate.objects.filter(status=VendorUpdateStatus.WAITING)
    summary[VendorUpdate] = {
        "ready": waiting.count(),
        "failed": VendorUpdate.objects.filter(status=VendorUpdateStatus.FAILED).count(),
        "oldest": waiting.aggregate(oldest=Min("proposed_at"))["oldest"],
    }
    return summary


def agent_silence() -> str:
    """Set while the connected ERP's own agent (which collects handed-off exports when it runs)
    has not run for longer than expected: what that means and what to do."""
    activity = erp.agent_activity(erp.active_connection_or_none())
    return activity.silence if activity is not None else ""


def approvers_digest_send() -> int:
    """Send each approver the types they may approve that have work waiting, and every approver
    the warning of an ERP agent silent too long; return emails sent."""
    summary = waiting_summary()
    silence = agent_silence()
    if not silence and not any(row["ready"] or row["failed"] for row in summary.values()):
        return 0
    recipients = {}
    for model in EXPORTABLE_MODELS:
        for user in selectors.approvers_of(model):
            recipients.setdefault(user.pk, user)
    sent = 0
    for user in recipients.values():
        rows = [
            {"label": _digest_label(model), **counts}
            for model, counts in summary.items()
            if (counts["ready"] or counts["failed"])
            and permissions.can_decide_type(user, _decided_as(model))
        ]
        if not rows and not silence:
            continue
        total = sum(row["ready"] + row["failed"] for row in rows)
        subject = f"ERP approvals: {total} waiting for you"
        if silence:
            subject = f"{subject}; nothing reaches the ERP" if total else NOTHING_REACHES_THE_ERP
        _send(
            recipient=user,
            subject=subject,
            template="emails/approver_digest.txt",
            context={"rows": rows, "total": total, "silence": silence},
        )
        sent += 1
    return sent


def _digest_label(model) -> str:
    return "Vendor updates" if model is VendorUpdate else plural_noun(model).capitalize()


def _decided_as(model):
    """Vendor updates are decided by whoever decides on companies."""
    return Company if model is VendorUpdate else model
