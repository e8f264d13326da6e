"""QuickBooksClient against the QuickBooks Online sandbox over a real socket."""

import uuid
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from integrations.base import (
    DuplicateNameError,
    NotConnectedError,
    PermanentERPError,
    RateLimitedError,
    StaleObjectError,
    TransientERPError,
)
from integrations.exact_json import to_json
from integrations.quickbooks_online.client import ERP_NAME, QuickBooksClient, query_literal
from integrations.quickbooks_online.errors import ThrottledError, error_for_batch_item


def request_id() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def qbo(qbo_connection):
    with QuickBooksClient(qbo_connection) as client:
        yield client


def vendors_named(qbo_sandbox, name):
    return [v for v in qbo_sandbox.entities("Vendor") if v["DisplayName"] == name]


def api_calls(qbo_sandbox):
    return [entry for entry in qbo_sandbox.request_log() if entry["path"].startswith("/v3/")]


def test_create_read_and_sparse_update_round_trip(qbo, qbo_sandbox):
    created = qbo.create("Vendor", {"DisplayName": "Acme Drywall"}, request_id=request_id())
    assert created["DisplayName"] == "Acme Drywall"
    assert isinstance(created["Id"], str)
    assert created["SyncToken"] == "0"

    read = qbo.read("Vendor", created["Id"])
    assert read["Id"] == created["Id"]

    updated = qbo.update(
        "Vendor",
        {"Id": created["Id"], "SyncToken": read["SyncToken"], "CompanyName": "Acme Drywall LLC"},
        request_id=request_id(),
        sparse=True,
    )
    assert updated["SyncToken"] == "1"
    assert updated["DisplayName"] == "Acme Drywall"
    assert updated["CompanyName"] == "Acme Drywall LLC"
    assert vendors_named(qbo_sandbox, "Acme Drywall")[0]["CompanyName"] == "Acme Drywall LLC"


def test_every_call_names_the_minor_version_and_every_write_its_request_id(
    qbo, qbo_sandbox, settings
):
    qbo_sandbox.clear_request_log()
    write_id = request_id()
    created = qbo.create("Vendor", {"DisplayName": "Versioned"}, request_id=write_id)
    qbo.read("Vendor", created["Id"])
    qbo.count("Vendor")

    calls = api_calls(qbo_sandbox)
    assert len(calls) == 3
    minor = str(settings.QUICKBOOKS_ONLINE["MINOR_VERSION"])
    for call in calls:
        assert parse_qs(call["query"])["minorversion"] == [minor]
    assert parse_qs(calls[0]["query"])["requestid"] == [write_id]


def test_amounts_travel_as_exact_decimals(qbo, qbo_sandbox):
    vendor = qbo.create("Vendor", {"DisplayName": "Exact Cents"}, request_id=request_id())
    accounts = list(qbo.query_all("Account", "AccountType = 'Expense'"))
    assert accounts, "the sandbox company has an expense account"
    bill = qbo.create(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "Line": [
                {
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "Amount": Decimal("1234567.89"),
                    "AccountBasedExpenseLineDetail": {"AccountRef": {"value": accounts[0]["Id"]}},
                },
                {
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "Amount": Decimal("0.10"),
                    "AccountBasedExpenseLineDetail": {"AccountRef": {"value": accounts[0]["Id"]}},
                },
            ],
        },
        request_id=request_id(),
    )
    assert isinstance(bill["TotalAmt"], Decimal)
    assert bill["TotalAmt"] == Decimal("1234567.99")


def test_json_refuses_floats_and_writes_decimals_exactly():
    assert to_json({"Amount": Decimal("10.10"), "Qty": Decimal("1E+2")}, erp_name=ERP_NAME) == (
        '{"Amount":10.10,"Qty":100}'
    )
    with pytest.raises(TypeError, match="never float"):
        to_json({"Amount": 10.1}, erp_name=ERP_NAME)
    with pytest.raises(ValueError, match="not an amount"):
        to_json({"Amount": Decimal("NaN")}, erp_name=ERP_NAME)


