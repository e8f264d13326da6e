"""A project manager bills a change order's line from the invoice form, in a browser, and the
next invoice shows it as billed before, with the balance left."""

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import pm_open_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_change_order_line_is_billed_and_the_next_invoice_shows_it(demo, sign_in, screenshot):
    pm = sign_in("pm")
    pm_open_project(pm, "P-1001")
    pm.locator("#commitments").get_by_role("link", name="SC-001", exact=True).click()
    pm.get_by_role("link", name="New invoice").click()

    footing = pm.locator("#schedule tr[data-line='CCO-001.1']")
    expect(footing).to_contain_text("Footing F-7 at grid C-4")
    expect(footing.locator(".previously-billed")).to_have_text("$0.00")
    expect(footing.locator(".balance")).to_have_text("$8,425.00")
    pm.locator("#id_number").fill("KC-1050")
    pm.locator("#id_billing_date").fill("2026-11-20")
    pm.locator("#id_period_start").fill("2026-11-01")
    pm.locator("#id_period_end").fill("2026-11-20")
    pm.locator("#id_status").select_option("approved")
    footing.locator("input[name$='-work_completed']").fill("5000.00")
    screenshot(pm, "invoice-bills-change-order-line")
    pm.get_by_role("button", name="Save").click()

    billed = pm.locator("#billed-lines tr[data-line='CCO-001.1']")
    expect(billed.locator(".balance")).to_have_text("$3,425.00")
    pm.get_by_role("button", name="Send to ERP").click()
    expect(pm.locator("#erp .badge")).to_have_text("Ready to export")

    pm_open_project(pm, "P-1001")
    pm.locator("#commitments").get_by_role("link", name="SC-001", exact=True).click()
    expect(pm.locator("#revised-schedule tr[data-line='CCO-001.1'] .billed")).to_have_text(
        "$5,000.00"
    )
    pm.get_by_role("link", name="New invoice").click()
    again = pm.locator("#schedule tr[data-line='CCO-001.1']")
    expect(again.locator(".previously-billed")).to_have_text("$5,000.00")
    expect(again.locator(".balance")).to_have_text("$3,425.00")
