import pytest
from django.contrib.auth.hashers import make_password

from integrations.models import ERPConnection, ERPKind
from integrations.quickbooks_desktop import outbox
from integrations.quickbooks_desktop.models import DesktopConnection
from tests.integrations.quickbooks_desktop import quickbooks as qb

PASSWORD = "correct horse battery staple"
WEB_CONNECTOR_USER = "riverside-qbwc"
ENDPOINT = "/erp/quickbooks-desktop/qbwc/"
USERNAME = "riverside-qbwc"


def make_desktop(*, username: str = USERNAME, read_lists: bool = True, **fields):
    connection = ERPConnection.objects.create(
        kind=ERPKind.QUICKBOOKS_DESKTOP,
        company_id="{7A0C2B9E-1111-4C2D-9E0F-000000000001}",
        company_name="Riverside Builders",
    )
    desktop = DesktopConnection.objects.create(
        connection=connection, username=username, password_hash=make_password(PASSWORD), **fields
    )
    if read_lists:
        outbox.list_reads_queue(desktop)
    return desktop


@pytest.fixture
def company() -> qb.QuickBooks:
    """Riverside Builders' lists, as its QuickBooks Desktop holds them."""
    acme = qb.customer("Acme Development", customer_type="Commercial")
    harbor = qb.customer("Harbor Homes", customer_type="Residential")
    return qb.QuickBooks(
        lists={
            "AccountQueryRq": [
                qb.account("Accounts Payable", "AccountsPayable", number="2000"),
                qb.account("Retainage Payable", "OtherCurrentLiability", number="2100"),
                qb.account("Job Expenses:Subcontractors", "CostOfGoodsSold", number="5100"),
            ],
            "CustomerQueryRq": [
                acme,
                harbor,
                qb.job("Riverside Tower", acme, street="400 River Rd"),
                qb.job("Lot 7", harbor),
            ],
            "VendorQueryRq": [
                qb.vendor("Bolt Electric", tax_id="93-1234567", balance="1250.00"),
                qb.vendor("Apex Drywall & Paint <West>"),
                qb.vendor("Old Roofing Co", active=False),
            ],
            "ItemQueryRq": [
                qb.item("ItemServiceRet", "09-2900 Drywall"),
                qb.item("ItemNonInventoryRet", "16-100 Electrical"),
                qb.item("ItemOtherChargeRet", "Retainage"),
                qb.item("ItemInventoryRet", "Copper wire"),
                qb.item("ItemServiceRet", "03 30 00 Concrete", active=False),
            ],
        }
    )


@pytest.fixture
def local_quickbooks(qbd_sandbox, live_server):
    """The local QuickBooks Desktop, its Web Connector polling this live server as the
    connection make_desktop(username=WEB_CONNECTOR_USER) expects."""
    qbd_sandbox.settings(
        app_url=f"{live_server.url}{ENDPOINT}", username=WEB_CONNECTOR_USER, password=PASSWORD
    )
    return qbd_sandbox


def seed_job_check(quickbooks, job_id: str, *, amount: str = "120.00", number: str = "1001"):
    """A check to Bolt Electric (seeded first) with one materials line on the job `job_id`."""
    return quickbooks.seed(
        "Check",
        AccountRef={"FullName": "Checking"},
        PayeeEntityRef={"FullName": "Bolt Electric"},
        TxnDate="2026-03-05",
        RefNumber=number,
        ExpenseLineRet=[
            {
                "AccountRef": {"FullName": "Job Materials"},
                "Amount": amount,
                "CustomerRef": {"ListID": job_id},
            }
        ],
    )


@pytest.fixture
def live_server(settings):
    """A live server per test, started after the HTTPS redirect is off (the security middleware
    reads it once, when the server loads it): the Web Connector may use http:// on localhost."""
    from pytest_django.live_server_helper import LiveServer

    settings.SECURE_SSL_REDIRECT = False
    server = LiveServer("localhost")
    yield server
    server.stop()


@pytest.fixture
def web_connector(qbd_sandbox, live_server):
    """The local QuickBooks Desktop, its Web Connector polling this site's endpoint as the user
    `make_desktop` creates."""
    qbd_sandbox.settings(
        app_url=f"{live_server.url}{ENDPOINT}", username=USERNAME, password=PASSWORD
    )
    return qbd_sandbox
