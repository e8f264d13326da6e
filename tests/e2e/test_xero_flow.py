"""The demo flow on Xero, in a browser: a project manager sends an invoice, an accountant
accepts it, and a real `manage.py db_worker` process exports it to the local Xero, where the
bill carries the project's tracking option and tax; an accepted change order updates the
purchase order, keeping the line ids of every line it had."""

import os

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.pages import (
    admin_row,
    open_admin_list,
    pm_invoice_row,
    pm_open_project,
    reload_until_text,
    run_admin_action,
)
from tests.worker_processes import WorkerPool, database_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def xero_demo(transactional_db, xero_sandbox, xero_settings):
    from approvals.demo.xero import seed_xero_demo

    seed_xero_demo(sandbox=xero_sandbox, password=DEMO_PASSWORD)


@pytest.fixture
def xero_worker(xero_demo, xero_sandbox, xero_settings, tmp_path):
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("The export worker cannot open an in-memory SQLite test database.")
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "XERO_AUTHORIZE_URL": xero_settings["AUTHORIZE_URL"],
        "XERO_IDENTITY_BASE_URL": xero_settings["IDENTITY_BASE_URL"],
        "XERO_API_BASE_URL": xero_settings["API_BASE_URL"],
        "XERO_CLIENT_ID": xero_settings["CLIENT_ID"],
        "XERO_CLIENT_SECRET": xero_settings["CLIENT_SECRET"],
    }
    workers = WorkerPool(environment, tmp_path, name="e2e-xero")
    [worker] = workers.start()
    yield worker
    workers.stop()


def test_an_invoice_is_sent_accepted_and_billed_in_xero_with_tracking_and_tax(
    xero_worker, sign_in, xero_sandbox
):
    pm = sign_in("pm")
    pm_open_project(pm, "P-1001")
    pm.get_by_label("Send invoice AD-2207").check()
    pm.get_by_role("button", name="Send selected invoices to ERP").click()
    expect(pm_invoice_row(pm, "AD-2207").locator(".badge")).to_have_text("Ready to export")

    accountant = sign_in("accountant", at="/admin/")
    open_admin_list(accountant, "Subcontractor invoices", queue="Ready to Export")
    run_admin_action(accountant, ["Invoice AD-2207"], "Accept and export")
    decision = accountant.locator("main, #content").first
    expect(decision).to_contain_text("Xero bill")
    expect(decision).to_contain_text("P-1001 Riverside Clinic Expansion")
    expect(decision).to_contain_text("Xero adds the tax")
    accountant.get_by_role("button", name="Accept and export").click()
    expect(accountant.locator(".messagelist li").first).to_have_text("1 of 1 invoices done.")

    open_admin_list(accountant, "Subcontractor invoices", queue="All")
    reload_until_text(accountant, admin_row(accountant, "AD-2207").locator(".erp-badge"), "Synced")
    [bill] = [b for b in xero_sandbox.records("Invoice") if b["InvoiceNumber"] == "AD-2207"]
    options = {
        o["TrackingOptionID"]: o["Name"]
        for o in xero_sandbox.records("TrackingCategory")[0]["Options"]
    }
    work, retainage = bill["LineItems"]
    assert options[work["Tracking"][0]["TrackingOptionID"]] == "P-1001 Riverside Clinic Expansion"
    assert (work["TaxType"], str(work["TaxAmount"])) == ("INPUT", "3222.50")
    assert retainage["AccountCode"] == "830" and not retainage.get("Tracking")
    assert bill["Status"] == "AUTHORISED"


def test_an_accepted_change_order_updates_the_purchase_order_keeping_its_line_ids(
    xero_worker, sign_in, xero_sandbox
):
    [before] = [
        o for o in xero_sandbox.records("PurchaseOrder") if o["PurchaseOrderNumber"] == "SC-001"
    ]
    accountant = sign_in("accountant", at="/admin/")
    open_admin_list(accountant, "Commitment change orders", queue="Ready to Export")
    run_admin_action(accountant, ["CCO CCO-002 Rock removal allowance"], "Accept and export")
    accountant.get_by_role("button", name="Accept and export").click()
    expect(accountant.locator(".messagelist li").first).to_have_text("1 of 1 change orders done.")

    open_admin_list(accountant, "Commitment change orders", queue="All")
    reload_until_text(accountant, admin_row(accountant, "CCO-002").locator(".erp-badge"), "Synced")
    [after] = [
        o for o in xero_sandbox.records("PurchaseOrder") if o["PurchaseOrderNumber"] == "SC-001"
    ]
    kept = [line["LineItemID"] for line in before["LineItems"]]
    assert [line["LineItemID"] for line in after["LineItems"][: len(kept)]] == kept
    [added] = after["LineItems"][len(kept) :]
    assert added["Description"] == "CCO CCO-002: Rock excavation, 40 CY"
    assert str(added["LineAmount"]) == "12600.00"
