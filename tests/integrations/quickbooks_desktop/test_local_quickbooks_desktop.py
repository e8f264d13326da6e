"""The endpoint and the local QuickBooks Desktop together, over real sockets: the sandbox's Web
Connector (a zeep client built from the same WSDL) polls the live server, hands each request to
the sandbox's company file and brings its answers back, as on an accountant's computer."""

import pytest

from approvals.models import ERPCostCode, ERPCustomer, ERPJob, ERPVendor
from integrations.quickbooks_desktop.models import (
    Exchange,
    QueuedRequest,
    RequestState,
    SessionState,
    WebConnectorSession,
)
from tests.integrations.quickbooks_desktop.conftest import ENDPOINT, PASSWORD, make_desktop

pytestmark = pytest.mark.django_db(transaction=True)

USERNAME = "riverside-qbwc"


@pytest.fixture
def quickbooks(qbd_sandbox, live_server):
    """The local QuickBooks Desktop, its Web Connector pointed at this live server, its company
    holding a few of each list besides the accounts every new company has."""
    qbd_sandbox.settings(
        app_url=f"{live_server.url}{ENDPOINT}", username=USERNAME, password=PASSWORD
    )
    acme = qbd_sandbox.seed("Customer", Name="Acme Development")
    qbd_sandbox.seed(
        "Customer",
        Name="Riverside Tower",
        ParentRef={"ListID": acme["ListID"]},
        BillAddress={"Addr1": "400 River Rd", "City": "Portland", "State": "OR"},
    )
    qbd_sandbox.seed("Vendor", Name="Bolt Electric", VendorTaxIdent="93-1234567")
    qbd_sandbox.seed("Vendor", Name="Apex Drywall & Paint <West>")
    qbd_sandbox.seed(
        "ItemService",
        Name="09-2900 Drywall",
        SalesOrPurchase={"AccountRef": {"FullName": "Subcontractors"}},
    )
    return qbd_sandbox


def states() -> set[str]:
    return set(QueuedRequest.objects.values_list("state", flat=True))


def test_one_run_brings_the_companys_lists_into_the_mirror(quickbooks):
    desktop = make_desktop()

    log = quickbooks.run()

    assert (log["outcome"], log["message"]) == ("ok", "Done: QuickBooks answered 4 request(s).")
    assert [call["operation"] for call in log["calls"]] == [
        "serverVersion",
        "clientVersion",
        "authenticate",
        *["sendRequestXML", "receiveResponseXML"] * 4,
        "closeConnection",
    ]
    answers = [call for call in log["calls"] if call["operation"] == "receiveResponseXML"]
    assert [answer["result"] for answer in answers] == [25, 50, 75, 100]
    assert states() == {RequestState.DONE}
    assert list(ERPCustomer.objects.values_list("display_name", flat=True)) == ["Acme Development"]
    tower = ERPJob.objects.get()
    assert tower.fully_qualified_name == "Acme Development:Riverside Tower"
    assert tower.address == "400 River Rd, Portland, OR"
    assert sorted(ERPVendor.objects.values_list("display_name", "tax_id")) == [
        ("Apex Drywall & Paint <West>", ""),
        ("Bolt Electric", "93-1234567"),
    ]
    assert list(ERPCostCode.objects.values_list("code", "name")) == [("09-2900", "Drywall")]
    assert sorted(desktop.accounts.values_list("full_name", flat=True)) == sorted(
        account["FullName"] for account in quickbooks.records("Account")
    )
    session = WebConnectorSession.objects.get()
    assert session.state == SessionState.CLOSED
    assert Exchange.objects.filter(answered_at__isnull=True).count() == 0


def test_a_wrong_password_is_not_a_valid_user_and_reads_nothing(quickbooks):
    make_desktop()
    quickbooks.fault("wrong_password", count=1)

    log = quickbooks.run()

    assert (log["outcome"], log["message"]) == ("nvu", "Authentication failed: not a valid user.")
    assert [call["operation"] for call in log["calls"]] == [
        "serverVersion",
        "clientVersion",
        "authenticate",
    ]
    assert not WebConnectorSession.objects.exists()
    assert states() == {RequestState.QUEUED}
    assert quickbooks.run()["outcome"] == "ok"  # the right password, at the next run


def test_nothing_to_do_once_every_list_is_fresh(quickbooks):
    make_desktop()
    assert quickbooks.run()["outcome"] == "ok"

    log = quickbooks.run()

    assert (log["outcome"], log["message"]) == ("none", "No Data Exchange required.")
    assert Exchange.objects.count() == 4  # nothing asked of QuickBooks the second time


def test_quickbooks_closed_ends_the_run_and_the_next_run_does_the_work(quickbooks):
    make_desktop()
    quickbooks.fault("quickbooks_closed", count=1)

    log = quickbooks.run()

    assert (log["outcome"], log["message"]) == ("connection_error", "Could not start QuickBooks.")
    session = WebConnectorSession.objects.get()
    assert session.state == SessionState.FAILED
    assert "Could not start QuickBooks. (0x80040408)" in session.last_error
    assert states() == {RequestState.QUEUED}

    assert quickbooks.run()["outcome"] == "ok"
    assert states() == {RequestState.DONE}
    assert ERPVendor.objects.count() == 2


def test_a_lost_answer_is_asked_again_at_the_next_run(quickbooks, settings):
    make_desktop()
    quickbooks.fault("lost_answer", after=2)

    lost = quickbooks.run()

    assert lost["outcome"] == "lost"
    unanswered = Exchange.objects.get(answered_at__isnull=True)
    assert unanswered.request.state != RequestState.DONE
    settings.QBWC_BUSY_SECONDS = 0  # the lost run has been silent long enough

    log = quickbooks.run()

    assert log["outcome"] == "ok"
    assert states() == {RequestState.DONE}
    assert unanswered.request.exchanges.filter(answered_at__isnull=False).count() == 1
    assert ERPVendor.objects.count() == 2 and ERPCostCode.objects.count() == 1
    assert ERPCustomer.objects.count() == 1 and ERPJob.objects.count() == 1


def test_a_run_interrupted_mid_way_is_resumed_by_the_next(quickbooks, settings):
    make_desktop()
    quickbooks.fault("interrupt", after=2)

    interrupted = quickbooks.run()

    assert interrupted["outcome"] == "interrupted"
    assert QueuedRequest.objects.filter(state=RequestState.DONE).count() == 2
    # Another run while the first may still be going is told to wait.
    assert quickbooks.run()["outcome"] == "busy"
    settings.QBWC_BUSY_SECONDS = 0

    resumed = quickbooks.run()

    assert resumed["outcome"] == "ok"
    assert resumed["ticket"] != interrupted["ticket"]
    assert len(resumed["exchanges"]) == 2  # only what the first run left
    old, new = WebConnectorSession.objects.order_by("started_at")  # "busy" opens none
    assert (old.state, new.state) == (SessionState.INTERRUPTED, SessionState.CLOSED)
    assert states() == {RequestState.DONE}
    assert ERPVendor.objects.count() == 2 and ERPCostCode.objects.count() == 1
