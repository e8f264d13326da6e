"""Real `manage.py db_worker` processes on the test database, exporting to the in-process sandbox.

The tests here are transactional: the workers must see what the test commits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from approvals.states import SyncStatus

PROJECT_ROOT = Path(__file__).resolve().parents[2]
UNSETTLED = (SyncStatus.READY_TO_EXPORT, SyncStatus.EXPORTING)


def _database_url() -> str:
    """The URL of the test database this process uses (pytest-django renamed it)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{quote(db['NAME'], safe='')}"


@pytest.fixture
def worker_environment(qbo_sandbox) -> dict[str, str]:
    """What a worker process needs: our database, our keys (to read the stored tokens), the
    sandbox, limits high enough that 300 exports are not paced, and retries in fractions of a
    second."""
    if connection.vendor != "postgresql":
        pytest.skip("several worker processes need PostgreSQL")
    return {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "QBO_API_BASE_URL": qbo_sandbox.base_url,
        "QBO_DISCOVERY_URL": qbo_sandbox.discovery_url,
        "QBO_CLIENT_ID": qbo_sandbox.client_id,
        "QBO_CLIENT_SECRET": qbo_sandbox.client_secret,
        "QBO_REQUESTS_PER_MINUTE": "100000",
        "QBO_MAX_CONCURRENT": "30",
        "QBO_RETRY_BACKOFF_SECONDS": "0.01",
        "EXPORT_RETRY_BASE_SECONDS": "0.1",
        "EXPORT_RETRY_MAX_SECONDS": "0.5",
    }


class Workers:
    """Starts `db_worker` processes; whatever is still running at the end is stopped."""

    def __init__(self, environment: dict[str, str], log_dir: Path):
        self.environment = environment
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []

    def start(self, count: int = 1) -> list[subprocess.Popen]:
        started = []
        for _ in range(count):
            number = len(self.processes) + 1
            log = (self.log_dir / f"worker-{number}.log").open("wb")
            process = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "db_worker",
                    "--queue-name",
                    "*",
                    "--interval",
                    "0.05",
                    "--no-startup-delay",
                    "--no-reload",
                    "--worker-id",
                    f"test-worker-{number}-{os.getpid()}",
                ],
                cwd=PROJECT_ROOT,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            log.close()
            self.processes.append(process)
            started.append(process)
        return started

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL: no handler runs, no transaction is finished, the task row stays claimed."""
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name} ---\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.log_dir.glob("worker-*.log"))
        )


@pytest.fixture
def workers(worker_environment, tmp_path):
    pool = Workers(worker_environment, tmp_path)
    yield pool
    # Before pytest-django empties the tables: a worker holding a connection would block it.
    pool.stop_all()


def wait_until_settled(records_query, workers: Workers, *, timeout: float = 60.0) -> Counter:
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