def test_a_write_whose_answer_was_lost_is_stored_once_when_asked_again_with_its_key(
    qbo, qbo_sandbox
):
    qbo_sandbox.inject_fault("drop_after_commit", entity="vendor", method="POST")
    write_id = request_id()
    with pytest.raises(TransientERPError) as lost:
        qbo.create("Vendor", {"DisplayName": "Dropped Once"}, request_id=write_id)
    assert lost.value.status is None
    created = qbo.create("Vendor", {"DisplayName": "Dropped Once"}, request_id=write_id)
    assert len(vendors_named(qbo_sandbox, "Dropped Once")) == 1
    assert vendors_named(qbo_sandbox, "Dropped Once")[0]["Id"] == created["Id"]


def test_a_request_id_replayed_by_a_caller_returns_the_first_document(qbo, qbo_sandbox):
    write_id = request_id()
    first = qbo.create("Vendor", {"DisplayName": "Replayed"}, request_id=write_id)
    again = qbo.create("Vendor", {"DisplayName": "Replayed"}, request_id=write_id)
    assert again["Id"] == first["Id"]
    assert len(vendors_named(qbo_sandbox, "Replayed")) == 1


def test_request_ids_longer_than_quickbooks_allows_are_refused_before_sending(qbo, qbo_sandbox):
    qbo_sandbox.clear_request_log()
    with pytest.raises(ValueError, match="longer than 50"):
        qbo.create("Vendor", {"DisplayName": "Too Long"}, request_id="x" * 51)
    with pytest.raises(ValueError, match="longer than 36"):
        qbo.batch([{"Query": "select * from Vendor"}], request_id="x" * 37)
    with pytest.raises(ValueError, match="needs a requestid"):
        qbo.create("Vendor", {"DisplayName": "No Id"}, request_id="")
    assert api_calls(qbo_sandbox) == []


def test_a_stale_sync_token_is_a_stale_object_error(qbo):
    vendor = qbo.create("Vendor", {"DisplayName": "Raced"}, request_id=request_id())
    qbo.update(
        "Vendor",
        {"Id": vendor["Id"], "SyncToken": vendor["SyncToken"], "CompanyName": "First"},
        request_id=request_id(),
        sparse=True,
    )
    with pytest.raises(StaleObjectError) as raised:
        qbo.update(
            "Vendor",
            {"Id": vendor["Id"], "SyncToken": vendor["SyncToken"], "CompanyName": "Second"},
            request_id=request_id(),
            sparse=True,
        )
    assert raised.value.code == "5010"
    assert "changed this document in QuickBooks" in raised.value.message


def test_a_duplicate_name_says_which_name(qbo, qbo_sandbox):
    qbo.create("Vendor", {"DisplayName": "Bob's Concrete"}, request_id=request_id())
    with pytest.raises(DuplicateNameError) as raised:
        qbo.create("Vendor", {"DisplayName": "Bob's Concrete"}, request_id=request_id())
    assert raised.value.code == "6240"
    assert raised.value.message == (
        "QuickBooks already has a customer, vendor or employee named 'Bob's Concrete'."
    )
    assert len(vendors_named(qbo_sandbox, "Bob's Concrete")) == 1


def test_a_reference_to_a_missing_record_is_explained(qbo):
    with pytest.raises(PermanentERPError) as raised:
        qbo.create(
            "Bill",
            {
                "VendorRef": {"value": "999999"},
                "Line": [
                    {
                        "DetailType": "AccountBasedExpenseLineDetail",
                        "Amount": Decimal("5.00"),
                        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "999998"}},
                    }
                ],
            },
            request_id=request_id(),
        )
    assert raised.value.code == "2500"
    assert raised.value.message == (
        "QuickBooks says something this record refers to is missing or inactive: "
        "none of its vendors, customers and employees has the id 999999."
    )
    assert not raised.value.transient


