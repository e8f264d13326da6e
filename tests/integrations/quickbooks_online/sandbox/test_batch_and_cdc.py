"""Batch requests (independent items, per-item faults) and change data capture."""

from __future__ import annotations

from datetime import datetime, timedelta

from .conftest import expense_line, json_of
from .test_name_lists import error_of


def recent() -> str:
    return (datetime.now().astimezone() - timedelta(minutes=5)).isoformat(timespec="seconds")


def test_batch_items_run_independently_and_echo_their_bid(api, accounts):
    vendor = api.create("Vendor", {"DisplayName": "Acme Drywall"})
    order = api.create(
        "PurchaseOrder",
        {
            "VendorRef": {"value": vendor["Id"]},
            "Line": [expense_line(10, accounts["Subcontractors"])],
        },
    )
    body = json_of(
        api.post(
            "batch",
            {
                "BatchItemRequest": [
                    {"bId": "new", "operation": "create", "Vendor": {"DisplayName": "Brick Co"}},
                    {
                        "bId": "dup",
                        "operation": "create",
                        "Vendor": {"DisplayName": "ACME DRYWALL"},
                    },
                    {
                        "bId": "upd",
                        "operation": "update",
                        "Vendor": {
                            "Id": vendor["Id"],
                            "SyncToken": "0",
                            "sparse": True,
                            "AcctNum": "7",
                        },
                    },
                    {
                        "bId": "del",
                        "operation": "delete",
                        "PurchaseOrder": {"Id": order["Id"], "SyncToken": "0"},
                    },
                    {"bId": "bad", "Query": "select * from Nowhere"},
                    {"bId": "qry", "Query": "select * from Vendor where DisplayName = 'Brick Co'"},
                ]
            },
        )
    )
    by_bid = {item["bId"]: item for item in body["BatchItemResponse"]}
    assert list(by_bid) == ["new", "dup", "upd", "del", "bad", "qry"]
    assert by_bid["new"]["Vendor"]["DisplayName"] == "Brick Co"
    assert by_bid["dup"]["Fault"]["Error"][0]["code"] == "6240"
    assert by_bid["upd"]["Vendor"]["SyncToken"] == "1"
    assert by_bid["del"]["PurchaseOrder"] == {
        "status": "Deleted",
        "domain": "QBO",
        "Id": order["Id"],
    }
    assert by_bid["bad"]["Fault"]["Error"][0]["code"] == "4001"
    assert by_bid["qry"]["QueryResponse"]["Vendor"][0]["DisplayName"] == "Brick Co"


def test_a_failing_batch_item_leaves_nothing_behind(api, qbo_sandbox, accounts):
    vendor = api.create("Vendor", {"DisplayName": "Acme Drywall"})
    body = json_of(
        api.post(
            "batch",
            {
                "BatchItemRequest": [
                    {
                        "bId": "1",
                        "operation": "create",
                        "Bill": {
                            "VendorRef": {"value": vendor["Id"]},
                            "Line": [expense_line(5, "99999")],
                        },
                    },
                    {
                        "bId": "2",
                        "operation": "create",
                        "Bill": {
                            "VendorRef": {"value": vendor["Id"]},
                            "Line": [expense_line(5, accounts["Subcontractors"])],
                        },
                    },
                ]
            },
        )
    )
    first, second = body["BatchItemResponse"]
    assert first["Fault"]["Error"][0]["code"] == "2500"
    assert second["Bill"]["TotalAmt"] == 5
    assert len(qbo_sandbox.entities("Bill")) == 1


def test_batch_is_limited_to_thirty_items(api):
    items = [{"bId": str(n), "Query": "select * from Vendor"} for n in range(31)]
    assert error_of(api.post("batch", {"BatchItemRequest": items}))["element"] == "BatchItemRequest"
    assert api.post("batch", {"BatchItemRequest": items[:30]}).status_code == 200


def test_batch_bids_are_limited_to_ten_characters_with_a_requestid(api):
    items = [{"bId": "eleven-char", "Query": "select * from Vendor"}]
    assert api.post("batch", {"BatchItemRequest": items}).status_code == 200
    assert (
        error_of(api.post("batch", {"BatchItemRequest": items}, requestid="r-1"))["element"]
        == "bId"
    )


def test_cdc_returns_changes_per_entity_with_deleted_objects_last(api, accounts):
    since = recent()
    vendor = api.create("Vendor", {"DisplayName": "Acme Drywall"})
    kept = api.create(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "Line": [expense_line(1, accounts["Subcontractors"])],
        },
    )
    gone = api.create(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "Line": [expense_line(2, accounts["Subcontractors"])],
        },
    )
    api.post("bill", {"Id": gone["Id"], "SyncToken": "0"}, operation="delete")
    body = json_of(api.get("cdc", entities="Bill,Vendor,Customer", changedSince=since))
    bills, vendors, customers = body["CDCResponse"][0]["QueryResponse"]
    assert [bill.get("status") for bill in bills["Bill"]] == [None, "Deleted"]
    assert bills["Bill"][0]["Id"] == kept["Id"]
    deleted = bills["Bill"][1]
    assert set(deleted) == {"status", "domain", "Id", "MetaData"}
    assert (deleted["Id"], deleted["domain"]) == (gone["Id"], "QBO")
    assert set(deleted["MetaData"]) == {"LastUpdatedTime"}
    assert (bills["startPosition"], bills["maxResults"]) == (1, 2)
    assert [v["Id"] for v in vendors["Vendor"]] == [vendor["Id"]]
    assert customers == {}


def test_cdc_includes_inactive_name_list_records(api):
    since = recent()
    vendor = api.create("Vendor", {"DisplayName": "Acme Drywall"})
    api.post("vendor", {"Id": vendor["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    [changes] = json_of(api.get("cdc", entities="Vendor", changedSince=since))["CDCResponse"][0][
        "QueryResponse"
    ]
    assert changes["Vendor"][0]["Active"] is False


def test_cdc_with_no_changes(api):
    body = json_of(api.get("cdc", entities="Vendor", changedSince=recent()))
    assert body["CDCResponse"] == [{"QueryResponse": [{}]}]


def test_cdc_looks_back_at_most_thirty_days_and_needs_its_parameters(api):
    too_old = (datetime.now().astimezone() - timedelta(days=31)).isoformat()
    assert (
        error_of(api.get("cdc", entities="Vendor", changedSince=too_old))["element"]
        == "changedSince"
    )
    assert error_of(api.get("cdc", changedSince=recent()))["element"] == "entities"
    assert error_of(api.get("cdc", entities="Vendor"))["element"] == "changedSince"
    assert (
        error_of(api.get("cdc", entities="Spaceship", changedSince=recent()))["element"]
        == "entities"
    )


def test_cdc_returns_at_most_a_thousand_objects(api, qbo_sandbox):
    since = recent()
    qbo_sandbox.seed_vendors(1200)
    [changes] = json_of(api.get("cdc", entities="Vendor", changedSince=since))["CDCResponse"][0][
        "QueryResponse"
    ]
    assert changes["maxResults"] == len(changes["Vendor"]) == 1000
