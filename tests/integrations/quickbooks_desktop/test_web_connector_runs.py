"""Whole runs of the Web Connector over a real socket: a SOAP client built from the service's
WSDL logs in, collects the queued requests, brings QuickBooks' answers back and closes."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import LoginThrottle
from approvals.models import ERPCostCode, ERPCustomer, ERPJob, ERPVendor, SyncCursor, SyncKind
from integrations.quickbooks_desktop import qbxml, service
from integrations.quickbooks_desktop.models import (
    Exchange,
    QueuedRequest,
    RequestState,
    SessionState,
    WebConnectorSession,
)
from tests.integrations.quickbooks_desktop import quickbooks as qb
from tests.integrations.quickbooks_desktop.conftest import PASSWORD, make_desktop
from tests.integrations.quickbooks_desktop.web_connector import WebConnector, soap_client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def web_connector(live_server, company):
    return WebConnector(soap_client(live_server.url), company)


def states() -> dict[str, str]:
    return dict(QueuedRequest.objects.values_list("operation", "state"))


def test_a_whole_run_reads_every_list_into_the_copy_the_workflow_keeps(web_connector):
    desktop = make_desktop()

    run = web_connector.run("riverside-qbwc", PASSWORD)

    assert run.authenticated == ""  # work to do, in the company file QuickBooks has open
    assert run.percents == [25, 50, 75, 100]
    assert run.errors == []
    assert run.closing == "Done: QuickBooks answered 4 request(s)."
    assert set(states().values()) == {RequestState.DONE}
    connection = desktop.connection
    assert sorted(ERPVendor.objects.values_list("display_name", "is_active")) == [
        ("Apex Drywall & Paint <West>", True),
        ("Bolt Electric", True),
        ("Old Roofing Co", False),
    ]
    bolt = ERPVendor.objects.get(display_name="Bolt Electric")
    assert (bolt.tax_id, bolt.city, bolt.postal_code, str(bolt.open_balance)) == (
        "93-1234567",
        "Salem",
        "97301",
        "1250.00",
    )
    assert sorted(ERPCustomer.objects.values_list("display_name", flat=True)) == [
        "Acme Development",
        "Harbor Homes",
    ]
    tower = ERPJob.objects.get(display_name="Riverside Tower")
    assert tower.fully_qualified_name == "Acme Development:Riverside Tower"
    assert tower.parent_name == "Acme Development"
    assert tower.parent_erp_id == ERPCustomer.objects.get(display_name="Acme Development").erp_id
    assert tower.address == "400 River Rd, Portland, OR"
    assert sorted(ERPCostCode.objects.values_list("code", "name", "is_active")) == [
        ("03 30 00", "Concrete", False),
        ("09-2900", "Drywall", True),
        ("16-100", "Electrical", True),
        ("Retainage", "Retainage", True),
    ]  # the inventory item is no cost code
    assert list(desktop.accounts.values_list("full_name", "account_type")) == [
        ("Accounts Payable", "AccountsPayable"),
        ("Job Expenses:Subcontractors", "CostOfGoodsSold"),
        ("Retainage Payable", "OtherCurrentLiability"),
    ]
    imported = SyncCursor.objects.filter(erp_connection=connection, last_success_at__isnull=False)
    assert set(imported.values_list("kind", flat=True)) == {
        SyncKind.JOBS,
        SyncKind.VENDORS,
        SyncKind.COST_CODES,
    }
    session = WebConnectorSession.objects.get()
    assert (session.state, session.qbxml_version) == (SessionState.CLOSED, "12.0")
    desktop.refresh_from_db()
    assert desktop.company_file.endswith("Riverside.QBW")
    assert desktop.supported_versions == "12.0, 13.0"
    exchanges = list(Exchange.objects.order_by("pk"))
    assert [exchange.status_code for exchange in exchanges] == [0, 0, 0, 0]
    assert all(exchange.answered_at >= exchange.sent_at for exchange in exchanges)
    assert all('<?qbxml version="12.0"?>' in exchange.request_xml for exchange in exchanges)
    assert [exchange.request.operation for exchange in exchanges] == [
        "AccountQueryRq",
        "CustomerQueryRq",
        "VendorQueryRq",
        "ItemQueryRq",
    ]


def test_lists_longer_than_a_page_are_read_page_by_page_in_one_run(web_connector, monkeypatch):
    monkeypatch.setattr(qbxml, "PAGE_SIZE", 2)
    make_desktop()

    run = web_connector.run("riverside-qbwc", PASSWORD)

    # accounts; customers 2 + 2; vendors 2 + 1; items 2 + 2 + 1
    assert len(run.percents) == 8
    assert run.percents == sorted(run.percents) and run.percents[-1] == 100
    assert ERPJob.objects.count() == 2 and ERPCustomer.objects.count() == 2
    assert ERPVendor.objects.count() == 3 and ERPCostCode.objects.count() == 4
    customers = QueuedRequest.objects.get(operation="CustomerQueryRq")
    assert (customers.state, customers.pages_read) == (RequestState.DONE, 2)
    sent = [exchange.request_xml for exchange in customers.exchanges.order_by("pk")]
    assert 'iterator="Start"' in sent[0] and "iteratorID" not in sent[0]
    assert 'iterator="Continue"' in sent[1] and 'iteratorID="{' in sent[1]


def test_a_wrong_password_or_user_name_is_not_a_valid_user(web_connector):
    make_desktop()

    assert web_connector.run("riverside-qbwc", "guess").authenticated == "nvu"
    assert web_connector.run("someone-else", PASSWORD).authenticated == "nvu"
    assert web_connector.run("", "").authenticated == "nvu"

    assert WebConnectorSession.objects.count() == 0
    assert set(states().values()) == {RequestState.QUEUED}


def test_guessing_the_password_is_slowed_down_like_a_sign_in(web_connector):
    """Five wrong passwords from one address, then even the right one is refused ('nvu', as
    any refusal) until the wait is over; the user name's real owner elsewhere is not locked out."""
    make_desktop()
    for guess in range(5):
        assert web_connector.run("riverside-qbwc", f"guess-{guess}").authenticated == "nvu"

    assert web_connector.run("riverside-qbwc", PASSWORD).authenticated == "nvu"
    assert WebConnectorSession.objects.count() == 0

    LoginThrottle.objects.filter(username="web-connector:riverside-qbwc").update(
        last_failure_at=timezone.now() - timedelta(minutes=16)
    )
    assert web_connector.run("riverside-qbwc", PASSWORD).authenticated == ""
    assert not LoginThrottle.objects.filter(username="web-connector:riverside-qbwc").exists()