def test_delete_removes_a_transaction(qbo, qbo_sandbox):
    vendor = qbo.create("Vendor", {"DisplayName": "Deleted Bill Vendor"}, request_id=request_id())
    account = next(qbo.query_all("Account", "AccountType = 'Expense'"))
    bill = qbo.create(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "Line": [
                {
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "Amount": Decimal("12.00"),
                    "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account["Id"]}},
                }
            ],
        },
        request_id=request_id(),
    )
    deleted = qbo.delete("Bill", bill["Id"], bill["SyncToken"], request_id=request_id())
    assert deleted["status"] == "Deleted"
    assert deleted["Id"] == bill["Id"]
    assert bill["Id"] not in {stored["Id"] for stored in qbo_sandbox.entities("Bill")}


def test_query_all_pages_past_a_thousand_rows(qbo, qbo_sandbox):
    qbo_sandbox.seed_vendors(2500, prefix="Paged")
    qbo_sandbox.clear_request_log()

    rows = list(qbo.query_all("Vendor", f"DisplayName LIKE {query_literal('Paged%')}"))

    assert len(rows) == 2500
    assert len({row["Id"] for row in rows}) == 2500
    assert len(api_calls(qbo_sandbox)) == 3
    assert qbo.count("Vendor", f"DisplayName LIKE {query_literal('Paged%')}") == 2500


def test_query_all_with_a_small_page_stops_after_the_last_short_page(qbo, qbo_sandbox):
    qbo_sandbox.seed_vendors(5, prefix="Few")
    qbo_sandbox.clear_request_log()
    rows = list(qbo.query_all("Vendor", "DisplayName LIKE 'Few%'", page_size=2))
    assert len(rows) == 5
    assert len(api_calls(qbo_sandbox)) == 3


