"""The database drops the worker's and the scheduler's connections (as a PostgreSQL restart
does) while QuickBooks is creating a vendor: both processes carry on, and the vendor QuickBooks
created is recorded once, by the look-up of the try that runs again."""

import subprocess
import sys
import time
from contextlib import contextmanager

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django_tasks_db.models import DBTaskResult

from approvals.models import AuditEvent, Company
from approvals.services import record_accept, record_send, records_accept_bulk
from approvals.states import Action, SyncStatus
from tests.factories import make_company, make_user
from tests.reliability.sandbox_faults import BatchWriteFault, WriteFault, add_fault
from tests.worker_processes import PROJECT_ROOT

VENDOR_CREATE_SECONDS = 1.5


def drop_other_connections() -> int:
    """What a database restart does to every other process's connection."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def wait_for(condition, *, timeout: float, what: str, logs=lambda: ""):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for {what}\n{logs()}")
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_the_worker_outlives_lost_connections_and_records_the_vendor_once(
    qbo_sandbox, qbo_sandbox_server, qbo_connection, workers
):
    company = make_company(name="Northgate Glazing LLC")
    record_send(record=company, actor=make_user(role="project_manager"))
    record_accept(record=company, actor=make_user(role="approver"))
    create = add_fault(
        qbo_sandbox_server,
        WriteFault("latency", entity="Vendor", seconds=VENDOR_CREATE_SECONDS),
    )
    [worker] = workers.start(1)

    wait_for(create.fired.is_set, timeout=30, what="the vendor create", logs=workers.logs)
    assert drop_other_connections() >= 1
    company.refresh_from_db()
    wait_for(
        lambda: Company.objects.get(pk=company.pk).sync_status == SyncStatus.SYNCED,
        timeout=30,
        what="the vendor to be recorded",
        logs=workers.logs,
    )
    # It keeps working: a second vendor accepted after the outage is exported too.
    later = make_company(name="Eastline Roofing Inc")
    record_send(record=later, actor=make_user(role="project_manager", username="pm2"))
    record_accept(record=later, actor=make_user(role="approver", username="approver2"))
    wait_for(
        lambda: Company.objects.get(pk=later.pk).sync_status == SyncStatus.SYNCED,
        timeout=30,
        what="the vendor accepted after the outage",
        logs=workers.logs,
    )
    assert worker.poll() is None, workers.logs()

    company.refresh_from_db()
    vendors = [
        vendor
        for vendor in qbo_sandbox.entities("Vendor")
        if vendor["DisplayName"] == "Northgate Glazing LLC"
    ]
    assert [vendor["Id"] for vendor in vendors] == [company.erp_id]
    trail = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Company), object_id=company.pk
    ).order_by("created_at", "pk")
    assert [event.action for event in trail] == [
        Action.SEND,
        Action.ACCEPT,
        Action.EXPORT_SUCCEEDED,
    ]


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_loop_outlives_lost_connections(worker_environment, tmp_path):
    log_path = tmp_path / "erp_schedule.log"
    with log_path.open("wb") as log:
        scheduler = subprocess.Popen(
            [sys.executable, "manage.py", "erp_schedule", "--loop", "0.1"],
            cwd=PROJECT_ROOT,
            env={**worker_environment, "LOG_LEVEL": "WARNING"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def passes() -> int:
            return log_path.read_text().count("Nothing is due.")

        wait_for(lambda: passes() >= 2, timeout=30, what="the scheduler's first passes")
        for _ in range(3):
            drop_other_connections()
            time.sleep(0.15)
        after_drops = passes()
        wait_for(
            lambda: passes() >= after_drops + 3,
            timeout=30,
            what="the scheduler to carry on",
            logs=log_path.read_text,
        )
        assert scheduler.poll() is None, log_path.read_text()
        assert "the database is back" in log_path.read_text()
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=10)


BATCHED_VENDORS = 3
HELD_BATCH_SECONDS = 8.0


@contextmanager
def connection_cut_at_second_settle():
    """The database cuts the connection settling the second record of an export (as a restart
    would between two of a batch's commits): a trigger on the audit trail ends its own session
    once, on the second 'exported' event, whose transaction is lost with it."""
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("CREATE SEQUENCE settles_seen")
        cursor.execute(
            "CREATE FUNCTION cut_at_second_settle() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN IF nextval('settles_seen') = 2 THEN "
            "PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); END IF; "
            "RETURN NEW; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER cut_at_second_settle AFTER INSERT ON {table} FOR EACH ROW "
            f"WHEN (NEW.action = '{Action.EXPORT_SUCCEEDED}') "
            "EXECUTE FUNCTION cut_at_second_settle()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER cut_at_second_settle ON {table}")
            cursor.execute("DROP FUNCTION cut_at_second_settle()")
            cursor.execute("DROP SEQUENCE settles_seen")


@pytest.mark.django_db(transaction=True)
def test_a_batch_cut_off_between_two_settles_is_finished_by_its_run_again(
    qbo_sandbox, qbo_sandbox_server, qbo_connection, workers
):
    """Vendors accepted together go in one batch; the connection is lost after the first is
    recorded. The others' own tasks ran (and were skipped) while the batch held them, so the
    worker's run of the batch's task again must send them, not leave them claimed until the
    stuck-export recovery a quarter of an hour later."""
    pm, approver = make_user(role="project_manager"), make_user(role="approver")
    names = [f"Batch Glazing {n} LLC" for n in range(1, BATCHED_VENDORS + 1)]
    companies = [make_company(name=name) for name in names]
    for company in companies:
        record_send(record=company, actor=pm)
    assert all(outcome.ok for outcome in records_accept_bulk(records=companies, actor=approver))
    held = add_fault(
        qbo_sandbox_server,
        BatchWriteFault("latency", entity="Vendor", seconds=HELD_BATCH_SECONDS),
    )
    member_tasks = DBTaskResult.objects.filter(
        task_path="approvals.tasks.export_run",
        args_kwargs__args__1__in=[company.pk for company in companies[1:]],
    )
    with connection_cut_at_second_settle():
        [batching] = workers.start(1)
        wait_for(held.fired.is_set, timeout=30, what="the batch of vendors", logs=workers.logs)
        # A second worker takes the other vendors' tasks while the batch holds them.
        workers.start(1)
        wait_for(
            lambda: member_tasks.filter(status="SUCCESSFUL").count() == BATCHED_VENDORS - 1,
            timeout=HELD_BATCH_SECONDS - 1,
            what="the other vendors' tasks to find them in the batch",
            logs=workers.logs,
        )
        wait_for(
            lambda: "running task" in workers.logs(),
            timeout=30,
            what="the connection to be cut between two settles",
            logs=workers.logs,
        )
        wait_for(
            lambda: (
                not Company.objects.filter(
                    pk__in=[company.pk for company in companies], sync_status=SyncStatus.EXPORTING
                ).exists()
            ),
            timeout=30,
            what="every vendor of the batch to be recorded",
            logs=workers.logs,
        )
    assert batching.poll() is None, workers.logs()
    for company in companies:
        company.refresh_from_db()
        assert company.sync_status == SyncStatus.SYNCED, company.last_export_error
        [vendor] = [v for v in qbo_sandbox.entities("Vendor") if v["DisplayName"] == company.name]
        assert vendor["Id"] == company.erp_id
    batches = [r for r in qbo_sandbox.request_log() if r["path"].endswith("/batch")]
    assert batches[0]["items"] == BATCHED_VENDORS, batches
