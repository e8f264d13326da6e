"""The demo flow on QuickBooks Desktop, in a browser: a project manager sends a project and a
company, an accountant accepts them (choosing the customer the job goes under), a real
`manage.py db_worker` process hands them to the Web Connector's outbox, and everyone sees them
"Waiting for QuickBooks Desktop" with when the Web Connector last ran — until its next run
brings them into the local QuickBooks Desktop: the job under its customer, the vendor."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.pages import admin_row, open_admin_list, reload_until_text, run_admin_action
from tests.worker_processes import WorkerPool, process_environment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ENDPOINT = "/erp/quickbooks-desktop/qbwc/"
WAITING = "Waiting for QuickBooks Desktop"


@pytest.fixture
def quickbooks_desktop_demo(transactional_db, qbd_sandbox, live_server):
    from approvals.demo.quickbooks_desktop import seed_quickbooks_desktop_demo

    seed_quickbooks_desktop_demo(
        sandbox=qbd_sandbox, password=DEMO_PASSWORD, app_url=f"{live_server.url}{ENDPOINT}"
    )
    return qbd_sandbox


@pytest.fixture
def desktop_worker(quickbooks_desktop_demo, tmp_path):
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("The export worker cannot open an in-memory SQLite test database.")
    workers = WorkerPool(process_environment(), tmp_path, name="e2e-qbd")
    [worker] = workers.start()
    yield worker
    workers.stop()


def pm_sends(page, record_link) -> None:
    record_link.click()
    panel = page.locator("#erp")
    panel.get_by_role("button", name="Send to ERP").click()
    expect(panel.locator(".badge")).to_have_text("Ready to export")


def accept(accountant, listing: str, selection: str, *, customer: str | None = None) -> None:
    open_admin_list(accountant, listing, queue="Ready to Export")
    run_admin_action(accountant, [selection], "Accept and export")
    if customer:
        accountant.get_by_label("Customer the job belongs to").select_option(label=customer)
    accountant.get_by_role("button", name="Accept and export").click()
    expect(accountant.locator(".messagelist li").first).to_have_text(
        f"1 of 1 {listing.lower()} done."
    )


def test_a_project_and_a_company_reach_quickbooks_desktop_at_the_web_connector_s_next_run(
    desktop_worker, quickbooks_desktop_demo, sign_in, screenshot
):
    quickbooks = quickbooks_desktop_demo
    pm = sign_in("pm")
    pm.locator("header").get_by_role("link", name="My projects").click()
    pm_sends(pm, pm.get_by_role("link", name="P-1003", exact=True))
    pm.locator("header").get_by_role("link", name="Company directory").click()
    pm_sends(pm, pm.get_by_role("link", name="Northside Painting", exact=True))

    accountant = sign_in("accountant", at="/admin/")
    accept(
        accountant,
        "Projects",
        "P-1003 Harbor Point Lofts",
        customer="Harbor Point Developers",
    )
    accept(accountant, "Companies", "Northside Painting")

    open_admin_list(accountant, "Projects", queue="All")
    row = admin_row(accountant, "P-1003")
    reload_until_text(accountant, row.locator(".erp-badge"), WAITING)
    expect(row.locator(".erp-waiting-note")).to_have_text(
        "— the Web Connector last ran less than a minute ago"
    )
    screenshot(accountant, "qbd-waiting-queue")
    pm.reload()
    expect(pm.locator("#erp .waiting-note")).to_contain_text("— the Web Connector last ran")
    expect(pm.locator("#erp-awaiting")).to_contain_text(
        "The Web Connector last ran less than a minute ago; an accounting approver can cancel it"
    )
    screenshot(pm, "qbd-waiting-company")
    open_admin_list(accountant, "Companies", queue=WAITING)
    reload_until_text(
        accountant, admin_row(accountant, "Northside Painting").locator(".erp-badge"), WAITING
    )

    accountant.goto(f"{accountant.url.split('/admin/')[0]}/admin/approvals/dashboard/")
    agent = accountant.locator("#erp-agent")
    expect(agent.locator("#erp-agent-last-run")).to_contain_text("2 requests wait for it")
    screenshot(accountant, "qbd-dashboard-waiting")

    assert quickbooks.run()["outcome"] == "ok"  # the Web Connector's next run

    open_admin_list(accountant, "Projects", queue="All")
    reload_until_text(accountant, admin_row(accountant, "P-1003").locator(".erp-badge"), "Synced")
    open_admin_list(accountant, "Companies", queue="All")
    reload_until_text(
        accountant, admin_row(accountant, "Northside Painting").locator(".erp-badge"), "Synced"
    )
    customers = {c["FullName"]: c for c in quickbooks.records("Customer")}
    job = customers["Harbor Point Developers:P-1003 Harbor Point Lofts"]
    assert job["ParentRef"]["ListID"] == customers["Harbor Point Developers"]["ListID"]
    assert [v["Name"] for v in quickbooks.records("Vendor")].count("Northside Painting") == 1
    accountant.goto(f"{accountant.url.split('/admin/')[0]}/admin/approvals/dashboard/")
    expect(agent.locator("#erp-agent-last-run")).to_contain_text("Nothing waits for it.")
    expect(agent.locator("#erp-agent-runs tbody tr").first).to_contain_text("2")
    expect(agent.locator("#erp-agent-failures")).to_contain_text("QuickBooks status 3100")
    screenshot(accountant, "qbd-dashboard-synced")


def test_an_accountant_cancels_a_hand_off_the_web_connector_has_not_collected(
    desktop_worker, quickbooks_desktop_demo, sign_in, screenshot
):
    quickbooks = quickbooks_desktop_demo
    accountant = sign_in("accountant", at="/admin/")
    accept(accountant, "Companies", "Pacific Plumbing Co")
    open_admin_list(accountant, "Companies", queue="All")
    row = admin_row(accountant, "Pacific Plumbing Co")
    reload_until_text(accountant, row.locator(".erp-badge"), WAITING)

    run_admin_action(accountant, ["Pacific Plumbing Co"], "Cancel before the ERP collects it")
    expect(accountant.locator("#content")).to_contain_text(
        "What QuickBooks Desktop has already collected cannot be cancelled"
    )
    screenshot(accountant, "qbd-cancel-decision")
    accountant.get_by_role("button", name="Cancel the hand-off").click()

    expect(accountant.locator(".messagelist li").nth(1)).to_have_text(
        "Company 'Pacific Plumbing Co': cancelled: nothing was sent. Retry, retrieve or reject it."
    )
    expect(admin_row(accountant, "Pacific Plumbing Co").locator(".erp-badge")).to_have_text(
        "Failed to export"
    )
    assert quickbooks.run()["outcome"] == "none"  # nothing waits: it is never sent
    assert "Pacific Plumbing Co" not in [v["Name"] for v in quickbooks.records("Vendor")]
    screenshot(accountant, "qbd-cancelled")
