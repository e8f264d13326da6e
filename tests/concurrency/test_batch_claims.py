"""Worker processes racing for batches: while one worker's batch sits at QuickBooks, the others
claim the records still waiting, never one already claimed. Every record goes out in exactly one
batch item and becomes exactly one vendor; the other tasks of a batch's records do nothing."""

import re
import time
from collections import Counter

import pytest
from django_tasks_db.models import DBTaskResult

from approvals.models import Company
from approvals.services import record_send, records_accept_bulk
from approvals.states import SyncStatus
from tests.concurrency.conftest import wait_until_settled
from tests.factories import make_user

RECORDS = 150
BATCH_SECONDS = 0.4  # how long QuickBooks takes over each batch
EXPORT_TASK = "approvals.tasks.export_run"
BATCH_OUTCOME = re.compile(r"batch of (\d+): (.*)")


def posted(qbo_sandbox, resource: str) -> list[dict]:
    return [
        entry
        for entry in qbo_sandbox.request_log()
        if entry["method"] == "POST" and entry["path"].endswith(f"/{resource}")
    ]


@pytest.mark.django_db(transaction=True)
def test_workers_racing_for_batches_send_each_record_in_exactly_one(
    qbo_sandbox, qbo_connection, workers
):
    qbo_sandbox.set_limits(
        requests_per_window=100_000, concurrent=30, batch_requests_per_window=100_000
    )
    qbo_sandbox.inject_fault("latency", count=1000, entity="batch", seconds=BATCH_SECONDS)
    pm, approver = make_user(role="project_manager"), make_user(role="approver")
    companies = [
        Company.objects.create(name=f"Subcontractor {number:03d} Drywall LLC")
        for number in range(RECORDS)
    ]
    for company in companies:
        record_send(record=company, actor=pm)
    assert all(o.ok for o in records_accept_bulk(records=companies, actor=approver))
    qbo_sandbox.clear_request_log()

    workers.start(3)
    statuses = wait_until_settled(Company.objects.all(), workers)
    assert statuses == {SyncStatus.SYNCED: RECORDS}, workers.logs()

    vendors = {vendor["Id"]: vendor for vendor in qbo_sandbox.entities("Vendor")}
    assert len(vendors) == RECORDS
    assert sorted(Company.objects.values_list("erp_id", flat=True)) == sorted(vendors)
    sent, alone = posted(qbo_sandbox, "batch"), posted(qbo_sandbox, "vendor")
    assert all(entry["status"] == 200 for entry in sent + alone)
    # A worker that found no other record waiting sends its own alone.
    assert sum(entry["items"] for entry in sent) + len(alone) == RECORDS
    assert max(entry["items"] for entry in sent) <= 30
    assert len(alone) < len(sent)

    tasks = DBTaskResult.objects.filter(task_path=EXPORT_TASK)
    deadline = time.monotonic() + 60
    while tasks.exclude(status="SUCCESSFUL").exists():
        assert time.monotonic() < deadline, workers.logs()
        time.sleep(0.1)
    outcomes = Counter(
        DBTaskResult.objects.filter(task_path=EXPORT_TASK).values_list("return_value", flat=True)
    )
    # Several workers claimed batches from the same records waiting.
    claimers = {
        worker
        for outcome, worker_ids in tasks.values_list("return_value", "worker_ids")
        if outcome.startswith("batch of ")
        for worker in worker_ids
    }
    assert len(claimers) >= 2
    synced = 0
    for outcome, count in outcomes.items():
        batch = BATCH_OUTCOME.fullmatch(outcome)
        if batch:
            assert batch[2] == f"{batch[1]} synced", outcome
            synced += int(batch[1]) * count
        elif outcome == "synced":
            synced += count
        else:
            assert outcome in ("skipped: not exporting", "skipped: another worker is exporting it")
    assert synced == RECORDS
