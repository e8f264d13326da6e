"""Two approvers bulk-accept overlapping sets of the same 120 companies while three worker
processes export them to the QuickBooks sandbox: every company becomes exactly one vendor."""

import re
import threading
import time
from collections import defaultdict

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django_tasks_db.models import DBTaskResult

from approvals.models import AuditEvent, Company
from approvals.services import record_send, records_accept_bulk
from approvals.states import Action, SyncStatus
from tests.concurrency.conftest import wait_until_settled
from tests.factories import make_user

# Four batches' worth (QuickBooks takes 30 a request), a third of them accepted by both.
RECORDS = 120
FIRST_APPROVER_TAKES = slice(0, 80)
SECOND_APPROVER_TAKES = slice(40, 120)
BOTH_TAKE = slice(SECOND_APPROVER_TAKES.start, FIRST_APPROVER_TAKES.stop)
EXPORT_TASK = "approvals.tasks.export_run"


def vendor_creates(qbo_sandbox) -> list[dict]:
    """The requests that created vendors: one alone, or a batch of them."""
    return [
        entry
        for entry in qbo_sandbox.request_log()
        if entry["method"] == "POST" and entry["path"].endswith(("/vendor", "/batch"))
    ]


def vendors_sent(entry: dict) -> int:
    return entry["items"] if entry["path"].endswith("/batch") else 1


def accept_in_thread(approver, pks, start: threading.Barrier, outcomes: dict) -> threading.Thread:
    """Each approver on their own database connection, as two web requests would be."""

    def accept():
        try:
            by_pk = Company.objects.in_bulk(pks)
            records = [by_pk[pk] for pk in pks]
            start.wait(timeout=30)
            outcomes[approver.username] = records_accept_bulk(records=records, actor=approver)
        finally:
            connection.close()

    return threading.Thread(target=accept, name=f"accept-{approver.username}")


def synced_by(outcome: str) -> int:
    """How many records a task's run synced: its own, or a batch's."""
    if outcome == "synced":
        return 1
    batch = re.fullmatch(r"batch of (\d+): (\d+) synced", outcome)
    assert batch, outcome
    return int(batch[2])


def wait_for_tasks(tasks) -> None:
    """The tasks of records another worker's batch sent may still be running their check."""
    deadline = time.monotonic() + 60
    while tasks.exclude(status="SUCCESSFUL").exists():
        assert time.monotonic() < deadline, "export tasks still running"
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_overlapping_bulk_accepts_with_three_workers_export_each_record_once(
    qbo_sandbox, qbo_connection, workers
):
    qbo_sandbox.set_limits(
        requests_per_window=100_000, batch_requests_per_window=100_000, concurrent=30
    )
    pm = make_user(role="project_manager")
    alice = make_user(role="approver", username="alice", first_name="Alice")
    bob = make_user(role="approver", username="bob", first_name="Bob")
    companies = [
        Company.objects.create(name=f"Subcontractor {number:03d} Framing LLC")
        for number in range(RECORDS)
    ]
    for company in companies:
        record_send(record=company, actor=pm)
    workers.start(3)
    pks = [company.pk for company in companies]
    start = threading.Barrier(2)
    outcomes: dict[str, list] = {}
    threads = [
        accept_in_thread(alice, pks[FIRST_APPROVER_TAKES], start, outcomes),
        accept_in_thread(bob, list(reversed(pks[SECOND_APPROVER_TAKES])), start, outcomes),
    ]
    for thread in threads:
        thread.start()
    # A guard against a hang, not a speed target (benchmarks measure speed): a loaded machine
    # takes minutes for the accepts beside three busy workers.
    for thread in threads:
        thread.join(timeout=600)
    assert not any(thread.is_alive() for thread in threads), "a bulk accept never finished"

    everything = outcomes["alice"] + outcomes["bob"]
    accepted = [outcome.record.pk for outcome in everything if outcome.ok]
    refused = [outcome for outcome in everything if not outcome.ok]
    assert sorted(accepted) == sorted(pks)
    assert len(refused) == BOTH_TAKE.stop - BOTH_TAKE.start
    for outcome in refused:
        assert outcome.record.pk in pks[BOTH_TAKE]
        assert f"Company '{outcome.record.name}': This company was already " in outcome.message
        assert (
            " by Alice at " in outcome.message
            or " by Bob at " in outcome.message
            or (" by export worker at " in outcome.message)
        )

    statuses = wait_until_settled(Company.objects.filter(pk__in=pks), workers)
    assert statuses == {SyncStatus.SYNCED: RECORDS}, workers.logs()

    stored = Company.objects.filter(pk__in=pks)
    vendors = {vendor["Id"]: vendor for vendor in qbo_sandbox.entities("Vendor")}
    assert len(vendors) == RECORDS
    assert len({vendor["DisplayName"].casefold() for vendor in vendors.values()}) == RECORDS
    erp_ids = [company.erp_id for company in stored]
    assert sorted(erp_ids) == sorted(vendors)
    for company in stored:
        assert vendors[company.erp_id]["DisplayName"] == company.name
    creates = vendor_creates(qbo_sandbox)
    assert sum(vendors_sent(entry) for entry in creates) == RECORDS
    assert all(entry["status"] == 200 and not entry["replayed"] for entry in creates)

    tasks = DBTaskResult.objects.filter(task_path=EXPORT_TASK)
    assert tasks.count() == RECORDS
    wait_for_tasks(tasks)
    outcomes = list(tasks.values_list("return_value", flat=True))
    sent = [outcome for outcome in outcomes if not outcome.startswith("skipped: ")]
    assert sum(synced_by(outcome) for outcome in sent) == RECORDS, outcomes
    assert set(outcomes) - set(sent) <= {
        "skipped: not exporting",
        "skipped: another worker is exporting it",
    }
    workers_used = {worker for ids in tasks.values_list("worker_ids", flat=True) for worker in ids}
    assert len(workers_used) == 3

    trails = defaultdict(list)
    for event in AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Company)
    ).order_by("created_at", "pk"):
        trails[event.object_id].append(event)
    assert sorted(trails) == sorted(pks)
    for pk, trail in trails.items():
        assert [event.action for event in trail] == [
            Action.SEND,
            Action.ACCEPT,
            Action.EXPORT_SUCCEEDED,
        ], pk
        assert trail[1].actor in (alice, bob)
        assert trail[2].actor_label == "export worker"
        assert trail[2].response_payload["Id"] == stored.get(pk=pk).erp_id
