"""The accountant decides from what they see: an invoice's decision page shows the bill as
QuickBooks Online will receive it, line by line with its totals, and its schedule of values;
what is accepted from that page is what QuickBooks Online gets. The queues fit a 1280 px screen.
"""

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import admin_row, open_admin_list, reload_until_text, run_admin_action

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUEUE_PAGES = ("commitment", "commitmentchangeorder", "subcontractorinvoice", "company", "project")
SIDEWAYS = """() => [document.documentElement, document.querySelector('#changelist .results')]
    .filter(Boolean).map(element => element.scrollWidth - element.clientWidth)"""


def cells(row) -> list[str]:
    """The visible text of a table row's cells, empty ones left out."""
    return [text.strip() for text in row.locator("th, td").all_inner_texts() if text.strip()]


def test_an_accountant_reviews_an_invoice_with_its_lines_and_totals_and_accepts_it(
    demo, export_worker, sign_in, qbo_sandbox, screenshot
):
    accountant = sign_in("accountant", at="/admin/")
    open_admin_list(accountant, "Subcontractor invoices", queue="Ready to Export")
    run_admin_action(accountant, ["Invoice KC-1042"], "Accept and export")

    record = accountant.get_by_role("region", name="Invoice KC-1042 (Keystone Concrete LLC)")
    expect(record).to_be_visible()
    bill = record.locator(".erp-document")
    expect(bill).to_contain_text("QuickBooks Online bill")
    lines = bill.locator("table.erp-document-lines tbody tr")
    expect(lines).to_have_count(3)
    expect(lines.nth(0)).to_contain_text("Footings and foundation walls")
    expect(lines.nth(0)).to_contain_text("$74,560.00")
    expect(lines.nth(1)).to_contain_text("Slab on grade")
    expect(lines.nth(1)).to_contain_text("$46,075.00")
    expect(lines.nth(2)).to_contain_text("Retainage withheld on invoice KC-1042")
    expect(lines.nth(2)).to_contain_text("-$12,063.50")
    totals = bill.locator("table.erp-document-lines tfoot tr")
    assert [cells(row) for row in totals.all()] == [
        ["Retainage withheld", "$12,063.50"],
        ["Total", "$108,571.50"],
    ]
    expect(bill.locator("table.erp-document-lines")).to_be_visible()
    schedule = record.locator("table.erp-schedule")
    expect(schedule).to_be_visible()
    expect(schedule.locator("thead")).to_contain_text("Previously billed")
    expect(schedule.locator("thead")).to_contain_text("Balance to finish")
    expect(schedule.locator("tbody tr")).to_have_count(2)
    # Revised value, previously billed, this period, stored, % complete, balance, retainage.
    assert cells(schedule.locator("tfoot tr")) == [
        "Total",
        "$278,550.00",
        "$55,920.00",
        "$120,635.00",
        "$0.00",
        "63.38%",
        "$101,995.00",
        "$12,063.50",
    ]
    expect(record.locator(".erp-parties")).to_contain_text("Keystone Concrete LLC")
    expect(record.locator(".erp-before-deciding")).to_contain_text("Nothing to check first.")
    screenshot(accountant, "accountant-invoice-decision")

    accountant.get_by_role("button", name="Accept and export").click()
    expect(accountant.locator(".messagelist li")).to_have_text(
        [
            "1 of 1 invoices done.",
            "Invoice KC-1042 (Keystone Concrete LLC): accepted; the export is queued.",
        ]
    )
    open_admin_list(accountant, "Subcontractor invoices", queue="All")
    reload_until_text(accountant, admin_row(accountant, "KC-1042").locator(".erp-badge"), "Synced")
    [exported] = [bill for bill in qbo_sandbox.entities("Bill") if bill["DocNumber"] == "KC-1042"]
    amounts = sorted(float(line["Amount"]) for line in exported["Line"])
    assert amounts == [-12063.50, 46075.00, 74560.00]
    assert float(exported["TotalAmt"]) == 108571.50


def test_the_queues_fit_a_1280_pixel_screen_without_sideways_scrolling(demo, sign_in, live_server):
    accountant = sign_in("accountant", at="/admin/")
    for model in QUEUE_PAGES:
        for queue in ("", "?queue=all"):
            accountant.goto(f"{live_server.url}/admin/approvals/{model}/{queue}")
            expect(accountant.locator("#result_list")).to_be_visible()
            assert accountant.evaluate(SIDEWAYS) == [0, 0], f"{model}{queue}"
