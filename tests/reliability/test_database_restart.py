"""PostgreSQL restarts (stopped for 30 s, then started) while exports are in flight: the web
server, the export workers and the scheduler all keep running, the vendors QuickBooks created
in one batch request while the database was down are each recorded once, and every accepted
record ends as exactly one document in QuickBooks.

The database is a cluster of the test's own (tests/reliability/private_postgres.py), never the
machine's shared server. OUTAGE_SECONDS sets the length of the outage (30 s by default).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connections

from approvals.models import Commitment, Company, SubcontractorInvoice
from approvals.services.database_outage import DATABASE_UNREACHABLE
from approvals.states import SyncStatus
from integrations.quickbooks_online import mapping
from money import plain_money
from tests.reliability import scene, soak
from tests.reliability.private_postgres import PrivateCluster, _free_port, postgres_bin_dir
from tests.reliability.results import RESULTS, OutageFigures
from tests.reliability.sandbox_faults import BatchWriteFault, RandomFault, add_fault
from tests.reliability.test_soak import record_key
from tests.worker_processes import PROJECT_ROOT, WorkerPool, worker_environment

OUTAGE_SECONDS = float(os.environ.get("OUTAGE_SECONDS", "30"))
WORKERS = 2
RECORDS = 15
SEED = 1207
# The batch of vendor creates QuickBooks is busy with when the database stops (vendors accepted
# together go out in one batch request); it answers mid-outage.
HELD_BATCH_SECONDS = 4.0
EVERY_REQUEST_SECONDS = 0.2
MODELS = {"company": Company, "commitment": Commitment, "invoice": SubcontractorInvoice}
UNSETTLED = (SyncStatus.READY_TO_EXPORT, SyncStatus.EXPORTING)
PROCESS_SETTINGS = {
    "QBO_REQUESTS_PER_MINUTE": "100000",
    "QBO_MAX_CONCURRENT": "30",
    # Longer than the held batch: the worker is waiting for its answer when the database goes.
    "QBO_TIMEOUT_SECONDS": "10",
    "EXPORT_RETRY_BASE_SECONDS": "0.1",
    "EXPORT_RETRY_MAX_SECONDS": "0.5",
}
RERUN_LINE = "running task"


@pytest.fixture
def private_database(django_db_blocker):
    """The default database pointed at a fresh cluster of our own, migrated."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL's initdb is not installed")
    cluster = PrivateCluster(bin_dir)
    database = connections["default"]
    kept = dict(database.settings_dict)
    try:
        cluster.create()
        cluster.create_database("outage")
        with django_db_blocker.unblock():
            database.close()
            database.settings_dict.update(
                ENGINE="django.db.backends.postgresql",
                HOST="127.0.0.1",
                PORT=str(cluster.port),
                NAME="outage",
                USER="postgres",
                PASSWORD="",
            )
            call_command("migrate", verbosity=0)
            yield cluster
            _close_quietly()
    finally:
        database.settings_dict.clear()
        database.settings_dict.update(kept)
        cluster.destroy()


def _close_quietly() -> None:
    for database in connections.all(initialized_only=True):
        try:
            database.close()
        except DATABASE_UNREACHABLE:
            database.connection = None


class Processes:
    """The install's long-running processes, as a supervisor would run them."""

    def __init__(self, environment: dict[str, str], log_dir):
        self.environment = environment
        self.log_dir = log_dir
        self.workers = WorkerPool(environment, log_dir, name="outage")
        self.others: dict[str, subprocess.Popen] = {}
        self.web_port = _free_port()

    def start(self) -> None:
        self._start("web", "-m", "gunicorn", "config.wsgi", "--bind",
                    f"127.0.0.1:{self.web_port}", "--workers", "1", "--timeout", "60")  # fmt: skip
        self.workers.start(WORKERS)
        self._start("scheduler", "manage.py", "erp_schedule", "--loop", "1")

    def _start(self, name: str, *arguments: str) -> None:
        with (self.log_dir / f"{name}.log").open("wb") as log:
            self.others[name] = subprocess.Popen(
                [sys.executable, *arguments],
                cwd=PROJECT_ROOT,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def exited(self) -> list[str]:
        gone = [name for name, process in self.others.items() if process.poll() is not None]
        return gone + [f"worker-{n}" for n in range(WORKERS - self.workers.alive())]

    def health(self) -> tuple[int, dict]:
        url = f"http://127.0.0.1:{self.web_port}/health/"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)
        except OSError:
            return 0, {}

    def worker_reruns(self) -> int:
        return sum(
            path.read_text(errors="replace").count(RERUN_LINE)
            for path in self.log_dir.glob("worker-*.log")
        )

    def logs(self) -> str:
        return self.workers.logs() + "".join(
            f"\n--- {name}.log ---\n{(self.log_dir / f'{name}.log').read_text()[-3000:]}"
            for name in self.others
        )

    def stop(self) -> None:
        self.workers.stop()
        for process in self.others.values():
            if process.poll() is None:
                process.terminate()
        for process in self.others.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def processes(private_database, qbo_sandbox, tmp_path):
    running = Processes(worker_environment(qbo_sandbox, PROCESS_SETTINGS), tmp_path)
    yield running
    running.stop()


