"""Imports through queued queries, over real sockets: the local QuickBooks Desktop's Web
Connector polls the live server, collects the job-cost read query by query (bills, checks,
card charges, vendor credits, bill payments, deleted transactions) and the deleted list
entries, and the answers reach the project's job costs, the duplicate-bill check's bills and
the paid-to-date of exported invoices. Reads resume from the last read's modified date, in
pages whose iterators never outlive the run that opened them."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db.models import Sum

from approvals.models import (
    ERPBill,
    ERPVendor,
    JobCostTransaction,
    SyncCursor,
    SyncKind,
)
from approvals.states import SyncStatus
from integrations.quickbooks_desktop import job_cost_reads, qbxml, reads
from integrations.quickbooks_desktop.models import (
    Exchange,
    QueuedRequest,
    RequestState,
    SessionState,
    WebConnectorSession,
)
from tests.factories import make_company, make_invoice, make_project
from tests.integrations.quickbooks_desktop.conftest import (
    PASSWORD,
    WEB_CONNECTOR_USER,
    make_desktop,
    seed_job_check,
)
from tests.integrations.quickbooks_desktop.web_connector import WebConnector, soap_client

pytestmark = pytest.mark.django_db(transaction=True)

MATERIALS = {"FullName": "Job Materials"}


@pytest.fixture
def quickbooks(local_quickbooks):
    return local_quickbooks


@pytest.fixture
def books(quickbooks):
    """Acme's two jobs, a vendor, a cost-code item and the retainage item, as a bookkeeper
    set them up; the Tower job is a project here that syncs its job costs."""
    acme = quickbooks.seed("Customer", Name="Acme Development")
    tower = quickbooks.seed(
        "Customer", Name="Riverside Tower", ParentRef={"ListID": acme["ListID"]}
    )
    lot = quickbooks.seed("Customer", Name="Lot 7", ParentRef={"ListID": acme["ListID"]})
    bolt = quickbooks.seed("Vendor", Name="Bolt Electric")
    drywall = quickbooks.seed(
        "ItemService",
        Name="09-2900 Drywall",
        SalesOrPurchase={"AccountRef": {"FullName": "Subcontractors"}},
    )
    quickbooks.seed(
        "ItemOtherCharge",
        Name="Retainage",
        SalesOrPurchase={"AccountRef": {"FullName": "Retainage Payable"}},
    )
    desktop = make_desktop(username=WEB_CONNECTOR_USER)
    project = make_project(
        erp_connection=desktop.connection,
        erp_id=tower["ListID"],
        sync_status=SyncStatus.SYNCED,
        job_cost_sync_enabled=True,
    )
    return {
        "desktop": desktop,
        "project": project,
        "tower": tower["ListID"],
        "lot": lot["ListID"],
        "bolt": bolt["ListID"],
        "drywall": drywall["ListID"],
    }


def on(job: str) -> dict:
    return {"ListID": job}


def seed_bill(quickbooks, books, number: str = "BE-1001") -> dict:
    """A bill with job lines, a line on another job, one on no job and retainage held."""
    return quickbooks.seed(
        "Bill",
        VendorRef={"FullName": "Bolt Electric"},
        TxnDate="2026-03-02",
        RefNumber=number,
        ExpenseLineAdd=[
            {
                "AccountRef": MATERIALS,
                "Amount": "1200.00",
                "Memo": "Wire",
                "CustomerRef": on(books["tower"]),
            },
            {"AccountRef": MATERIALS, "Amount": "80.00", "CustomerRef": on(books["lot"])},
            {"AccountRef": MATERIALS, "Amount": "40.00"},
        ],
        ItemLineAdd=[
            {
                "ItemRef": {"FullName": "09-2900 Drywall"},
                "Desc": "Level 2 board",
                "Amount": "5000.00",
                "CustomerRef": on(books["tower"]),
            },
            {
                "ItemRef": {"FullName": "Retainage"},
                "Amount": "-500.00",
                "CustomerRef": on(books["tower"]),
            },
        ],
    )


def seed_check(quickbooks, books, amount: str = "120.00", number: str = "1001") -> dict:
    return seed_job_check(quickbooks, books["tower"], amount=amount, number=number)


def job_costs(project) -> list[tuple]:
    return sorted(
        JobCostTransaction.objects.filter(project=project).values_list(
            "txn_type", "doc_number", "amount", "description"
        )
    )


def sent(operation: str) -> list[str]:
    return list(
        Exchange.objects.filter(request__operation=operation)
        .order_by("pk")
        .values_list("request_xml", flat=True)
    )


def due_again(settings, *kinds: str) -> None:
    settings.ERP_SYNC_INTERVAL_MINUTES = {
        **settings.ERP_SYNC_INTERVAL_MINUTES,
        **{kind: 0 for kind in kinds},
    }


def test_one_run_brings_the_jobs_costs_with_their_lines_and_signs(quickbooks, books):
    seed_bill(quickbooks, books)
    seed_check(quickbooks, books)
    quickbooks.seed(
        "CreditCardCharge",
        AccountRef={"FullName": "Company Card"},
        PayeeEntityRef={"FullName": "Bolt Electric"},
        TxnDate="2026-03-06",
        ExpenseLineRet=[
            {"AccountRef": MATERIALS, "Amount": "30.00", "CustomerRef": on(books["tower"])}
        ],
    )
    quickbooks.seed(
        "VendorCredit",
        VendorRef={"FullName": "Bolt Electric"},
        TxnDate="2026-03-07",
        RefNumber="CR-7",
        ExpenseLineRet=[
            {"AccountRef": MATERIALS, "Amount": "15.00", "CustomerRef": on(books["tower"])}
        ],
    )

    log = quickbooks.run()

    assert log["outcome"] == "ok"
    operations = [exchange.request.operation for exchange in Exchange.objects.order_by("pk")]
    # the lists first (the items' accounts and cost codes), then the job-cost read in order
    assert operations[:4] == ["AccountQueryRq", "CustomerQueryRq", "VendorQueryRq", "ItemQueryRq"]
    assert operations[4:] == list(job_cost_reads.OPERATIONS)
    project = books["project"]
    assert job_costs(project) == [
        ("bill", "BE-1001", Decimal("1200.00"), "Wire"),
        ("bill", "BE-1001", Decimal("5000.00"), "Level 2 board"),
        ("credit", "CR-7", Decimal("-15.00"), ""),
        ("expense", "", Decimal("30.00"), ""),
        ("expense", "1001", Decimal("120.00"), ""),
    ]  # not Lot 7's line, not the line on no job, not the retainage held (a liability)
    drywall = JobCostTransaction.objects.get(project=project, amount=Decimal("5000.00"))
    assert drywall.cost_code.code == "09-2900"
    assert (drywall.vendor_erp_id, drywall.vendor_name) == (books["bolt"], "Bolt Electric")
    assert drywall.txn_date == date(2026, 3, 2)
    project.refresh_from_db()
    assert project.job_costs_synced_at is not None
    cursor = SyncCursor.objects.get(erp_connection=project.erp_connection, kind=SyncKind.JOB_COSTS)
    assert cursor.last_success_at is not None and cursor.last_error == ""
    # what the whole read did, every query of it counted
    assert (cursor.last_summary["created"], cursor.last_summary["full_read"]) == (5, True)
    # the duplicate-bill check's copy of every bill
    bill = ERPBill.objects.get()
    assert (bill.vendor_erp_id, bill.number, bill.billed_on) == (
        books["bolt"],
        "BE-1001",
        date(2026, 3, 2),
    )
    assert (bill.total, bill.balance, bill.is_voided) == (
        Decimal("5820.00"),
        Decimal("5820.00"),
        False,
    )
    bill_query = sent("BillQueryRq")[0]
    assert "<IncludeLineItems>true</IncludeLineItems>" in bill_query
    assert "ModifiedDateRangeFilter" not in bill_query  # never read: the whole history


def test_bill_payments_by_check_and_card_are_paid_to_date_on_the_exported_invoice(
    quickbooks, books
):
    bill = seed_bill(quickbooks, books)
    invoice = make_invoice()
    type(invoice).objects.filter(pk=invoice.pk).update(
        erp_connection=books["desktop"].connection,
        erp_id=bill["TxnID"],
        sync_status=SyncStatus.SYNCED,
    )
    applied = {"TxnID": bill["TxnID"], "TxnType": "Bill"}
    quickbooks.seed(
        "BillPaymentCheck",
        PayeeEntityRef={"FullName": "Bolt Electric"},
        TxnDate="2026-04-01",
        BankAccountRef={"FullName": "Checking"},
        Amount="3000.00",
        AppliedToTxnRet=[{**applied, "Amount": "3000.00"}],
    )
    by_card = quickbooks.seed(
        "BillPaymentCreditCard",
        PayeeEntityRef={"FullName": "Bolt Electric"},
        TxnDate="2026-04-15",
        CreditCardAccountRef={"FullName": "Company Card"},
        Amount="820.00",
        AppliedToTxnRet=[{**applied, "Amount": "820.00"}],
    )

    assert quickbooks.run()["outcome"] == "ok"

    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("3820.00")
    assert (invoice.last_paid_on, invoice.last_payment_method) == (date(2026, 4, 15), "Credit card")

    # The card payment is deleted in QuickBooks: the next read takes it off the invoice.
    quickbooks.delete(by_card["TxnID"])
    read_job_costs_again(quickbooks, books)

    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("3000.00")
    assert (invoice.last_paid_on, invoice.last_payment_method) == (date(2026, 4, 1), "Check")


def read_job_costs_again(quickbooks, books) -> None:
    """Request the job-cost read (as Sync now does) and let the Web Connector run."""
    assert job_cost_reads.queue(books["desktop"]) == 1
    log = quickbooks.run()
    assert log["outcome"] == "ok", log


def test_later_reads_ask_for_what_changed_since_the_latest_change_the_last_one_saw(
    quickbooks, books
):
    """In QuickBooks' own clock (the accountant's computer may keep another time than ours),
    less an hour of overlap; a query whose read saw nothing asks for everything again."""
    check = seed_check(quickbooks, books)
    assert quickbooks.run()["outcome"] == "ok"
    seed_check(quickbooks, books, amount="75.00", number="1002")
    deleted = seed_check(quickbooks, books, amount="9.00", number="1003")
    quickbooks.delete(deleted["TxnID"])

    read_job_costs_again(quickbooks, books)

    since = qbxml.datetime_text(datetime.fromisoformat(check["TimeModified"]) - reads.OVERLAP)
    assert (
        f"<ModifiedDateRangeFilter><FromModifiedDate>{since}</FromModifiedDate>"
        "</ModifiedDateRangeFilter>"
    ) in sent("CheckQueryRq")[-1]
    assert "<FromModifiedDate>" not in sent("BillQueryRq")[-1]  # no bill yet: all again
    assert "<FromDeletedDate>" not in sent("TxnDeletedQueryRq")[-1]
    # read twice (the overlap) and kept once; the check deleted before it was read, never
    assert job_costs(books["project"]) == [
        ("expense", "1001", Decimal("120.00"), ""),
        ("expense", "1002", Decimal("75.00"), ""),
    ]
    read_job_costs_again(quickbooks, books)
    deleted_since = qbxml.datetime_text(
        max(
            datetime.fromisoformat(row.findtext("TimeDeleted"))
            for row in qbxml.answer_to(*_answer_of("TxnDeletedQueryRq", -2)).rets
        )
        - reads.OVERLAP
    )
    assert f"<FromDeletedDate>{deleted_since}</FromDeletedDate>" in sent("TxnDeletedQueryRq")[-1]


def _answer_of(operation: str, position: int) -> tuple[str, str]:
    exchange = list(Exchange.objects.filter(request__operation=operation).order_by("pk"))[position]
    return exchange.response_xml, exchange.qbxml_request_id


def test_a_project_whose_job_costs_were_never_read_makes_the_read_start_from_nothing(
    quickbooks, books
):
    assert quickbooks.run()["outcome"] == "ok"
    seed_check(quickbooks, books, number="2001")
    make_project(
        erp_connection=books["desktop"].connection,
        erp_id=books["lot"],
        sync_status=SyncStatus.SYNCED,
        job_cost_sync_enabled=True,
    )

    read_job_costs_again(quickbooks, books)

    assert "ModifiedDateRangeFilter" not in sent("CheckQueryRq")[-1]
    assert "DeletedDateRangeFilter" not in sent("TxnDeletedQueryRq")[-1]


def test_the_job_cost_read_honours_its_import_interval_at_log_in(quickbooks, books, settings):
    assert quickbooks.run()["outcome"] == "ok"

    assert quickbooks.run()["outcome"] == "none"  # read a moment ago: not due

    due_again(settings, SyncKind.JOB_COSTS)
    log = quickbooks.run()
    assert log["outcome"] == "ok"
    assert len(log["exchanges"]) == len(job_cost_reads.OPERATIONS)


def test_deletions_in_quickbooks_reach_job_costs_bills_and_the_lists(quickbooks, books, settings):
    bill = seed_bill(quickbooks, books)
    check = seed_check(quickbooks, books)
    gone_vendor = quickbooks.seed("Vendor", Name="Old Roofing Co")
    assert quickbooks.run()["outcome"] == "ok"
    roofing = make_company(
        name="Old Roofing Co",
        erp_connection=books["desktop"].connection,
        erp_id=gone_vendor["ListID"],
        sync_status=SyncStatus.SYNCED,
    )
    assert ERPVendor.objects.get(erp_id=gone_vendor["ListID"]).is_active
    total = JobCostTransaction.objects.aggregate(total=Sum("amount"))["total"]
    assert total == Decimal("6320.00")

    quickbooks.delete(check["TxnID"])
    quickbooks.delete(bill["TxnID"])
    quickbooks.delete(gone_vendor["ListID"])
    due_again(settings, SyncKind.JOB_COSTS, SyncKind.VENDORS)
    log = quickbooks.run()

    assert log["outcome"] == "ok"
    assert JobCostTransaction.objects.count() == 0
    assert ERPBill.objects.count() == 0
    assert not ERPVendor.objects.get(erp_id=gone_vendor["ListID"]).is_active
    roofing.refresh_from_db()
    assert roofing.is_archived  # as a vendor deactivated in the ERP archives its company
    # the first read of deleted entries: all QuickBooks remembers
    assert "DeletedDateRangeFilter" not in sent("ListDeletedQueryRq")[0]


def test_large_reads_come_in_pages_and_a_run_ending_mid_read_restarts_it_from_the_start(
    quickbooks, books, settings, monkeypatch
):
    project = books["project"]
    type(project).objects.filter(pk=project.pk).update(job_cost_sync_enabled=False)
    assert quickbooks.run()["outcome"] == "ok"  # the lists only
    for number in ("B-1", "B-2", "B-3"):
        seed_bill(quickbooks, books, number=number)
    type(project).objects.filter(pk=project.pk).update(job_cost_sync_enabled=True)
    monkeypatch.setattr(qbxml, "PAGE_SIZE", 1)
    quickbooks.fault("interrupt", after=2)  # the second page of bills, then the computer stops

    interrupted = quickbooks.run()

    assert interrupted["outcome"] == "interrupted"
    assert ERPBill.objects.count() == 2
    settings.QBWC_BUSY_SECONDS = 0

    resumed = quickbooks.run()

    assert resumed["outcome"] == "ok"
    old, new = WebConnectorSession.objects.order_by("started_at")[1:]
    assert (old.state, new.state) == (SessionState.INTERRUPTED, SessionState.CLOSED)
    again = [
        exchange.request_xml
        for exchange in new.exchanges.filter(request__operation="BillQueryRq").order_by("pk")
    ]
    assert len(again) == 3
    assert 'iterator="Start"' in again[0] and "iteratorID" not in again[0]
    stale = old.exchanges.filter(request__operation="BillQueryRq").last()
    stale_id = qbxml.answer_to(stale.response_xml, stale.qbxml_request_id).iterator_id
    assert stale_id and not any(stale_id in text for text in again)
    assert all(exchange.status_code in (0, 1) for exchange in new.exchanges.all())
    assert sorted(ERPBill.objects.values_list("number", flat=True)) == ["B-1", "B-2", "B-3"]
    assert JobCostTransaction.objects.filter(project=project).count() == 6  # two per bill, once
    assert QueuedRequest.objects.get(operation="BillQueryRq").pages_read == 5
    assert set(QueuedRequest.objects.values_list("state", flat=True)) == {RequestState.DONE}


def test_a_refused_query_ends_the_read_there_and_says_why(live_server, company):
    """QuickBooks refuses the bill query (the user may not see bills): the read stops there,
    the later queries are not asked, the projects are not marked up to date and the job-cost
    import says why; the next read starts again from its first query."""
    company.refusals["BillQueryRq"] = (
        3260,
        "Insufficient permission level to perform this action.",
    )
    desktop = make_desktop(read_lists=False)
    project = make_project(
        erp_connection=desktop.connection,
        erp_id="80000001-1197770000",
        sync_status=SyncStatus.SYNCED,
        job_cost_sync_enabled=True,
    )
    web_connector = WebConnector(soap_client(live_server.url), company)

    run = web_connector.run(desktop.username, PASSWORD)

    assert run.percents[-1] == 100
    bill_read = QueuedRequest.objects.get(operation="BillQueryRq")
    assert bill_read.state == RequestState.FAILED
    assert "(status 3260)" in bill_read.problem
    assert not QueuedRequest.objects.filter(operation="CheckQueryRq").exists()
    project.refresh_from_db()
    assert project.job_costs_synced_at is None
    cursor = SyncCursor.objects.get(erp_connection=desktop.connection, kind=SyncKind.JOB_COSTS)
    assert cursor.last_error.startswith("QuickBooks refused to read bills")
    assert cursor.last_success_at is None

    del company.refusals["BillQueryRq"]
    assert job_cost_reads.queue(desktop) == 1
    web_connector.run(desktop.username, PASSWORD)

    project.refresh_from_db()
    assert project.job_costs_synced_at is not None
    cursor.refresh_from_db()
    assert (cursor.last_error, cursor.last_success_at is not None) == ("", True)
    done = QueuedRequest.objects.filter(
        state=RequestState.DONE, operation__in=job_cost_reads.OPERATIONS
    )
    assert sorted(done.values_list("operation", flat=True)) == sorted(job_cost_reads.OPERATIONS)


def test_a_project_enabled_while_a_read_of_changes_runs_waits_for_a_read_of_everything(
    quickbooks, books
):
    assert quickbooks.run()["outcome"] == "ok"
    assert job_cost_reads.queue(books["desktop"]) == 1  # of changes: the Tower was read
    seed_check(quickbooks, books, number="3001")
    lot = make_project(
        erp_connection=books["desktop"].connection,
        erp_id=books["lot"],
        sync_status=SyncStatus.SYNCED,
        job_cost_sync_enabled=True,
    )

    assert quickbooks.run()["outcome"] == "ok"

    lot.refresh_from_db()
    assert lot.job_costs_synced_at is None  # its history before the read's start is not read
    assert not QueuedRequest.objects.filter(whole_history=True, state=RequestState.QUEUED)
    read_job_costs_again(quickbooks, books)
    assert all(
        request.whole_history
        for request in QueuedRequest.objects.filter(
            operation__in=job_cost_reads.OPERATIONS
        ).order_by("-pk")[: len(job_cost_reads.OPERATIONS)]
    )
    lot.refresh_from_db()
    assert lot.job_costs_synced_at is not None


def test_an_amount_that_is_not_to_the_cent_fails_the_read_and_stores_nothing(live_server, company):
    company.lists["BillQueryRq"] = [
        "<BillRet><TxnID>1A-1197770000</TxnID><VendorRef><ListID>V1</ListID></VendorRef>"
        "<RefNumber>BE-9</RefNumber><AmountDue>12.505</AmountDue><OpenAmount>12.505</OpenAmount>"
        "</BillRet>"
    ]
    desktop = make_desktop(read_lists=False)
    web_connector = WebConnector(soap_client(live_server.url), company)
    assert job_cost_reads.queue(desktop) == 1

    web_connector.run(desktop.username, PASSWORD)

    bill_read = QueuedRequest.objects.get(operation="BillQueryRq")
    assert bill_read.state == RequestState.FAILED
    assert "'12.505' is not an amount in dollars and cents" in bill_read.problem
    assert ERPBill.objects.count() == 0
    cursor = SyncCursor.objects.get(erp_connection=desktop.connection, kind=SyncKind.JOB_COSTS)
    assert "could not be read" in cursor.last_error


def test_retainage_on_an_item_added_since_the_last_item_read_is_still_not_a_cost(quickbooks, books):
    """Our bill exports add the Retainage item when QuickBooks has none: a read of job costs
    before the next item read still knows its lines for retainage held."""
    project = books["project"]
    type(project).objects.filter(pk=project.pk).update(job_cost_sync_enabled=False)
    for item in quickbooks.records("ItemOtherCharge"):
        quickbooks.delete(item["ListID"])
    assert quickbooks.run()["outcome"] == "ok"  # the lists: no Retainage item yet
    quickbooks.seed(
        "ItemOtherCharge",
        Name="Retainage",
        SalesOrPurchase={"AccountRef": {"FullName": "Retainage Payable"}},
    )
    seed_bill(quickbooks, books)
    type(project).objects.filter(pk=project.pk).update(job_cost_sync_enabled=True)

    read_job_costs_again(quickbooks, books)

    assert not books["desktop"].items.filter(full_name="Retainage").exists()
    assert job_costs(project) == [
        ("bill", "BE-1001", Decimal("1200.00"), "Wire"),
        ("bill", "BE-1001", Decimal("5000.00"), "Level 2 board"),
    ]
