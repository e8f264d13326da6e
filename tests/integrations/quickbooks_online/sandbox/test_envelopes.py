"""Response shapes held against the responses recorded from the real API (recorded.py)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime

import requests

from . import recorded
from .conftest import expense_line, json_of
from .shapes import assert_same_shape

ENVELOPE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")
METADATA_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
SYSTEM_FIELDS = ("Id", "SyncToken", "MetaData", "domain", "sparse")


def request_from(response_object: dict, *read_only: str) -> dict:
    return {
        key: value
        for key, value in response_object.items()
        if key not in (*SYSTEM_FIELDS, *read_only)
    }


def assert_envelope_time(body: dict) -> None:
    assert ENVELOPE_TIME.match(body["time"]), body["time"]
    datetime.fromisoformat(body["time"])


def test_vendor_create_matches_the_official_sample(api):
    response = api.post("vendor", recorded.VENDOR_CREATE_REQUEST)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["intuit_tid"]
    body = json_of(response)
    assert_same_shape(body, recorded.VENDOR_CREATE)
    vendor = body["Vendor"]
    assert (vendor["SyncToken"], vendor["domain"], vendor["sparse"]) == ("0", "QBO", False)
    assert vendor["Id"].isdigit()
    assert vendor["TaxIdentifier"] == "99-5688293"  # echoed unmasked on create
    assert METADATA_TIME.match(vendor["MetaData"]["CreateTime"])
    assert_envelope_time(body)


def test_vendor_read_is_wrapped_and_masks_the_tax_id(api):
    created = api.create("Vendor", recorded.VENDOR_CREATE_REQUEST)
    body = json_of(api.get(f"vendor/{created['Id']}"))
    assert_same_shape(body, recorded.VENDOR_CREATE, ignore=("TaxIdentifier",))
    assert body["Vendor"]["TaxIdentifier"] == "XXXXXXX8293"


def test_customer_create_matches_the_official_sample(api):
    request = request_from(
        recorded.CUSTOMER_CREATE["Customer"],
        "FullyQualifiedName",
        "Balance",
        "BalanceWithJobs",
    )
    body = json_of(api.post("customer", request))
    assert_same_shape(body, recorded.CUSTOMER_CREATE)
    customer = body["Customer"]
    assert customer["FullyQualifiedName"] == "King's Groceries"
    assert (customer["Job"], customer["BillWithParent"], customer["Level"]) == (False, False, 0)


def test_class_create_matches_the_official_sample(api):
    body = json_of(api.post("class", {"Name": "France"}))
    assert_same_shape(body, recorded.CLASS_CREATE)
    assert body["Class"]["FullyQualifiedName"] == "France"


def test_purchase_order_create_matches_the_official_sample(api, accounts, vendor):
    item = api.create(
        "Item",
        {
            "Name": "Pump",
            "Type": "NonInventory",
            "ExpenseAccountRef": {"value": accounts["Job Materials"]},
        },
    )
    customer = api.create("Customer", {"DisplayName": "Cool Cars"})
    request = {
        "TotalAmt": 25.0,
        "Line": [
            {
                "DetailType": "ItemBasedExpenseLineDetail",
                "Amount": 25.0,
                "ProjectRef": {"value": "39298034"},
                "Id": "1",
                "ItemBasedExpenseLineDetail": {
                    "ItemRef": {"name": "Pump", "value": item["Id"]},
                    "CustomerRef": {"name": "Cool Cars", "value": customer["Id"]},
                    "Qty": 1,
                    "TaxCodeRef": {"value": "NON"},
                    "BillableStatus": "NotBillable",
                    "UnitPrice": 25,
                },
            }
        ],
        "APAccountRef": {"value": accounts["Accounts Payable (A/P)"]},
        "VendorRef": {"value": vendor["Id"]},
    }
    body = json_of(api.post("purchaseorder", request))
    assert_same_shape(body, recorded.PURCHASE_ORDER_CREATE, ignore=("CustomField",))
    order = body["PurchaseOrder"]
    assert order["TotalAmt"] == 25
    assert order["Line"][0]["Id"] == "1"
    assert order["VendorRef"] == {"value": vendor["Id"], "name": "Acme Drywall"}
    assert order["APAccountRef"]["name"] == "Accounts Payable (A/P)"
    assert order["EmailStatus"] == "NotSet"
    assert order["POStatus"] == "Open"


def test_bill_create_matches_the_official_minimal_sample(api, accounts, vendor):
    request = {
        "Line": [{**expense_line(200.0, accounts["Equipment Rental"]), "Id": "1"}],
        "VendorRef": {"value": vendor["Id"]},
    }
    body = json_of(api.post("bill", request))
    assert_same_shape(body, recorded.BILL_CREATE)
    bill = body["Bill"]
    assert bill["TotalAmt"] == bill["Balance"] == 200
    assert bill["DueDate"] == bill["TxnDate"]
    assert bill["Line"][0]["AccountBasedExpenseLineDetail"]["BillableStatus"] == "NotBillable"


def test_amounts_are_json_numbers_as_the_real_api_writes_them(api, accounts, vendor):
    response = api.post(
        "bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "Line": [expense_line(200, accounts["Subcontractors"])],
        },
    )
    assert '"TotalAmt":200.0' in response.text
    assert '"Balance":200.0' in response.text


def test_delete_envelope_matches(api, accounts, vendor):
    order = api.create(
        "PurchaseOrder",
        {
            "VendorRef": {"value": vendor["Id"]},
            "Line": [expense_line(10, accounts["Subcontractors"])],
        },
    )
    response = api.post("purchaseorder", {"Id": order["Id"], "SyncToken": "0"}, operation="delete")
    body = json_of(response)
    assert_same_shape(body, recorded.DELETE_PURCHASE_ORDER)
    assert body["PurchaseOrder"] == {"status": "Deleted", "domain": "QBO", "Id": order["Id"]}


def test_query_envelope_matches(api):
    api.create("Vendor", {"DisplayName": "One"})
    api.create("Vendor", {"DisplayName": "Two"})
    body = json_of(api.query("select * from Vendor"))
    assert_same_shape(body, recorded.QUERY_VENDORS)
    assert body["QueryResponse"]["startPosition"] == 1
    assert body["QueryResponse"]["maxResults"] == 2
    assert_envelope_time(body)


def test_empty_query_result_has_no_entity_key(api):
    body = json_of(api.query("select * from Vendor where DisplayName = 'Nobody'"))
    assert body["QueryResponse"] == {}
    assert_envelope_time(body)


def test_duplicate_name_fault_is_the_recorded_body(api, vendor):
    response = api.post("customer", {"DisplayName": "Acme Drywall"})
    assert response.status_code == 400
    body = json_of(response)
    assert body["Fault"] == recorded.DUPLICATE_NAME["Fault"]
    assert_envelope_time(body)


def test_object_not_found_fault(api):
    response = api.get("bill/999999")
    assert response.status_code == 400
    [error] = json_of(response)["Fault"]["Error"]
    assert {
        key: error[key] for key in recorded.OBJECT_NOT_FOUND_ERROR
    } == recorded.OBJECT_NOT_FOUND_ERROR
    assert json_of(response)["Fault"]["type"] == "ValidationFault"


def test_stale_object_fault_is_the_recorded_body(api, vendor):
    api.post("vendor", {"Id": vendor["Id"], "SyncToken": "0", "sparse": True, "AcctNum": "1"})
    response = api.post(
        "vendor", {"Id": vendor["Id"], "SyncToken": "0", "sparse": True, "AcctNum": "2"}
    )
    assert response.status_code == 400
    assert json_of(response)["Fault"] == recorded.STALE_OBJECT["Fault"]


def test_required_param_fault(api, vendor):
    response = api.post("bill", {"VendorRef": {"value": vendor["Id"]}})
    assert response.status_code == 400
    [error] = json_of(response)["Fault"]["Error"]
    assert {
        key: error[key] for key in recorded.REQUIRED_PARAM_ERROR
    } == recorded.REQUIRED_PARAM_ERROR


def test_missing_bearer_token_gets_the_gateway_401_body(qbo_sandbox):
    response = requests.get(
        f"{qbo_sandbox.base_url}/v3/company/{qbo_sandbox.realm_id}/vendor/1", timeout=5
    )
    assert response.status_code == 401
    body = json_of(response)
    assert_same_shape(body, recorded.AUTHENTICATION_FAILED)
    assert body["fault"] == recorded.AUTHENTICATION_FAILED["fault"]


def test_throttle_fault_is_the_recorded_xml_by_default(qbo_sandbox, api):
    qbo_sandbox.inject_fault("throttle")
    response = api.get("vendor/1")
    assert response.status_code == 429
    assert response.headers["Content-Type"].startswith("application/xml")
    ours, theirs = ET.fromstring(response.content), ET.fromstring(recorded.THROTTLED_XML)
    namespace = "{http://schema.intuit.com/finance/v3}"
    for root in (ours, theirs):
        assert root.tag == f"{namespace}IntuitResponse"
    assert ours.find(f"{namespace}Fault").attrib == theirs.find(f"{namespace}Fault").attrib
    ours_error = ours.find(f"{namespace}Fault/{namespace}Error")
    theirs_error = theirs.find(f"{namespace}Fault/{namespace}Error")
    assert ours_error.attrib == theirs_error.attrib == {"code": "3001"}
    for child in ("Message", "Detail"):
        assert ours_error.find(namespace + child).text == theirs_error.find(namespace + child).text


def test_throttle_fault_can_be_json(qbo_sandbox, api):
    qbo_sandbox.set_limits(throttle_body="json")
    qbo_sandbox.inject_fault("throttle")
    response = api.get("vendor/1")
    assert response.status_code == 429
    fault = json_of(response)["Fault"]
    assert fault["type"] == "SERVICE"
    assert fault["Error"][0]["code"] == "3001"
    assert (
        fault["Error"][0]["Message"] == "message=ThrottleExceeded; errorCode=003001; statusCode=429"
    )


def test_cdc_envelope_matches(api, accounts, vendor):
    since = "2020-01-01"  # replaced below by a recent moment
    order = api.create(
        "PurchaseOrder",
        {
            "VendorRef": {"value": vendor["Id"]},
            "Line": [expense_line(10, accounts["Subcontractors"])],
        },
    )
    api.post("purchaseorder", {"Id": order["Id"], "SyncToken": "0"}, operation="delete")
    since = datetime.now().astimezone().replace(microsecond=0).isoformat()
    since = since[:11] + "00:00:00" + since[19:]
    body = json_of(api.get("cdc", entities="Vendor,PurchaseOrder", changedSince=since))
    recorded_vendor_block, recorded_deleted_block = recorded.CDC["CDCResponse"][0]["QueryResponse"]
    vendor_block, order_block = body["CDCResponse"][0]["QueryResponse"]
    assert_same_shape(vendor_block, recorded_vendor_block, ignore=("Customer",))
    assert vendor_block["Vendor"][0]["Id"] == vendor["Id"]
    assert order_block["PurchaseOrder"][-1].keys() == recorded_deleted_block["Estimate"][1].keys()
    assert_envelope_time(body)


def test_batch_envelope_matches(api, vendor):
    body = json_of(
        api.post(
            "batch",
            {
                "BatchItemRequest": [
                    {
                        "bId": "bid1",
                        "operation": "create",
                        "Vendor": {"DisplayName": "Acme Drywall"},
                    },
                    {"bId": "bid4", "Query": "select * from Vendor"},
                    {
                        "bId": "bid9",
                        "operation": "create",
                        "Vendor": {"DisplayName": "Smith Family Store"},
                    },
                ]
            },
        )
    )
    assert_same_shape(body, recorded.BATCH, ignore=("SalesReceipt", "Detail"))
    first, query, created = body["BatchItemResponse"]
    assert first["Fault"]["Error"][0]["code"] == "6240"
    assert "time" not in first["Fault"]
    assert query["QueryResponse"]["Vendor"][0]["DisplayName"] == "Acme Drywall"
    assert created["Vendor"]["DisplayName"] == "Smith Family Store"


def test_company_info_is_read_by_realm_id(api, qbo_sandbox):
    body = json_of(api.get(f"companyinfo/{qbo_sandbox.realm_id}"))
    assert body["CompanyInfo"]["CompanyName"] == "Sandbox Construction Co"
    assert body["CompanyInfo"]["domain"] == "QBO"
    assert_envelope_time(body)
    assert api.get("companyinfo/1234").status_code == 400


def test_unsupported_paths_are_unsupported_operations(api):
    response = api.get("spaceship/1")
    assert response.status_code == 400
    assert json_of(response)["Fault"]["Error"][0]["Message"] == "Unsupported Operation"
