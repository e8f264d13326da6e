"""What keeps the install running unattended: the scheduler's own stuck-export recovery, and the
health endpoint a load balancer or monitor polls."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from approvals.services import record_accept, record_send
from tests.factories import make_commitment, make_company

pytestmark = pytest.mark.django_db

EXPORT_TASK = "approvals.tasks.export_run"


@pytest.fixture
def exporting(project, pm, approver):
    commitment = make_commitment(project=project)
    record_send(record=commitment, actor=pm)
    record_accept(record=commitment, actor=approver)
    return commitment


def export_tasks():
    return DBTaskResult.objects.filter(task_path=EXPORT_TASK)


def test_the_scheduler_requeues_stuck_exports_by_itself(exporting, settings):
    settings.ERP_SYNC_INTERVAL_MINUTES = {}
    type(exporting).objects.filter(pk=exporting.pk).update(
        export_started_at=timezone.now() - timedelta(minutes=20)
    )
    out = io.StringIO()

    call_command("erp_schedule", stdout=out)

    assert "Re-queued 1 stuck export." in out.getvalue()
    assert export_tasks().count() == 2
    # A second pass finds nothing stuck: the re-queued try started just now.
    call_command("erp_schedule", stdout=out)
    assert export_tasks().count() == 2


def test_the_scheduler_leaves_exports_younger_than_its_limit(exporting, settings):
    settings.ERP_SYNC_INTERVAL_MINUTES = {}
    type(exporting).objects.filter(pk=exporting.pk).update(
        export_started_at=timezone.now() - timedelta(minutes=20)
    )

    call_command("erp_schedule", "--recover-after", "30", stdout=io.StringIO())

    assert export_tasks().count() == 1


def health(client):
    response = client.get("/health/")
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


def test_health_is_ok_with_an_empty_queue_and_a_live_connection(client, erp_connection):
    erp_connection.refresh_token_expires_at = timezone.now() + timedelta(days=90)
    erp_connection.save()

    status, body = health(client)

    assert status == 200
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["export_queue"]["waiting"] == 0
    assert body["export_queue"]["oldest_waiting_seconds"] is None
    assert body["erp"] == {"status": "connected", "name": "Xero"}


def test_health_answers_503_when_an_export_waited_too_long(client, exporting, settings):
    settings.HEALTH_EXPORT_QUEUE_MAX_AGE_SECONDS = 600
    export_tasks().update(enqueued_at=timezone.now() - timedelta(minutes=11))
    # A retry not yet due is not waiting on a worker; it does not count.
    later = make_company(name="Later Retry LLC")
    DBTaskResult.objects.create(
        task_path=EXPORT_TASK,
        queue_name="exports",
        backend_name="default",
        args_kwargs={"args": ["approvals.company", later.pk, 1, 2], "kwargs": {}},
        run_after=timezone.now() + timedelta(hours=1),
    )

    status, body = health(client)

    assert status == 503
    assert body["status"] == "unhealthy"
    assert body["database"] == "ok"
    queue = body["export_queue"]
    assert queue["status"] == "too old"
    assert queue["waiting"] == 1
    assert 660 <= queue["oldest_waiting_seconds"] < 700
    assert queue["limit_seconds"] == 600


def test_health_counts_a_retry_from_when_it_came_due(client, exporting, settings):
    settings.HEALTH_EXPORT_QUEUE_MAX_AGE_SECONDS = 600
    export_tasks().update(
        enqueued_at=timezone.now() - timedelta(hours=2),
        run_after=timezone.now() - timedelta(minutes=2),
    )

    status, body = health(client)

    assert status == 200
    assert 120 <= body["export_queue"]["oldest_waiting_seconds"] < 160


def test_health_reports_an_erp_that_needs_reconnecting_without_failing(client, erp_connection):
    erp_connection.refresh_token_expires_at = timezone.now() - timedelta(minutes=1)
    erp_connection.save()

    status, body = health(client)

    assert status == 200
    assert body["erp"] == {"status": "needs reconnect", "name": "Xero"}


def test_health_with_no_erp_connected(client, db):
    status, body = health(client)

    assert status == 200
    assert body["erp"]["status"] == "not connected"


def test_health_needs_no_login_and_no_https_for_the_load_balancer(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/health/").status_code == 200
    assert client.get("/").status_code == 301
    assert client.post("/health/").status_code == 405
