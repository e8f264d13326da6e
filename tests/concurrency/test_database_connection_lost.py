"""The database drops the worker's and the scheduler's connections (as a PostgreSQL restart
does) while QuickBooks is creating a vendor: both processes carry on, and the vendor QuickBooks
created is recorded once, by the look-up of the try that runs again."""

import subprocess
import sys
import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from approvals.models import AuditEvent, Company
from approvals.services import record_accept, record_send
from approvals.states import Action, SyncStatus
from tests.factories import make_company, make_user
from tests.reliability.sandbox_faults import WriteFault, add_fault
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
