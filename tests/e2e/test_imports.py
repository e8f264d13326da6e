"""The import side in a browser: an accountant reaches both import pages from the admin index,
adds a QuickBooks job as a project for a project manager, who then sees it; a project manager
syncs the job costs now and the page follows the sync a worker runs until the new cost shows."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import pm_open_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_both_import_pages_are_one_click_from_the_admin_index(demo, sign_in, screenshot):
    accountant = sign_in("accountant", at="/admin/")
    index = accountant.locator("#content-main")

    index.get_by_role("link", name=re.compile(r"^Vendors ⇄ companies \(")).click()
    expect(accountant.get_by_role("heading", name="Vendors ⇄ companies")).to_be_visible()
    # The demo's 'Star Framing, LLC' is the rejected company 'Star Framing': a suggested match,
    # so it is not offered for the company directory.
    star = accountant.locator("#erp-only-vendors tr", has_text="Star Framing, LLC")
    expect(star).to_contain_text("Suggested match: company 'Star Framing'")
    expect(star.get_by_role("button", name="Add to company directory")).to_have_count(0)
    granite = accountant.locator("#erp-only-vendors tr", has_text="Granite Countertops Inc")
    expect(granite.get_by_role("button", name="Add to company directory")).to_be_visible()
    screenshot(accountant, "import-vendors")

    accountant.goto(accountant.url.split("/admin/")[0] + "/admin/")
    index.get_by_role("link", name=re.compile(r"^Jobs ⇄ projects \(1 not linked\)")).click()
    expect(accountant.get_by_role("heading", name="Jobs ⇄ projects")).to_be_visible()
    expect(accountant.locator("#erp-jobs")).to_contain_text("Harbor Point Parking Garage")


def test_a_job_added_as_a_project_is_seen_by_the_project_manager_chosen(demo, sign_in, screenshot):
    accountant = sign_in("accountant", at="/admin/")
    # From any other admin page, the sidebar.
    accountant.locator("#content-main").get_by_role("link", name="Commitments", exact=True).click()
    accountant.locator("#nav-sidebar").get_by_role(
        "link", name=re.compile(r"^Jobs ⇄ projects")
    ).click()
    job = accountant.locator("#erp-jobs tr", has_text="Harbor Point Parking Garage")
    expect(job).to_contain_text("Harbor Point Developers")
    expect(job).to_contain_text("11 Harbor Point Way, Vancouver, WA 98660")
    # Harbor Point Lofts is not this job: the link drop-down chooses nothing for it.
    expect(job.get_by_label("Project to link Harbor Point Parking Garage to")).to_have_value("")
    job.get_by_role("group", name="Project managers who see it").get_by_label("Pat Morgan").check()
    screenshot(accountant, "import-jobs")
    job.get_by_role("button", name="Add to projects").click()
    expect(accountant.locator(".messagelist li").first).to_have_text(
        "Project 'Harbor Point Parking Garage' added; Pat Morgan can see it now."
    )
    expect(accountant.locator("#erp-jobs")).to_contain_text("No jobs wait to be imported.")

    pm = sign_in("pm")
    added = pm.locator("tbody tr", has_text="Harbor Point Parking Garage")
    expect(added).to_contain_text("Harbor Point Developers")
    added.get_by_role("link").first.click()
    expect(
        pm.get_by_role("heading", name="Harbor Point Parking Garage", exact=True)
    ).to_be_visible()
    expect(pm.locator("#erp .badge")).to_have_text("Synced")


def test_sync_now_brings_a_new_cost_to_the_job_cost_page(
    demo, export_worker, sign_in, qbo_sandbox, screenshot
):
    from approvals.models import CostCode, Project

    clinic = Project.objects.get(number="P-1001")
    fencing = CostCode.objects.get(code="01-100")
    vendor = next(v for v in qbo_sandbox.entities("Vendor") if v["DisplayName"] == "Home Depot Pro")
    qbo_sandbox.create_entity(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "DocNumber": "HD-7781",
            "Line": [
                {
                    "DetailType": "ItemBasedExpenseLineDetail",
                    "Amount": "912.35",
                    "Description": "Site signage",
                    "ItemBasedExpenseLineDetail": {
                        "ItemRef": {"value": fencing.erp_id},
                        "CustomerRef": {"value": clinic.erp_id},
                        "Qty": 1,
                        "UnitPrice": "912.35",
                    },
                }
            ],
        },
    )
    pm = sign_in("pm")
    pm_open_project(pm, "P-1001")
    pm.get_by_role("link", name=re.compile("^Job costs")).click()
    sync = pm.locator("#sync")
    expect(sync).to_contain_text("Last sync finished")
    expect(sync).to_contain_text("Next scheduled sync")

    sync.get_by_role("button", name="Sync now").click()
    expect(pm.locator(".messages li").first).to_contain_text("Job-cost sync requested")
    # The page follows the worker's run and reloads with the new cost once it has ended.
    expect(pm.locator("#sync-last")).to_contain_text(re.compile(r": 1 new, "), timeout=30_000)
    pm.locator("#job-costs").get_by_role("link", name=re.compile("^01-100")).click()
    expect(pm.locator("#detail")).to_contain_text("HD-7781")
    screenshot(pm, "job-costs-sync-now")
