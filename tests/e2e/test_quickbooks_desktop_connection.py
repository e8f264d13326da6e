"""An administrator connects QuickBooks Desktop in a browser: the form, the password shown once,
then the connection's page with the steps and the .qwc file that names this site's endpoint."""

import pytest
from lxml import etree
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_connects_quickbooks_desktop_and_downloads_the_qwc(
    sign_in, live_server, tmp_path
):
    administrator = make_user(role="administrator", username="admin")
    administrator.set_password(DEMO_PASSWORD)
    administrator.save()
    page = sign_in("admin", at="/admin/")

    page.locator("#content-main").get_by_role("link", name="QuickBooks Desktop connection").click()
    page.get_by_role("link", name="Add QuickBooks Desktop connection").click()
    page.get_by_label("Company name").fill("Riverside Builders")
    page.get_by_label("Web Connector user name").fill("riverside-qbwc")
    page.get_by_label("Run every (minutes)").fill("15")
    page.get_by_role("button", name="Save", exact=True).click()

    password = page.locator("#web-connector-password")
    expect(password).to_be_visible()
    shown = password.inner_text()
    assert len(shown) >= 20
    expect(page.get_by_text("This password is shown only this once")).to_be_visible()
    page.get_by_role("link", name="Back to the connection").click()

    expect(page.get_by_text("Add an Application")).to_be_visible()
    assert shown not in page.content()
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download the Web Connector file (.qwc)").click()
    saved = tmp_path / downloading.value.suggested_filename
    downloading.value.save_as(saved)
    root = etree.parse(str(saved)).getroot()
    assert saved.name == "erp-approvals-riverside-qbwc.qwc"
    assert root.findtext("AppURL") == f"{live_server.url}/erp/quickbooks-desktop/qbwc/"
    assert root.findtext("UserName") == "riverside-qbwc"
    assert root.findtext("Scheduler/RunEveryNMinutes") == "15"