def test_a_wrong_password_from_elsewhere_does_not_lock_the_web_connector_out():
    make_desktop()
    for guess in range(6):
        assert (
            service.authenticate("riverside-qbwc", f"guess-{guess}", address="203.0.113.9")[1]
            == "nvu"
        )

    assert service.authenticate("riverside-qbwc", PASSWORD, address="127.0.0.1")[1] == ""


def test_a_disconnected_company_is_not_a_valid_user(web_connector):
    desktop = make_desktop()
    desktop.connection.is_active = False
    desktop.connection.save()

    assert web_connector.run("riverside-qbwc", PASSWORD).authenticated == "nvu"


def test_nothing_to_do_is_said_at_log_in(web_connector):
    make_desktop()
    QueuedRequest.objects.update(state=RequestState.DONE, finished_at=timezone.now())

    run = web_connector.run("riverside-qbwc", PASSWORD)

    assert run.authenticated == "none"
    assert WebConnectorSession.objects.get().state == SessionState.CLOSED
    assert QueuedRequest.objects.count() == 4


def test_lists_are_read_again_once_their_import_interval_has_passed(
    web_connector, company, settings
):
    make_desktop(read_lists=False)  # never read: every list is due at the first log-in
    assert web_connector.run("riverside-qbwc", PASSWORD).percents[-1] == 100
    assert ERPVendor.objects.count() == 3
    company.lists["VendorQueryRq"].append(qb.vendor("Cascade Glazing"))
    settings.ERP_SYNC_INTERVAL_MINUTES = {**settings.ERP_SYNC_INTERVAL_MINUTES, "vendors": 0}

    again = web_connector.run("riverside-qbwc", PASSWORD)

    assert again.authenticated == ""
    latest = WebConnectorSession.objects.order_by("-started_at").first()
    # and the entries deleted since the lists were first read
    assert [exchange.request.operation for exchange in latest.exchanges.all()] == [
        "VendorQueryRq",
        "ListDeletedQueryRq",
    ]
    assert ERPVendor.objects.filter(display_name="Cascade Glazing").exists()


def test_quickbooks_closed_ends_the_run_and_the_next_run_does_the_work(web_connector):
    make_desktop()
    run = web_connector.log_in("riverside-qbwc", PASSWORD)

    answer = web_connector.service.connectionError(
        run.ticket, "0x80040408", "Could not start QuickBooks."
    )

    assert answer == "done"
    session = WebConnectorSession.objects.get()
    assert session.state == SessionState.FAILED
    assert session.last_error == (
        "The Web Connector could not open QuickBooks: Could not start QuickBooks. (0x80040408). "
        "Open QuickBooks with the company file, then run the Web Connector again."
    )
    assert web_connector.service.getLastError(run.ticket) == session.last_error
    assert set(states().values()) == {RequestState.QUEUED}

    again = web_connector.run("riverside-qbwc", PASSWORD)
    assert again.percents[-1] == 100
    assert set(states().values()) == {RequestState.DONE}


