"""The main flow in a browser: send, accept, export to QuickBooks Online, reject, resend.

A project manager and an accountant work in two browser sessions on the demo company; the
export runs in a real `manage.py db_worker` process against the QuickBooks Online sandbox.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import (
    admin_row,
    open_admin_list,
    pm_invoice_row,
    pm_open_project,
    pm_open_record,
    reload_until_text,
    run_admin_action,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REJECTION = "Line 2 bills 46,075.00 for the slab; the architect certified 40,000.00. Please fix."


def test_a_commitment_is_accepted_and_exported_to_quickbooks(
    demo, export_worker, sign_in, qbo_sandbox, screenshot
):
    pm = sign_in("pm")
    panel = pm_open_record(pm, project="P-1001", section="commitments", number="PO-003")
    # The demo leaves PO-003 waiting for the accountant: the project manager takes it back
    # before anyone decides, then sends it again.
    panel.get_by_role("button", name="Retrieve").click()
    expect(panel.locator(".badge")).to_have_text("Not sent")
    panel.get_by_role("button", name="Send to ERP").click()
    expect(panel.locator(".badge")).to_have_text("Ready to export")

    accountant = sign_in("accountant", at="/admin/")
    open_admin_list(accountant, "Commitments", queue="Ready to Export")
    expect(admin_row(accountant, "PO-003").locator(".erp-badge")).to_have_text("Ready to export")
    run_admin_action(accountant, ["PO-003 Switchgear and lighting"], "Accept and export")
    expect(accountant.get_by_role("heading", name="Accept and export: commitments")).to_be_visible()
    accountant.get_by_role("button", name="Accept and export").click()
    expect(accountant.locator(".messagelist li").first).to_have_text("1 of 1 commitments done.")

    open_admin_list(accountant, "Commitments", queue="All")
    badge = admin_row(accountant, "PO-003").locator(".erp-badge")
    reload_until_text(accountant, badge, "Synced")
    expect(badge).to_have_class(re.compile(r"\berp-badge-green\b"))
    [purchase_order] = [
        document
        for document in qbo_sandbox.entities("PurchaseOrder")
        if document["DocNumber"] == "PO-003"
    ]
    erp_id = admin_row(accountant, "PO-003").locator("td.field-erp_reference")
    expect(erp_id).to_have_text(purchase_order["Id"])
    screenshot(accountant, "accountant-commitments")

    accountant.get_by_role("link", name="PO-003", exact=True).click()
    exported = accountant.locator("#erp-history tbody tr", has_text="Exported")
    expect(exported).to_contain_text("export worker")
    expect(exported).to_contain_text("Exporting → Synced")
    exported.get_by_text("Request sent").click()
    exported.get_by_text("Response received").click()
    request_sent, response_received = exported.locator("details pre").all()
    expect(request_sent).to_contain_text('"DocNumber": "PO-003"')
    expect(response_received).to_contain_text(f'"Id": "{purchase_order["Id"]}"')
    screenshot(accountant.locator("#erp-history"), "record-history")


def test_a_rejected_invoice_goes_back_with_the_reason_and_is_resent(demo, sign_in, screenshot):
    accountant = sign_in("accountant", at="/admin/")
    open_admin_list(accountant, "Subcontractor invoices", queue="Ready to Export")
    run_admin_action(accountant, ["Invoice KC-1042"], "Reject")
    accountant.get_by_label("Reason for the rejection").fill(REJECTION)
    screenshot(accountant, "reject-with-reason")
    accountant.get_by_role("button", name="Reject").click()
    expect(accountant.locator(".messagelist li")).to_have_text(
        [
            "1 of 1 invoices done.",
            "Invoice KC-1042 (Keystone Concrete LLC): rejected and sent back.",
        ]
    )
    expect(admin_row(accountant, "KC-1042")).to_have_count(0)

    pm = sign_in("pm")
    panel = pm_open_record(pm, project="P-1001", section="invoices", number="KC-1042")
    expect(panel.locator(".badge")).to_have_text("Rejected")
    expect(panel.locator(".rejection")).to_contain_text("Rejected by Alex Chen")
    expect(panel.locator(".rejection")).to_contain_text(f"Reason: {REJECTION}")
    screenshot(panel, "project-manager-rejected-invoice")
    panel.get_by_role("button", name="Resend to ERP").click()
    expect(panel.locator(".badge")).to_have_text("Ready to export")

    pm_open_project(pm, "P-1001")
    pm.get_by_label("Send invoice AD-2207").check()
    pm.get_by_role("button", name="Send selected invoices to ERP").click()
    expect(pm.locator(".messages li.success")).to_contain_text(
        "AD-2207 (Acme Drywall Inc): sent to the approvers."
    )
    expect(pm_invoice_row(pm, "AD-2207").locator(".badge")).to_have_text("Ready to export")
    screenshot(pm, "project-manager-project")

    open_admin_list(accountant, "Subcontractor invoices", queue="Ready to Export")
    for number in ("KC-1042", "AD-2207"):
        expect(admin_row(accountant, number).locator(".erp-badge")).to_have_text("Ready to export")
    expect(accountant.locator("#result_list tbody tr")).to_have_count(2)
    screenshot(accountant, "accountant-invoice-queue")
