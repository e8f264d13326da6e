"""Job costs from QuickBooks Desktop in a browser: a project manager clicks Sync now, the page
says the sync waits for the Web Connector and when it last ran, and once the Web Connector has
run (the local QuickBooks Desktop's, polling this live server) the page reloads itself with the
cost a bookkeeper entered on the project's job."""

import re

import pytest
from playwright.sync_api import expect

from approvals.states import SyncStatus
from tests.e2e.conftest import DEMO_PASSWORD
from tests.factories import make_project, make_user
from tests.integrations.quickbooks_desktop.conftest import (
    ENDPOINT,
    PASSWORD,
    WEB_CONNECTOR_USER,
    make_desktop,
    seed_job_check,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sync_now_waits_for_the_web_connector_and_shows_the_cost_it_brings(
    qbd_sandbox, live_server, sign_in, screenshot
):
    qbd_sandbox.settings(
        app_url=f"{live_server.url}{ENDPOINT}", username=WEB_CONNECTOR_USER, password=PASSWORD
    )
    acme = qbd_sandbox.seed("Customer", Name="Acme Development")
    tower = qbd_sandbox.seed(
        "Customer", Name="Riverside Tower", ParentRef={"ListID": acme["ListID"]}
    )
    qbd_sandbox.seed("Vendor", Name="Bolt Electric")
    desktop = make_desktop(username=WEB_CONNECTOR_USER)
    project = make_project(
        name="Riverside Tower",
        erp_connection=desktop.connection,
        erp_id=tower["ListID"],
        sync_status=SyncStatus.SYNCED,
    )
    assert qbd_sandbox.run()["outcome"] == "ok"  # the lists; no project syncs job costs yet
    type(project).objects.filter(pk=project.pk).update(job_cost_sync_enabled=True)
    seed_job_check(qbd_sandbox, tower["ListID"], amount="4218.40")
    manager = make_user(role="project_manager", username="pm", projects=[project])
    manager.set_password(DEMO_PASSWORD)
    manager.save()

    pm = sign_in("pm", at=f"/projects/{project.pk}/job-costs/")
    sync = pm.locator("#sync")
    expect(sync).to_contain_text("Actual costs appear after the first job-cost sync.")
    sync.get_by_role("button", name="Sync now").click()

    expect(pm.locator(".messages li").first).to_contain_text(
        "Job-cost sync requested; it waits for QuickBooks Desktop. The Web Connector does it "
        "when it next runs; it last ran less than a minute ago"
    )
    expect(pm.locator("#sync-requested")).to_contain_text("it waits for QuickBooks Desktop.")
    screenshot(pm, "qbd-job-costs-waiting")

    assert qbd_sandbox.run()["outcome"] == "ok"  # the Web Connector's next run

    # The page follows the queued read and reloads with the new cost once it is done.
    expect(pm.locator("#sync-last")).to_contain_text(re.compile(r"Last sync finished .*1 new"))
    expect(pm.locator("#sync-requested")).to_have_count(0)
    expect(pm.locator("#job-costs")).to_contain_text("4,218.40")
