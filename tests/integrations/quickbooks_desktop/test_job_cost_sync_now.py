"""Sync now and the import schedule with QuickBooks Desktop: they queue the reads for the Web
Connector (never a worker's run, which could not reach QuickBooks), the page says the sync
waits for the Web Connector and when it last ran, follows it while the Web Connector reads, and
shows the result once it has."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from approvals.models import JobCostTransaction, SyncKind
from approvals.services.importing import sync_schedule
from approvals.states import SyncStatus
from integrations.models import ERPConnection, ERPKind
from integrations.quickbooks_desktop import job_cost_reads
from integrations.quickbooks_desktop.models import QueuedRequest, RequestState
from tests.factories import make_project, make_user
from tests.integrations.quickbooks_desktop.conftest import (
    WEB_CONNECTOR_USER,
    make_desktop,
    seed_job_check,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def scene(local_quickbooks, client):
    quickbooks = local_quickbooks
    acme = quickbooks.seed("Customer", Name="Acme Development")
    tower = quickbooks.seed(
        "Customer", Name="Riverside Tower", ParentRef={"ListID": acme["ListID"]}
    )
    quickbooks.seed("Vendor", Name="Bolt Electric")
    seed_job_check(quickbooks, tower["ListID"])
    desktop = make_desktop(username=WEB_CONNECTOR_USER, read_lists=False)
    project = make_project(
        erp_connection=desktop.connection,
        erp_id=tower["ListID"],
        sync_status=SyncStatus.SYNCED,
        job_cost_sync_enabled=True,
    )
    client.force_login(make_user(role="project_manager", projects=[project]))
    return {"quickbooks": quickbooks, "desktop": desktop, "project": project}


def _sync_now(client, project):
    return client.post(reverse("approvals:project_job_costs_sync", args=[project.pk]), follow=True)


def _status(client, project) -> dict:
    return client.get(reverse("approvals:project_job_costs_sync_status", args=[project.pk])).json()


def _said(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _sync_tasks() -> int:
    return DBTaskResult.objects.filter(task_path="approvals.sync_tasks.sync_run").count()


def test_sync_now_queues_the_read_for_the_web_connector_and_the_page_says_so(client, scene):
    project, quickbooks = scene["project"], scene["quickbooks"]

    first = _sync_now(client, project)

    waits = (
        "it waits for QuickBooks Desktop. The Web Connector does it when it next runs; it has "
        "not run yet for this company."
    )
    assert _said(first) == [f"Job-cost sync requested; {waits}"]
    assert list(QueuedRequest.objects.values_list("operation", "state")) == [
        (job_cost_reads.OPERATIONS[0], RequestState.QUEUED)
    ]
    assert _sync_tasks() == 0  # no worker's run: it could not reach QuickBooks
    page = first.content.decode()
    assert "Sync requested" in page and waits in page
    assert _status(client, project)["active"] is True

    second = _sync_now(client, project)
    assert _said(second) == [f"A job-cost sync was already requested; {waits}"]
    assert QueuedRequest.objects.count() == 1

    log = quickbooks.run()

    assert log["outcome"] == "ok"
    assert _status(client, project)["active"] is False
    page = client.get(reverse("approvals:project_job_costs", args=[project.pk])).content.decode()
    assert "Last sync finished" in page and "Sync requested" not in page
    assert list(JobCostTransaction.objects.values_list("doc_number", "amount")) == [("1001", 120)]
    then = _sync_now(client, project)
    assert "it last ran less than a minute ago" in _said(then)[0]


def test_the_page_follows_the_read_while_the_web_connector_does_it(client, scene, settings):
    project, quickbooks = scene["project"], scene["quickbooks"]
    _sync_now(client, project)
    quickbooks.fault("interrupt", after=1)  # stops after the bills, its run still open

    assert quickbooks.run()["outcome"] == "interrupted"

    status = _status(client, project)
    assert status["active"] is True
    assert "Syncing now" in status["html"]
    settings.QBWC_BUSY_SECONDS = 0  # the run has been silent long enough to be over
    status = _status(client, project)
    assert "Sync requested" in status["html"] and "Syncing now" not in status["html"]


def test_the_schedule_queues_due_reads_for_the_web_connector_not_a_worker(scene):
    quickbooks = scene["quickbooks"]

    queued = sync_schedule.syncs_enqueue_due()

    assert len(queued) == len(SyncKind)
    assert _sync_tasks() == 0
    operations = set(QueuedRequest.objects.values_list("operation", flat=True))
    assert {"AccountQueryRq", "CustomerQueryRq", "VendorQueryRq", "ItemQueryRq"} <= operations
    assert job_cost_reads.OPERATIONS[0] in operations
    assert sync_schedule.syncs_enqueue_due() == []  # waiting already: nothing twice

    assert quickbooks.run()["outcome"] == "ok"

    assert set(QueuedRequest.objects.values_list("state", flat=True)) == {RequestState.DONE}
    assert JobCostTransaction.objects.count() == 1


def test_the_sync_command_queues_the_reads_and_says_when_they_are_done(scene):
    out = StringIO()

    call_command("erp_sync", "job_costs", stdout=out)
    call_command("erp_sync", "vendors", stdout=out)
    call_command("erp_sync", "vendors", stdout=out)

    said = out.getvalue().splitlines()
    assert said[0].startswith("The reads of job costs from ")
    assert said[0].endswith(
        " queued. The Web Connector does it when it next runs; it has not run yet for this company."
    )
    assert " vendors from " in said[1] and " queued." in said[1]
    assert " were already waiting." in said[2]
    assert sorted(QueuedRequest.objects.values_list("operation", flat=True)) == [
        job_cost_reads.OPERATIONS[0],
        "VendorQueryRq",
    ]


def test_a_company_without_its_web_connector_set_up_says_so_instead_of_failing(client):
    connection = ERPConnection.objects.create(
        kind=ERPKind.QUICKBOOKS_DESKTOP, company_id="{NOT-SET-UP}", company_name="Riverside"
    )
    project = make_project(
        erp_connection=connection,
        erp_id="80000001-1",
        sync_status=SyncStatus.SYNCED,
        job_cost_sync_enabled=True,
    )
    client.force_login(make_user(role="project_manager", projects=[project]))

    said = _said(_sync_now(client, project))

    assert said == [
        "The job-cost sync could not be requested. The Web Connector is not set up for this "
        "company yet: an administrator sets it up under ERP Integrations, QuickBooks Desktop "
        "connections."
    ]
    assert not QueuedRequest.objects.exists() and _sync_tasks() == 0
    assert sync_schedule.syncs_enqueue_due() == []