def test_an_answer_quickbooks_could_not_give_leaves_the_request_queued(web_connector):
    make_desktop()
    run = web_connector.log_in("riverside-qbwc", PASSWORD)
    request = web_connector.ask(run, first=True)

    percent = web_connector.service.receiveResponseXML(
        run.ticket,
        "",
        "0x80040400",
        "QuickBooks found an error when parsing the provided XML text stream.",
    )

    assert percent == -1
    error = web_connector.service.getLastError(run.ticket)
    assert error == (
        "QuickBooks could not process the request to read the chart of accounts: QuickBooks "
        "found an error when parsing the provided XML text stream. (0x80040400). It will be sent "
        "again at the next run."
    )
    assert web_connector.service.closeConnection(run.ticket) == f"Stopped: {error}"
    exchange = Exchange.objects.get()
    assert exchange.request_xml == request
    assert (exchange.hresult, exchange.response_xml) == ("0x80040400", "")
    assert exchange.message.startswith("QuickBooks found an error")
    assert exchange.answered_at is not None
    assert states()["AccountQueryRq"] == RequestState.QUEUED

    again = web_connector.run("riverside-qbwc", PASSWORD)
    assert again.percents[-1] == 100
    accounts = QueuedRequest.objects.get(operation="AccountQueryRq")
    assert accounts.state == RequestState.DONE
    assert accounts.exchanges.count() == 2  # the same request, sent again


def test_a_run_interrupted_mid_way_is_resumed_with_a_new_ticket(
    web_connector, monkeypatch, settings
):
    monkeypatch.setattr(qbxml, "PAGE_SIZE", 2)
    make_desktop()
    first = web_connector.run("riverside-qbwc", PASSWORD, requests=2)  # dies mid-customers
    customers = QueuedRequest.objects.get(operation="CustomerQueryRq")
    assert customers.state == RequestState.READING and customers.iterator_id

    # A second Web Connector while the first may still be running is told the service is busy.
    assert web_connector.log_in("riverside-qbwc", PASSWORD).authenticated == "busy"

    settings.QBWC_BUSY_SECONDS = 0  # the first run has been silent long enough
    second = web_connector.run("riverside-qbwc", PASSWORD)

    assert second.ticket != first.ticket
    assert second.percents[-1] == 100
    old, new = WebConnectorSession.objects.order_by("started_at")
    assert (old.state, new.state) == (SessionState.INTERRUPTED, SessionState.CLOSED)
    # QuickBooks forgot the old iterator: the list is read again from its start.
    resent = customers.exchanges.filter(session=new).order_by("pk").first()
    assert 'iterator="Start"' in resent.request_xml
    assert not new.exchanges.filter(request_xml__contains=customers.iterator_id).exists()
    assert set(states().values()) == {RequestState.DONE}
    assert ERPJob.objects.count() == 2 and ERPCustomer.objects.count() == 2
    # The first run's last request, never answered, is kept as it was sent.
    unanswered = Exchange.objects.filter(session=old, answered_at__isnull=True)
    assert unanswered.count() == 1


def test_a_quickbooks_too_old_for_qbxml_12_ends_the_run_with_a_sentence(web_connector):
    desktop = make_desktop()

    run = web_connector.run(
        "riverside-qbwc", PASSWORD, versions=("10.0", "11.0"), major=11, minor=0
    )

    sentence = (
        "QuickBooks on the Web Connector's computer reads qbXML up to 11.0; this service needs "
        "qbXML 12.0 (QuickBooks 2013 or later). Update QuickBooks Desktop, then run the Web "
        "Connector again."
    )
    assert run.errors == [sentence]
    assert run.closing == f"Stopped: {sentence}"
    desktop.refresh_from_db()
    assert desktop.version_problem == sentence
    assert Exchange.objects.count() == 0
    assert set(states().values()) == {RequestState.QUEUED}

    web_connector.run("riverside-qbwc", PASSWORD)  # QuickBooks updated
    desktop.refresh_from_db()
    assert desktop.version_problem == ""


def test_a_request_held_elsewhere_makes_the_web_connector_pause_not_fail(web_connector):
    make_desktop()
    run = web_connector.log_in("riverside-qbwc", PASSWORD)

    with transaction.atomic():
        held = QueuedRequest.objects.select_for_update().order_by("pk").first()
        assert web_connector.ask(run, first=True) == ""
        assert web_connector.service.getLastError(run.ticket) == "NoOp"
    assert held.state == RequestState.QUEUED

    request = web_connector.ask(run, first=False)
    assert "<AccountQueryRq" in request
