"""Carrying out a decision through the approval services, and telling the accountant the result."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib import messages

from approvals import preconditions
from approvals.services import (
    Outcome,
    record_cancel_hand_off,
    record_retry,
    record_unlink,
    records_accept_bulk,
    records_reject_bulk,
)
from approvals.services import erp as erp_access
from approvals.services.workflow.bulk import each_record
from approvals.services.workflow.records import plural_noun
from integrations.models import ERPConnection


def perform(
    slug: str, *, records: list, actor, form, versions: dict[int, int], shown: dict[int, str]
) -> list[Outcome]:
    if slug == "accept":
        answers = form.answers() if hasattr(form, "answers") else {}
        posting_dates = form.posting_dates() if hasattr(form, "posting_dates") else {}
        return records_accept_bulk(
            records=records,
            actor=actor,
            choices=form.choices(),
            review_versions=versions,
            answers=answers,
            posting_dates=posting_dates,
            shown_documents=shown,
        )
    if slug == "reject":
        return records_reject_bulk(
            records=records,
            actor=actor,
            reason=form.cleaned_data["reason"],
            review_versions=versions,
        )
    if slug == "retry":
        return _each(records, lambda record: record_retry(record=record, actor=actor), RETRIED)
    if slug == "unlink":
        return _each(records, lambda record: record_unlink(record=record, actor=actor), UNLINKED)
    if slug == "cancel":
        return _each(
            records, lambda record: record_cancel_hand_off(record=record, actor=actor), CANCELLED
        )
    raise ValueError(f"Unknown decision {slug!r}")


RETRIED = "the export is queued again."
UNLINKED = "unlinked; it can now be corrected and sent again."
CANCELLED = "cancelled: nothing was sent. Retry, retrieve or reject it."


def accept_invoices(
    *,
    records: list,
    actor,
    confirmed_ids: set[int],
    past_balance_ids: set[int],
    versions: dict[int, int],
    posting_dates: dict,
    shown: dict[int, str],
) -> list[Outcome]:
    """Accept invoices; only those whose "accept anyway" box was ticked pass a duplicate check,
    and only those whose "past the balance" box was ticked may bill past a line's balance."""
    groups: dict[tuple[bool, bool], list] = {}
    for record in records:
        key = (record.pk in confirmed_ids, record.pk in past_balance_ids)
        groups.setdefault(key, []).append(record)
    results = []
    for (duplicates_confirmed, past_balance_confirmed), group in groups.items():
        results += records_accept_bulk(
            records=group,
            actor=actor,
            confirm_duplicates=duplicates_confirmed,
            confirm_past_balance=past_balance_confirmed,
            review_versions=versions,
            posting_dates=posting_dates,
            shown_documents=shown,
        )
    position = {record.pk: index for index, record in enumerate(records)}
    return sorted(results, key=lambda outcome: position[outcome.record.pk])


def _each(records: Iterable, step: Callable[[object], object], done: str) -> list[Outcome]:
    def act(record) -> str:
        step(record)
        return done

    return each_record(records, act)


def report(model_admin, request, results: list[Outcome]) -> None:
    """A summary, then one message per record saying what happened to it and why."""
    if not results:
        return
    succeeded = sum(1 for outcome in results if outcome.ok)
    noun = plural_noun(model_admin.model)
    level = messages.SUCCESS if succeeded == len(results) else messages.WARNING
    model_admin.message_user(request, f"{succeeded} of {len(results)} {noun} done.", level)
    for outcome in results:
        model_admin.message_user(
            request, _sentence(outcome.message), messages.SUCCESS if outcome.ok else messages.ERROR
        )


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


def accept_problems_many(records) -> dict[int, list[str]]:
    return preconditions.accept_problems_many(records)


def connection() -> ERPConnection | None:
    return erp_access.active_connection_or_none()


def erp_display_name() -> str:
    current = connection()
    return erp_access.erp_name(current, erp_access.connector_or_none(current))
