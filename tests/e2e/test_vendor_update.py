"""A vendor update in a browser: an administrator proposes a new tax id and remit-to city for a
synced company, an accountant accepts it, and a real `manage.py db_worker` process updates the
vendor in the QuickBooks Online sandbox."""

import pytest
from playwright.sync_api import expect

from approvals.models import Company
from tests.e2e.pages import reload_until_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_proposed_vendor_update_is_accepted_and_applied_in_quickbooks(
    demo, export_worker, sign_in, qbo_sandbox
):
    company = Company.objects.get(name="Keystone Concrete LLC")
    administrator = sign_in("admin", at=f"/companies/{company.pk}/edit/")
    administrator.get_by_label("Tax id").fill("93-7654321")
    administrator.get_by_label("City").fill("Beaverton")
    administrator.get_by_role("button", name="Propose the change").click()
    expect(administrator.locator(".messages li")).to_contain_text(
        "Your change to city, tax id of Keystone Concrete LLC waits for an accounting approver."
    )
    panel = administrator.locator("#vendor-update")
    expect(panel).to_contain_text("93-1234567")
    expect(panel).to_contain_text("93-7654321")

    accountant = sign_in("accountant", at="/admin/")
    accountant.locator("#content-main").get_by_role("link", name="Vendor updates").click()
    accountant.get_by_role("link", name="Waiting for approval").click()
    accountant.get_by_role("link", name="Keystone Concrete LLC").click()
    accountant.get_by_role("link", name="Accept the vendor update").click()
    expect(accountant.locator("tr.erp-sensitive")).to_have_count(2)
    accountant.get_by_role("button", name="Accept and update the vendor").click()
    expect(accountant.locator(".messagelist li").first).to_have_text(
        "You accepted the vendor update of Keystone Concrete LLC; the ERP vendor is being "
        "updated in the background."
    )

    accountant.get_by_role("link", name="All", exact=True).click()
    accountant.get_by_role("link", name="Keystone Concrete LLC").click()
    reload_until_text(accountant, accountant.locator(".erp-badge"), "Applied")

    company.refresh_from_db()
    assert (company.tax_id, company.city) == ("93-7654321", "Beaverton")
    vendor = next(v for v in qbo_sandbox.entities("Vendor") if v["Id"] == company.erp_id)
    assert vendor["TaxIdentifier"] == "93-7654321"
    assert vendor["BillAddr"]["City"] == "Beaverton"
    assert vendor["BillAddr"]["Line1"] == "1200 SE Water Ave"

    administrator.goto(f"{administrator.url.split('/companies/')[0]}/companies/{company.pk}/")
    history = administrator.locator("#history")
    expect(history).to_contain_text("Vendor update proposed")
    expect(history).to_contain_text("Vendor update accepted")
    expect(history).to_contain_text("Vendor updated in the ERP")
    expect(history).to_contain_text("Tax id: 93-1234567 → 93-7654321")
