"""Sync now on a project's job-cost page: it queues the import for a worker and never asks the
ERP while the person waits; the page follows the sync and says how it ended and when the next
one is due."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from approvals.models import Project, SyncCursor, SyncKind
from approvals.services.importing import imports_jobs
from approvals.services.importing.sync_runs import cursor_for
from tests.factories import make_erp_connection, make_project, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False
    settings.ERP_SYNC_INTERVAL_MINUTES = {**settings.ERP_SYNC_INTERVAL_MINUTES, "job_costs": 30}


def _sync_tasks() -> list:
    return list(DBTaskResult.objects.filter(task_path="approvals.sync_tasks.sync_run"))


def _page(client, project) -> str:
    return client.get(reverse("approvals:project_job_costs", args=[project.pk])).content.decode()


def _sync_now(client, project):
    return client.post(reverse("approvals:project_job_costs_sync", args=[project.pk]), follow=True)


def _status(client, project) -> dict:
    response = client.get(reverse("approvals:project_job_costs_sync_status", args=[project.pk]))
    assert "no-cache" in response["Cache-Control"]
    return response.json()


def _said(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def scene(client, erp_books, erp_connection):
    connection = erp_connection
    project = make_project(synced=True, job_cost_sync_enabled=True)
    manager = make_user(role="project_manager", projects=[project])
    client.force_login(manager)
    return connection, project


def test_sync_now_queues_one_import_and_clicking_again_queues_nothing_more(client, scene):
    connection, project = scene

    first = _sync_now(client, project)
    second = _sync_now(client, project)

    [task] = _sync_tasks()
    assert task.args_kwargs["args"] == [SyncKind.JOB_COSTS, connection.pk]
    assert any("Job-cost sync requested" in message for message in _said(first))
    assert any("already requested" in message for message in _said(second))
    assert "Sync requested</strong> at" in second.content.decode()
    assert _status(client, project)["active"] is True


def test_sync_now_while_a_sync_runs_queues_nothing_and_the_page_shows_its_progress(client, scene):
    connection, project = scene
    cursor = cursor_for(connection, SyncKind.JOB_COSTS)
    SyncCursor.objects.filter(pk=cursor.pk).update(
        lease_token="someone",
        lease_until=timezone.now() + timedelta(minutes=5),
        last_run_at=timezone.now(),
        last_summary={"created": 40, "updated": 2, "deleted": 0, "unchanged": 7},
    )

    done = _sync_now(client, project)

    assert _sync_tasks() == []
    assert any("running now" in message for message in _said(done))
    status = _status(client, project)
    assert status["active"] is True
    assert "Syncing now" in status["html"]
    assert "40 new, 2 changed, 0 removed, 7 unchanged cost lines so far" in status["html"]


def test_once_the_sync_ends_the_page_says_how_it_ended_and_when_the_next_is_due(client, scene):
    connection, project = scene
    _sync_now(client, project)
    finished = timezone.now()
    cursor = cursor_for(connection, SyncKind.JOB_COSTS)
    SyncCursor.objects.filter(pk=cursor.pk).update(
        requested_at=None,
        last_run_at=finished,
        last_success_at=finished,
        last_summary={"created": 3, "updated": 1, "deleted": 1, "unchanged": 120},
    )

    assert _status(client, project)["active"] is False
    page = _page(client, project)
    assert "Last sync finished" in page
    assert "3 new, 1 changed, 1 removed, 120 unchanged cost lines" in page
    next_due = timezone.localtime(finished + timedelta(minutes=30))
    assert f"Next scheduled sync: {next_due:%b}" in page and f"{next_due:%H:%M}" in page
    assert "(every 30 minutes)" in page


def test_a_sync_that_failed_says_why(client, scene):
    connection, project = scene
    cursor = cursor_for(connection, SyncKind.JOB_COSTS)
    SyncCursor.objects.filter(pk=cursor.pk).update(
        last_run_at=timezone.now(),
        last_error="The accounting system refused the connection's authorization.",
    )

    page = _page(client, project)

    assert "stopped: The accounting system refused the connection&#x27;s authorization." in page


def test_sync_now_needs_job_cost_syncing_enabled_and_a_post(client):
    make_erp_connection()
    project = make_project(synced=True)
    client.force_login(make_user(role="project_manager", projects=[project]))

    done = _sync_now(client, project)
    fetched = client.get(reverse("approvals:project_job_costs_sync", args=[project.pk]))

    assert any("not enabled" in message for message in _said(done))
    assert fetched.status_code == 405
    assert _sync_tasks() == []
    assert "Sync now" not in _page(client, project)


def test_nobody_outside_the_project_can_start_its_sync(client, scene):
    _, project = scene
    client.force_login(make_user(role="project_manager"))

    refused = client.post(reverse("approvals:project_job_costs_sync", args=[project.pk]))
    status = client.get(reverse("approvals:project_job_costs_sync_status", args=[project.pk]))

    assert (refused.status_code, status.status_code) == (404, 404)
    assert _sync_tasks() == []


def test_sync_now_with_no_accounting_system_connected_says_so(client):
    project = make_project(job_cost_sync_enabled=True)
    client.force_login(make_user(role="project_manager", projects=[project]))

    done = _sync_now(client, project)

    assert any("No accounting system is connected" in message for message in _said(done))
    assert _sync_tasks() == []


def test_the_sync_task_brings_the_job_costs_and_the_page_then_shows_the_result(
    client, erp_books, erp_connection
):
    erp_books.add_job("Lincoln Gym", under=erp_books.add_customer("City Schools"))
    imports_jobs.jobs_sync(connection=erp_connection)
    approver = make_user(role="approver")
    job = imports_jobs.jobs_ready_to_import(connection=erp_connection).get()
    manager = make_user(role="project_manager")
    project = imports_jobs.job_add_to_projects(job=job, actor=approver, managers=[manager])
    imports_jobs.project_enable_job_costs(project=project, actor=approver)
    client.force_login(manager)

    _sync_now(client, project)
    [task] = _sync_tasks()
    task.claim("test-worker")
    result = task.task.call(*task.args_kwargs["args"], **task.args_kwargs["kwargs"])
    task.set_successful(result)

    assert _status(client, project)["active"] is False
    page = _page(client, project)
    assert "Last sync finished" in page and "cost lines." in page
    assert Project.objects.get(pk=project.pk).job_costs_synced_at is not None


def test_a_running_sync_records_what_it_did_so_far_after_each_batch(erp_books, erp_connection):
    from approvals.services.importing.imports_vendors import vendors_sync

    erp_books.add_vendors(3, prefix="Vendor")
    cursor = cursor_for(erp_connection, SyncKind.VENDORS)
    SyncCursor.objects.filter(pk=cursor.pk).update(last_summary={"created": 999})
    recorded = []

    def progress(summary):
        recorded.append(SyncCursor.objects.get(pk=cursor.pk).last_summary["created"])

    summary = vendors_sync(connection=erp_connection, progress=progress)

    assert recorded == [summary.created] and summary.created == 3
