"""The project manager's forms in a browser: a schedule of values grows and shrinks line by line
from the keyboard, numbers its lines as shown and totals them while typing; an invoice number the
vendor already used is said once, while typing, and follows the number."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import pm_open_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_schedule_of_values_grows_shrinks_and_totals_as_typed(demo, sign_in, screenshot):
    pm = sign_in("pm")
    pm_open_project(pm, "P-1001")
    pm.get_by_role("link", name="New commitment").click()
    lines = pm.locator("#lines-table tbody[data-line]:visible")
    expect(lines).to_have_count(1)

    add = pm.get_by_role("button", name="Add a line")
    add.focus()
    pm.keyboard.press("Enter")
    pm.keyboard.press("Enter")
    expect(lines).to_have_count(2)
    # Enter on the button added a line and put the cursor in it; Enter there would submit.
    expect(lines.nth(1).get_by_role("combobox", name="Cost code Line 2")).to_be_focused()
    add.focus()
    pm.keyboard.press("Enter")
    expect(lines).to_have_count(3)

    lines.nth(0).get_by_role("spinbutton", name="Amount Line 1").fill("1000.10")
    lines.nth(1).get_by_role("spinbutton", name="Quantity Line 2").fill("3")
    lines.nth(1).get_by_role("spinbutton", name="Unit cost Line 2").fill("33.3333")
    lines.nth(2).get_by_role("spinbutton", name="Amount Line 3").fill("5")
    total = pm.locator("#lines-table tfoot [data-total='amount']")
    expect(total).to_have_text("$1,105.10")
    screenshot(pm, "commitment-lines-running-total")

    pm.get_by_role("button", name="Remove line 2").click()
    expect(lines).to_have_count(2)
    expect(total).to_have_text("$1,005.10")
    expect(lines.nth(1).locator("th [data-line-number]")).to_have_text("2")

    pm.locator("#id_vendor").select_option(label="Keystone Concrete LLC")
    pm.locator("#id_kind").select_option("subcontract")
    pm.locator("#id_number").fill("SC-900")
    pm.locator("#id_title").fill("Site furnishings")
    lines.nth(0).get_by_role("combobox", name="Cost code Line 1").select_option(index=1)
    pm.get_by_role("button", name="Save").click()

    # The line left without a cost code was third when typed and second when saved.
    expect(pm.locator(".line-errors")).to_have_text(["Line 2, cost code: This field is required."])
    expect(pm.locator("#lines-table tfoot [data-total='amount']")).to_have_text("$1,005.10")
    pm.locator("#lines-table tbody[data-line]:visible").nth(1).get_by_role(
        "combobox", name="Cost code Line 2"
    ).select_option(index=1)
    pm.get_by_role("button", name="Save").click()

    schedule = pm.locator("#revised-schedule")
    expect(schedule.locator("tbody tr")).to_have_count(2)
    expect(schedule.locator("tfoot td").first).to_have_text("$1,005.10")


def test_an_invoice_number_already_used_is_said_once_while_typing(demo, sign_in):
    pm = sign_in("pm")
    pm_open_project(pm, "P-1001")
    pm.locator("#commitments").get_by_role("link", name="SC-001", exact=True).click()
    pm.get_by_role("link", name="New invoice").click()
    said = pm.locator("#number-check")
    number = pm.get_by_role("textbox", name="Invoice number")
    expect(number).to_have_attribute("aria-describedby", "number-check")

    number.press_sequentially("KC-1041", delay=20)
    expect(said).to_have_text(re.compile(r"^Possible duplicate of invoice KC-1041 \(Keystone"))
    number.fill("KC-1099")
    expect(said).to_have_text("")
    number.fill("kc-1042")
    expect(said).to_have_text(re.compile(r"^Possible duplicate of invoice KC-1042 "))
    expect(pm.get_by_text("Possible duplicate")).to_have_count(1)

    # Running totals of the pay application, with the commitment's default retainage.
    first = pm.locator("#schedule tbody[data-line]").first
    first.get_by_role("spinbutton", name=re.compile("^Work completed this period")).fill("1000")
    expect(pm.locator("#invoice-totals [data-total='gross']")).to_have_text("$1,000.00")
    expect(pm.locator("#invoice-totals [data-total='net']")).to_have_text("$900.00")