def wait_for(condition, *, timeout: float, what: str, logs=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for {what}\n{logs()}")
        time.sleep(0.1)


def accept_records(office: soak.Office) -> None:
    """Enough of each kind, sent and accepted before the workers start."""
    while (
        sum(map(len, office.accepted.values())) < RECORDS
        or min(map(len, office.accepted.values())) < 2
    ):
        office.next_record()


def unsettled(accepted: dict[str, list]) -> bool:
    try:
        return any(
            MODELS[kind].objects.filter(pk__in=pks, sync_status__in=UNSETTLED).exists()
            for kind, pks in accepted.items()
        )
    except DATABASE_UNREACHABLE:
        _close_quietly()
        return True


@dataclass
class Clock:
    down_at: float = 0.0
    up_at: float = 0.0


@pytest.mark.skipif(
    os.environ.get("RELIABILITY_REPORT") != "1",
    reason="a 30-second outage of a cluster of its own: run by `make reliability`; the fast "
    "suite cuts connections instead (tests/concurrency/test_database_connection_lost.py)",
)
def test_a_database_restart_stops_no_process_and_loses_or_doubles_nothing(
    private_database, qbo_sandbox, qbo_sandbox_server, qbo_settings, processes
):
    cluster = private_database
    qbo_sandbox.set_limits(requests_per_window=100_000, concurrent=30)
    pm, approver = scene.people()
    books = scene.open_books(qbo_sandbox, pm=pm, approver=approver, tag=950)
    office = soak.Office(books, random.Random(SEED))
    accept_records(office)
    held = add_fault(
        qbo_sandbox_server, BatchWriteFault("latency", entity="Vendor", seconds=HELD_BATCH_SECONDS)
    )
    add_fault(
        qbo_sandbox_server,
        RandomFault("latency", share=1.0, rng=random.Random(SEED), seconds=EVERY_REQUEST_SECONDS),
    )
    processes.start()
    wait_for(lambda: processes.health()[0] == 200, timeout=60, what="the web server",
             logs=processes.logs)  # fmt: skip
    wait_for(held.fired.is_set, timeout=60, what="a batch of vendor creates", logs=processes.logs)

    clock = Clock()
    cluster.stop()
    clock.down_at = time.monotonic()
    _close_quietly()
    status, body = processes.health()
    assert (status, body.get("database")) == (503, "unreachable"), body
    time.sleep(max(0.0, clock.down_at + OUTAGE_SECONDS - time.monotonic()))
    assert processes.exited() == [], processes.logs()
    cluster.start()
    clock.up_at = time.monotonic()

    wait_for(lambda: processes.health()[0] == 200, timeout=60, what="health to recover")
    healthy_after = time.monotonic() - clock.up_at
    wait_for(
        lambda: not unsettled(office.accepted),
        timeout=180,
        what="every accepted record to settle after the restart",
        logs=processes.logs,
    )
    settled_after = time.monotonic() - clock.up_at
    assert processes.exited() == [], processes.logs()
    qbo_sandbox.clear_faults()

    documents = soak.QUICKBOOKS_ONLINE.documents_by_record(books)
    accepted = {kind: len(pks) for kind, pks in office.accepted.items()}
    our_bills = their_bills = Decimal("0.00")
    for kind, pks in office.accepted.items():
        for record in MODELS[kind].objects.filter(pk__in=pks):
            assert record.sync_status == SyncStatus.SYNCED, (record, record.last_export_error)
            (document,) = documents[kind].get(record_key(kind, record), [])
            assert document["Id"] == record.erp_id
            if kind == "invoice":
                ours = record.totals().net
                theirs = mapping.as_decimal(document["TotalAmt"])
                assert theirs == ours, record
                our_bills += ours
                their_bills += theirs
    # Nothing else in QuickBooks but the scene's own vendor and purchase order.
    assert sum(map(len, documents["company"].values())) == accepted["company"] + 1
    assert sum(map(len, documents["commitment"].values())) == accepted["commitment"] + 1
    assert sum(map(len, documents["invoice"].values())) == accepted["invoice"]
    reruns = processes.worker_reruns()
    assert reruns >= 1, "the held batch's outcome was never settled by a run after the restart"

    RESULTS.outage = OutageFigures(
        outage_seconds=clock.up_at - clock.down_at,
        accepted=accepted,
        documents=sum(accepted.values()),
        processes=["web (gunicorn)", f"{WORKERS} db_worker processes", "erp_schedule --loop"],
        exited=0,
        settled_after_seconds=settled_after,
        healthy_after_seconds=healthy_after,
        tasks_run_again=reruns,
        bills_total=plain_money(our_bills),
    )
    print(RESULTS.outage.summary())
