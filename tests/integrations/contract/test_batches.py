"""The batching half of the export contract, for every ERP whose connector sends many documents
in one request (the others are skipped, saying so): exports accepted together go out together,
each settles on its own, a lost answer ends in one document per record, and a batch never sends
a record that changed or settled after the worker claimed it."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from approvals.models import AuditEvent, Company
from approvals.services import erp as connected
from approvals.services import record_send, records_accept_bulk
from approvals.services.exporting import claims, exports
from approvals.states import Action, SyncStatus
from integrations import rate_limits
from integrations.base import ExportsInBatches
from tests.approvals.admin.helpers import run_queued_exports
from tests.integrations.contract.erp_under_test import Books
from tests.integrations.contract.test_exports import exported, fresh
from tests.reliability import scene

NAMES = ["Hillcrest Glazing", "Ridgeline Masonry", "Copperleaf Roofing", "Stonebridge Tile"]
LINKED = "Linked to an existing document in the ERP."


def batched(erp, model) -> int:
    """How many `model` records one export request of `erp` carries; skips an ERP whose
    connector sends one at a time."""
    connector = connected.connector_for_export(connected.active_connection_or_none())
    size = connector.export_batch_size(model) if isinstance(connector, ExportsInBatches) else 1
    if size < 2:
        pytest.skip(f"{type(erp).__name__}: its connector sends one {model.__name__} per request")
    return size


def accepted_together(books: Books, records: list) -> list:
    for record in records:
        record_send(record=record, actor=books.pm)
    outcomes = records_accept_bulk(records=records, actor=books.approver)
    assert all(outcome.ok for outcome in outcomes), [o.message for o in outcomes]
    return records


def trail(record) -> list[tuple[str, str]]:
    events = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk
    ).order_by("created_at", "pk")
    return [(event.action, event.reason) for event in events]


def test_exports_accepted_together_go_out_in_one_request_each_settled_on_its_own(erp):
    books = erp.open_books()
    assert batched(erp, Company) >= len(NAMES)
    companies = accepted_together(books, [scene.new_company(name) for name in NAMES])

    outcomes = exported(erp)

    assert outcomes[0] == f"batch of {len(NAMES)}: {len(NAMES)} synced"
    assert outcomes[1:] == ["skipped: not exporting"] * (len(NAMES) - 1)
    assert erp.batch_requests() == 1
    for company in map(fresh, companies):
        assert company.sync_status == SyncStatus.SYNCED
        assert erp.documents(company) == [company.erp_id]
        assert [action for action, _ in trail(company)] == [
            Action.SEND,
            Action.ACCEPT,
            Action.EXPORT_SUCCEEDED,
        ]


def test_a_bad_item_fails_alone_and_the_rest_of_its_batch_is_synced(erp):
    books = erp.open_books()
    batched(erp, Company)
    companies = [scene.new_company(name) for name in NAMES]
    erp.key_in_by_hand(companies[1], same_business=False)
    accepted_together(books, companies)

    exported(erp)

    refused, *synced = [fresh(companies[1]), *map(fresh, companies[:1] + companies[2:])]
    assert refused.sync_status == SyncStatus.EXPORT_FAILED
    assert "'Ridgeline Masonry'" in refused.last_export_error
    assert len(erp.documents(refused)) == 1  # theirs, untouched
    for company in synced:
        assert company.sync_status == SyncStatus.SYNCED
        assert erp.documents(company) == [company.erp_id]
    assert erp.batch_requests() == 1


def test_a_batch_answer_lost_after_some_were_stored_ends_in_one_document_per_record(erp):
    books = erp.open_books()
    batched(erp, Company)
    companies = accepted_together(books, [scene.new_company(name) for name in NAMES])
    erp.lose_next_batch_answer(stored=2)

    exported(erp)

    for number, company in enumerate(map(fresh, companies)):
        assert company.sync_status == SyncStatus.SYNCED
        assert erp.documents(company) == [company.erp_id]
        actions = [action for action, _ in trail(company)]
        assert actions == [Action.SEND, Action.ACCEPT, Action.EXPORT_SUCCEEDED]
        # The stored ones are found by their look-up; the others are created by their next try.
        assert trail(company)[-1][1] == (LINKED if number < 2 else "")
    assert erp.batch_requests() == 2


def test_a_record_that_changed_or_settled_after_the_claim_is_not_sent(erp, monkeypatch):
    books = erp.open_books()
    batched(erp, Company)
    changed, settled, *sent = accepted_together(books, [scene.new_company(name) for name in NAMES])
    claim_batch = claims.claim_batch

    def claimed_then_someone_acts(leader, connection, claim, *, how_many):
        others = claim_batch(leader, connection, claim, how_many=how_many)
        # Right after the worker's claim: the company is renamed behind the workflow's back,
        # and another hand settles the next one.
        Company.objects.filter(pk=changed.pk).update(name="Hillcrest Glass & Glazing")
        exports.export_fail(fresh(settled), "Stopped by hand.", books.connection, 1, None)
        return others

    monkeypatch.setattr(claims, "claim_batch", claimed_then_someone_acts)

    outcomes = exported(erp)

    assert outcomes[0].startswith(f"batch of {len(NAMES)}")
    changed, settled = fresh(changed), fresh(settled)
    assert changed.sync_status == SyncStatus.EXPORT_FAILED
    assert "changed after it was approved" in changed.last_export_error
    assert erp.documents(changed) == []
    assert settled.last_export_error == "Stopped by hand."
    assert erp.documents(settled) == []
    for company in map(fresh, sent):
        assert company.sync_status == SyncStatus.SYNCED
        assert erp.documents(company) == [company.erp_id]


def test_a_batch_the_limits_held_back_goes_out_whole_once_they_have_room(erp, settings):
    books = erp.open_books()
    batched(erp, Company)
    companies = accepted_together(books, [scene.new_company(name) for name in NAMES])
    # Calls another app made: the ERP has no room for us for a second, longer than a worker
    # waits.
    settings.ERP_RATE_LIMIT_MAX_WAIT_SECONDS = 0
    rate_limits.pause(books.connection, 1.0)

    outcomes = run_queued_exports()

    assert outcomes[0] == f"batch of {len(NAMES)}: {len(NAMES)} rate limited: try rescheduled"
    assert erp.batch_requests() == 0
    # Their tries are all due when the room is; only the first one's task runs then, so that
    # one worker claims them together again instead of each worker a batch of its own.
    leader, *followers = companies
    leader_due = fresh(leader).export_started_at
    for company in map(fresh, followers):
        assert leader_due - timedelta(seconds=1) < company.export_started_at <= leader_due
    leads = retry_task(leader).run_after
    assert all(
        retry_task(company).run_after
        >= leads + timedelta(seconds=exports.FOLLOWER_TASK_GRACE_SECONDS)
        for company in followers
    )

    time.sleep(max((leads - timezone.now()).total_seconds(), 0) + 0.05)
    assert run_queued_exports() == [f"batch of {len(NAMES)}: {len(NAMES)} synced"]
    assert erp.batch_requests() == 1
    for company in map(fresh, companies):
        assert company.sync_status == SyncStatus.SYNCED
        assert erp.documents(company) == [company.erp_id]


def retry_task(record) -> DBTaskResult:
    return (
        DBTaskResult.objects.filter(queue_name="exports", args_kwargs__args__1=record.pk)
        .order_by("-enqueued_at")
        .first()
    )
