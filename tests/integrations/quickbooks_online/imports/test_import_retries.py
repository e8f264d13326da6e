"""An import the ERP interrupts is queued again by its task (the client tries each call once):
when the ERP said after a throttle, without counting it; after the back-off otherwise, until the
tries run out; and the run that follows resumes where the interrupted one stopped."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from approvals.models import ERPVendor, SyncCursor, SyncKind
from approvals.sync_tasks import sync_run

pytestmark = pytest.mark.django_db
SYNC_TASK = "approvals.sync_tasks.sync_run"


def queued_syncs():
    return list(DBTaskResult.objects.filter(task_path=SYNC_TASK).order_by("enqueued_at"))


def test_a_throttled_import_is_queued_again_when_quickbooks_said_as_the_same_try(
    qbo_sandbox, qbo_connection, settings
):
    settings.QUICKBOOKS_ONLINE = {**settings.QUICKBOOKS_ONLINE, "RATE_WINDOW_SECONDS": 2}
    qbo_sandbox.seed_vendors(3, prefix="Supplier")
    qbo_sandbox.inject_fault("throttle", count=1)
    before = timezone.now()

    outcome = sync_run.call(SyncKind.VENDORS, qbo_connection.pk, 2)

    assert "too many requests" in outcome["stopped"]
    (again,) = queued_syncs()
    assert again.args_kwargs["args"] == [SyncKind.VENDORS, qbo_connection.pk, 2]
    assert before + timedelta(seconds=2) <= again.run_after
    assert again.run_after <= timezone.now() + timedelta(seconds=2)
    cursor = SyncCursor.objects.get(erp_connection=qbo_connection, kind=SyncKind.VENDORS)
    assert cursor.requested_at is not None

    # Every worker holds back until then; the worker runs the task once it is due.
    time.sleep(max(0.0, (again.run_after - timezone.now()).total_seconds()))
    assert sync_run.call(*again.args_kwargs["args"])["created"] == 3
    assert ERPVendor.objects.filter(erp_connection=qbo_connection).count() == 3


def test_an_import_quickbooks_keeps_failing_waits_for_its_next_scheduled_run(
    qbo_sandbox, qbo_connection, settings
):
    settings.EXPORT_MAX_TRIES = 2
    qbo_sandbox.inject_fault("http_503", count=5)

    first = sync_run.call(SyncKind.VENDORS, qbo_connection.pk)
    (again,) = queued_syncs()
    assert again.args_kwargs["args"] == [SyncKind.VENDORS, qbo_connection.pk, 2]
    assert "asked again" in first["next"]

    last = sync_run.call(*again.args_kwargs["args"])
    assert "next scheduled run" in last["next"]
    assert len(queued_syncs()) == 1