def test_query_literal_escapes_apostrophes(qbo):
    qbo.create("Vendor", {"DisplayName": "Adam's Candy Shop"}, request_id=request_id())
    found = list(qbo.query_all("Vendor", f"DisplayName = {query_literal("Adam's Candy Shop")}"))
    assert [row["DisplayName"] for row in found] == ["Adam's Candy Shop"]


def test_an_empty_query_result_is_an_empty_page(qbo):
    assert list(qbo.query_all("Vendor", "DisplayName = 'Nobody At All'")) == []
    assert qbo.count("Vendor", "DisplayName = 'Nobody At All'") == 0


def test_batch_answers_in_order_with_a_failing_item(qbo, qbo_sandbox):
    qbo.create("Vendor", {"DisplayName": "Taken Name"}, request_id=request_id())
    operations = [
        {"operation": "create", "Vendor": {"DisplayName": "Batch One"}},
        {"operation": "create", "Vendor": {"DisplayName": "Taken Name"}},
        {"operation": "create", "Vendor": {"DisplayName": "Batch Three"}},
        {"Query": "select * from Vendor where DisplayName = 'Batch One'"},
    ]
    items = qbo.batch(operations, request_id=request_id())

    assert [item["bId"] for item in items] == ["1", "2", "3", "4"]
    assert items[0]["Vendor"]["DisplayName"] == "Batch One"
    assert items[2]["Vendor"]["DisplayName"] == "Batch Three"
    assert error_for_batch_item(items[0]) is None
    failure = error_for_batch_item(items[1], payload=operations[1]["Vendor"])
    assert isinstance(failure, DuplicateNameError)
    assert "'Taken Name'" in failure.message
    assert len(vendors_named(qbo_sandbox, "Taken Name")) == 1
    assert "QueryResponse" in items[3]


def test_batch_refuses_more_than_thirty_operations(qbo):
    operations = [{"Query": "select * from Vendor"} for _ in range(31)]
    with pytest.raises(ValueError, match="at most 30"):
        qbo.batch(operations, request_id=request_id())


def test_change_data_capture_returns_changed_and_deleted_objects(qbo):
    before = timezone.now() - timedelta(minutes=1)
    vendor = qbo.create("Vendor", {"DisplayName": "Changed Lately"}, request_id=request_id())
    account = next(qbo.query_all("Account", "AccountType = 'Expense'"))
    bill = qbo.create(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "Line": [
                {
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "Amount": Decimal("7.00"),
                    "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account["Id"]}},
                }
            ],
        },
        request_id=request_id(),
    )
    qbo.delete("Bill", bill["Id"], bill["SyncToken"], request_id=request_id())

    changes = qbo.cdc(["Vendor", "Bill", "PurchaseOrder"], before)

    assert vendor["Id"] in {item["Id"] for item in changes["Vendor"]}
    deleted = [item for item in changes["Bill"] if item["Id"] == bill["Id"]]
    assert deleted and deleted[0]["status"] == "Deleted"
    assert changes["PurchaseOrder"] == []


def test_change_data_capture_needs_an_aware_moment(qbo):
    with pytest.raises(ValueError, match="time zone"):
        qbo.cdc(["Vendor"], timezone.now().replace(tzinfo=None))


def test_a_server_error_is_raised_after_one_attempt_for_the_caller_to_reschedule(qbo, qbo_sandbox):
    qbo_sandbox.inject_fault("http_500", count=10)
    with pytest.raises(TransientERPError) as raised:
        qbo.count("Vendor")
    assert raised.value.status == 500
    assert "problem on its side" in raised.value.message
    assert [call["status"] for call in api_calls(qbo_sandbox)] == [500]


def test_a_throttle_is_raised_at_once_with_the_wait_quickbooks_asked_for(qbo, qbo_sandbox):
    qbo_sandbox.inject_fault("throttle", count=1)
    with pytest.raises(ThrottledError) as raised:
        qbo.count("Vendor")
    assert isinstance(raised.value, RateLimitedError)
    assert raised.value.retry_after == 60
    assert [call["status"] for call in api_calls(qbo_sandbox)] == [429]


def test_no_answer_in_time_is_a_transient_timeout(qbo_connection, qbo_sandbox, settings):
    settings.QUICKBOOKS_ONLINE = {**settings.QUICKBOOKS_ONLINE, "TIMEOUT_SECONDS": 0.3}
    qbo_sandbox.inject_fault("timeout", count=1, seconds=1.0)
    with QuickBooksClient(qbo_connection) as qbo, pytest.raises(TransientERPError) as raised:
        qbo.count("Vendor")
    assert raised.value.message == "QuickBooks Online did not answer in time; we will try again."


def test_a_slow_answer_within_the_timeout_succeeds(qbo_connection, qbo_sandbox, settings):
    settings.QUICKBOOKS_ONLINE = {**settings.QUICKBOOKS_ONLINE, "TIMEOUT_SECONDS": 2.0}
    qbo_sandbox.inject_fault("latency", count=1, seconds=0.2)
    with QuickBooksClient(qbo_connection) as qbo:
        assert qbo.count("Vendor") >= 0


def test_an_unreachable_quickbooks_is_transient(qbo_connection, settings):
    settings.QUICKBOOKS_ONLINE = {
        **settings.QUICKBOOKS_ONLINE,
        "API_BASE_URL": "http://127.0.0.1:9",
    }
    with QuickBooksClient(qbo_connection) as qbo, pytest.raises(TransientERPError) as raised:
        qbo.count("Vendor")
    assert raised.value.message == "We could not reach QuickBooks Online; we will try again."


def test_a_disconnected_company_cannot_be_called(qbo_connection):
    qbo_connection.is_active = False
    with pytest.raises(NotConnectedError, match="reconnect"):
        QuickBooksClient(qbo_connection)


def test_entity_names_and_sort_orders_are_checked(qbo):
    with pytest.raises(ValueError, match="entity name"):
        qbo.read("vendor/../company", "1")
    with pytest.raises(ValueError, match="sort order"):
        next(qbo.query_all("Vendor", order_by="Id; drop"))
    with pytest.raises(ValueError, match="Id and its current SyncToken"):
        qbo.update("Vendor", {"DisplayName": "No Id"}, request_id=request_id())
