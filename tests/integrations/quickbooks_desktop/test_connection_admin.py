"""An administrator connects a QuickBooks Desktop company in the admin: the Web Connector's
password is shown once and kept hashed, the .qwc file names this endpoint, and the page says
HTTPS is needed except on localhost."""

import re

import pytest
from django.contrib.auth.hashers import check_password
from lxml import etree

from integrations.models import ERPConnection, ERPKind
from integrations.quickbooks_desktop import service
from integrations.quickbooks_desktop.models import (
    DesktopConnection,
    QueuedRequest,
    QuickBooksAccount,
)
from tests.factories import make_user
from tests.html_forms import form_values
from tests.integrations.quickbooks_desktop.conftest import ENDPOINT, make_desktop

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/quickbooks_desktop/desktopconnection/add/"
GUID = re.compile(r"^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$")


def change_url(desktop) -> str:
    return f"/admin/quickbooks_desktop/desktopconnection/{desktop.pk}/change/"


def qwc_url(desktop) -> str:
    return f"/admin/quickbooks_desktop/desktopconnection/{desktop.pk}/qwc/"


@pytest.fixture
def administrator(client):
    client.force_login(make_user(role="administrator"))
    return client


def shown_password(response) -> str:
    found = re.search(
        r'<code id="web-connector-password">([^<]+)</code>', response.content.decode()
    )
    assert found, "the password is not on the page"
    return found.group(1)


def connect(client, **fields):
    values = {
        "company_name": "Riverside Builders",
        "username": "riverside-qbwc",
        "run_every_minutes": "15",
        "retainage_account": "Retainage Payable",
        "customer_type": "",
        **fields,
    }
    return client.post(ADD_URL, values)


def test_the_password_is_shown_once_and_kept_hashed(administrator):
    response = connect(administrator)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    password = shown_password(response)
    assert len(password) >= 20
    desktop = DesktopConnection.objects.select_related("connection").get()
    assert password not in desktop.password_hash
    assert check_password(password, desktop.password_hash)
    assert (desktop.connection.kind, desktop.connection.company_id) == (
        ERPKind.QUICKBOOKS_DESKTOP,
        desktop.file_id,
    )
    assert desktop.connection.company_name == "Riverside Builders"
    assert service.authenticate("riverside-qbwc", password, address="127.0.0.1")[1] == ""
    assert list(QueuedRequest.objects.values_list("operation", flat=True)) == [
        "AccountQueryRq",
        "CustomerQueryRq",
        "VendorQueryRq",
        "ItemQueryRq",
    ]

    page = administrator.get(change_url(desktop))
    assert page.status_code == 200
    assert password not in page.content.decode()
    assert b"web-connector-password" not in page.content


def test_a_new_password_replaces_the_old_one_and_is_shown_once(administrator):
    first = shown_password(connect(administrator))
    desktop = DesktopConnection.objects.get()
    page = administrator.get(change_url(desktop))
    values = form_values(page.content.decode(), containing="retainage_account")

    response = administrator.post(change_url(desktop), {**values, "_new_password": "1"})

    second = shown_password(response)
    assert second != first
    assert service.authenticate("riverside-qbwc", first, address="127.0.0.1")[1] == "nvu"
    assert service.authenticate("riverside-qbwc", second, address="127.0.0.1")[1] == ""


def test_the_qwc_file_parses_and_names_the_endpoint(administrator):
    connect(administrator)
    desktop = DesktopConnection.objects.get()

    response = administrator.get(qwc_url(desktop), secure=True)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-qwc"
    assert (
        response["Content-Disposition"] == 'attachment; filename="erp-approvals-riverside-qbwc.qwc"'
    )
    root = etree.fromstring(response.content)
    assert root.tag == "QBWCXML"
    assert root.findtext("AppURL") == f"https://testserver{ENDPOINT}"
    assert root.findtext("AppSupport") == f"https://testserver{change_url(desktop)}"
    assert root.findtext("AppName") == "ERP approvals (Riverside Builders)"
    assert root.findtext("UserName") == "riverside-qbwc"
    assert root.findtext("QBType") == "QBFS"
    assert root.findtext("Scheduler/RunEveryNMinutes") == "15"
    assert GUID.match(root.findtext("OwnerID")) and GUID.match(root.findtext("FileID"))
    assert root.findtext("FileID") == desktop.file_id
    assert b"Password" not in response.content
    again = etree.fromstring(administrator.get(qwc_url(desktop), secure=True).content)
    assert (again.findtext("OwnerID"), again.findtext("FileID")) == (
        root.findtext("OwnerID"),
        root.findtext("FileID"),
    )


