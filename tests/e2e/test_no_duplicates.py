"""No second vendor or job by accident: in a browser, a company spelt differently from a synced
vendor and a project named like an imported QuickBooks job are linked, not created again."""

import re

import pytest
from playwright.sync_api import expect

from approvals.services.workflow.matching import normalise_name
from tests.e2e.pages import open_admin_list, run_admin_action

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_company_spelt_like_a_synced_vendor_is_linked_not_created(
    demo, export_worker, sign_in, qbo_sandbox, screenshot
):
    pm = sign_in("pm", at="/companies/new/")
    pm.locator("#id_name").fill("ACME Drywall, Inc.")
    pm.get_by_role("button", name="Save").click()
    pm.get_by_role("button", name="Send to ERP").click()
    sent = pm.locator(".messages, .messagelist").first
    expect(sent).to_contain_text("already has the vendor 'Acme Drywall Inc'")
    expect(sent).to_contain_text("which is already company 'Acme Drywall Inc' here")

    accountant = sign_in("accountant", at="/admin/")
    open_admin_list(accountant, "Companies", queue="Ready to Export")
    run_admin_action(accountant, ["ACME Drywall, Inc."], "Accept and export")
    accountant.get_by_label(
        re.compile(r"Link it to the existing vendor 'Acme Drywall Inc'")
    ).check()
    screenshot(accountant, "accept-link-or-create")
    accountant.get_by_role("button", name="Accept and export").click()
    expect(accountant.locator(".messagelist")).to_contain_text("linked to the existing one")

    acme = [
        vendor
        for vendor in qbo_sandbox.entities("Vendor")
        if normalise_name(vendor["DisplayName"]).key == "acme drywall"
    ]
    assert len(acme) == 1


def test_a_project_named_like_an_imported_job_is_linked_to_it(
    demo, export_worker, sign_in, qbo_sandbox
):
    pm = sign_in("pm", at="/projects/new/")
    pm.locator("#id_number").fill("P-1004")
    pm.locator("#id_name").fill("Harbor Point Parking Garage")
    pm.get_by_role("button", name="Save").click()
    pm.get_by_role("button", name="Send to ERP").click()
    expect(pm.locator(".messages, .messagelist").first).to_contain_text(
        "already has the job 'Harbor Point Developers:Harbor Point Parking Garage'"
    )

    accountant = sign_in("accountant", at="/admin/")
    open_admin_list(accountant, "Projects", queue="Ready to Export")
    run_admin_action(accountant, ["P-1004"], "Accept and export")
    accountant.get_by_label(re.compile(r"Link it to the existing job")).check()
    accountant.get_by_role("button", name="Accept and export").click()
    expect(accountant.locator(".messagelist")).to_contain_text("linked to the existing one")

    garages = [
        customer
        for customer in qbo_sandbox.entities("Customer")
        if customer["DisplayName"].endswith("Harbor Point Parking Garage")
    ]
    assert len(garages) == 1
