"""Real `manage.py db_worker` processes on the test database, exporting to the in-process sandbox.

The tests here are transactional: the workers must see what the test commits.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.db import connection

from approvals.states import SyncStatus
from tests.worker_processes import WorkerPool
from tests.worker_processes import worker_environment as worker_environment_for

UNSETTLED = (SyncStatus.READY_TO_EXPORT, SyncStatus.EXPORTING)


@pytest.fixture
def worker_environment(qbo_sandbox) -> dict[str, str]:
    """What a worker process needs: our database, our keys (to read the stored tokens), the
    sandbox, limits high enough that 300 exports are not paced, and retries in fractions of a
    second."""
    if connection.vendor != "postgresql":
        pytest.skip("several worker processes need PostgreSQL")
    return worker_environment_for(
        qbo_sandbox,
        {
            "QBO_REQUESTS_PER_MINUTE": "100000",
            "QBO_BATCH_REQUESTS_PER_MINUTE": "100000",
            "QBO_MAX_CONCURRENT": "30",
            "EXPORT_RETRY_BASE_SECONDS": "0.1",
            "EXPORT_RETRY_MAX_SECONDS": "0.5",
        },
    )


@pytest.fixture
def workers(worker_environment, tmp_path):
    pool = WorkerPool(worker_environment, tmp_path, name="test-worker")
    yield pool
    # Before pytest-django empties the tables: a worker holding a connection would block it.
    pool.stop()


def wait_until_settled(records_query, workers: WorkerPool, *, timeout: float = 60.0) -> Counter:
    """Poll until no record of `records_query` waits for an export; the statuses at the end."""
    deadline = time.monotonic() + timeout
    while True:
        statuses = Counter(records_query.values_list("sync_status", flat=True))
        if not any(statuses[status] for status in UNSETTLED):
            return statuses
        if time.monotonic() > deadline:
            pytest.fail(
                f"Exports still unsettled after {timeout:.0f} s: {dict(statuses)}\n"
                + workers.logs()
            )
        time.sleep(0.1)