def test_plain_http_is_refused_except_on_localhost(administrator):
    connect(administrator)
    desktop = DesktopConnection.objects.get()

    refused = administrator.get(qwc_url(desktop), follow=True)
    assert refused.redirect_chain[-1][0] == change_url(desktop)
    sentence = (
        "The Web Connector accepts this address only over HTTPS (a plain http:// address is "
        "accepted for localhost only). Serve this site over HTTPS, then download the file again."
    )
    assert sentence in refused.content.decode()

    local = administrator.get(qwc_url(desktop), headers={"host": "localhost"})
    assert local.status_code == 200
    assert etree.fromstring(local.content).findtext("AppURL") == f"http://localhost{ENDPOINT}"

    page = administrator.get(change_url(desktop), secure=True).content.decode()
    assert "It needs HTTPS, except for an address on the same computer (localhost)." in page
    assert "Add an Application" in page and "Download the Web Connector file" in page
    assert "Password column of “ERP approvals (Riverside Builders)”" in page


def test_a_second_company_is_refused_while_one_is_connected(administrator):
    connect(administrator)

    response = connect(administrator, username="other-qbwc")

    assert response.status_code == 200
    assert "is already connected. Disconnect it before connecting another" in (
        response.content.decode()
    )
    assert ERPConnection.objects.count() == 1


@pytest.mark.parametrize("username", ["", "two words"])
def test_a_user_name_is_one_word(administrator, username):
    response = connect(administrator, username=username)

    assert response.status_code == 200
    assert DesktopConnection.objects.count() == 0


def test_the_retainage_account_must_be_one_quickbooks_has(administrator):
    connect(administrator)
    desktop = DesktopConnection.objects.get()
    QuickBooksAccount.objects.create(
        desktop=desktop, list_id="80000021-1", full_name="Retainage Payable", account_type="x"
    )
    page = administrator.get(change_url(desktop))
    values = form_values(page.content.decode(), containing="retainage_account")

    wrong = administrator.post(change_url(desktop), {**values, "retainage_account": "Retention"})
    assert "QuickBooks has no active account named “Retention”" in wrong.content.decode()

    right = administrator.post(
        change_url(desktop), {**values, "retainage_account": "  retainage   payable "}
    )
    assert right.status_code == 302
    desktop.refresh_from_db()
    assert desktop.retainage_account == "Retainage Payable"


def test_the_page_shows_why_quickbooks_is_too_old(administrator):
    desktop = make_desktop(
        version_problem="QuickBooks on the Web Connector's computer reads qbXML up to 11.0."
    )

    page = administrator.get(change_url(desktop)).content.decode()

    assert "QuickBooks on the Web Connector&#x27;s computer reads qbXML up to 11.0." in page


@pytest.mark.parametrize("role", ["approver", "project_manager"])
def test_only_administrators_reach_the_connection(client, role):
    desktop = make_desktop()
    client.force_login(make_user(role=role))

    assert client.get(change_url(desktop)).status_code in (302, 403)
    assert client.get(qwc_url(desktop), secure=True).status_code in (302, 403)
    assert client.post(ADD_URL, {}).status_code in (302, 403)


def test_a_company_name_with_markup_and_line_breaks_stays_text(administrator):
    name = "<script>alert(1)</script>\nRiverside & Sons"
    response = connect(administrator, company_name=name)
    assert "<script>alert(1)</script>" not in response.content.decode()
    desktop = DesktopConnection.objects.get()

    qwc = etree.fromstring(administrator.get(qwc_url(desktop), secure=True).content)

    assert qwc.findtext("AppName") == (
        "ERP approvals (<script>alert(1)</script> Riverside & Sons)"
    )  # one line, escaped in the file, read back as typed
    assert "<script>" not in administrator.get(change_url(desktop)).content.decode()


def test_a_disconnected_company_refuses_the_web_connector_until_reconnected(administrator):
    password = shown_password(connect(administrator))
    desktop = DesktopConnection.objects.get()
    running = service.authenticate("riverside-qbwc", password, address="127.0.0.1")[0]
    values = form_values(
        administrator.get(change_url(desktop)).content.decode(), containing="retainage_account"
    )

    administrator.post(change_url(desktop), {**values, "_disconnect": "1"})

    assert service.authenticate("riverside-qbwc", password, address="127.0.0.1")[1] == "nvu"
    assert service.send_request_xml(running, "", "", "US", 13, 0) == ""  # that run is over
    page = administrator.get(change_url(desktop)).content.decode()
    assert "This company is disconnected: the Web Connector is refused." in page

    administrator.post(change_url(desktop), {**values, "_reconnect": "1"})

    assert service.authenticate("riverside-qbwc", password, address="127.0.0.1")[1] == ""
