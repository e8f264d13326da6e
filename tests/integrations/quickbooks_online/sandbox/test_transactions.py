"""Purchase orders, bills, vendor credits, expenses and bill payments."""

from __future__ import annotations

from decimal import Decimal

import pytest

from .conftest import expense_line, json_of
from .test_name_lists import error_of


@pytest.fixture
def cost_code(api, accounts) -> dict:
    return api.create(
        "Item",
        {
            "Name": "09-250 Drywall",
            "Type": "NonInventory",
            "ExpenseAccountRef": {"value": accounts["Subcontractors"]},
        },
    )


def item_line(amount, item_id: str, **detail) -> dict:
    return {
        "DetailType": "ItemBasedExpenseLineDetail",
        "Amount": amount,
        "ItemBasedExpenseLineDetail": {"ItemRef": {"value": item_id}, **detail},
    }


def purchase_order(api, vendor, cost_code, *amounts) -> dict:
    return api.create(
        "PurchaseOrder",
        {
            "VendorRef": {"value": vendor["Id"]},
            "Line": [item_line(a, cost_code["Id"]) for a in amounts],
        },
    )


def test_total_is_computed_from_lines_to_the_cent(api, vendor, cost_code):
    order = api.create(
        "PurchaseOrder",
        {
            "VendorRef": {"value": vendor["Id"]},
            "TotalAmt": 1.0,
            "Line": [item_line("0.10", cost_code["Id"]), item_line("0.20", cost_code["Id"])],
        },
    )
    assert order["TotalAmt"] == Decimal("0.3")
    assert [line["Id"] for line in order["Line"]] == ["1", "2"]
    assert [line["LineNum"] for line in order["Line"]] == [1, 2]


def test_purchase_order_numbers_are_assigned_when_absent(api, vendor, cost_code):
    first = purchase_order(api, vendor, cost_code, 10)
    second = purchase_order(api, vendor, cost_code, 10)
    named = api.create(
        "PurchaseOrder",
        {
            "VendorRef": {"value": vendor["Id"]},
            "DocNumber": "SC-7",
            "Line": [item_line(1, cost_code["Id"])],
        },
    )
    assert int(second["DocNumber"]) == int(first["DocNumber"]) + 1
    assert named["DocNumber"] == "SC-7"


def test_quantity_times_unit_price_must_equal_amount(api, vendor, cost_code):
    ok = api.create(
        "PurchaseOrder",
        {
            "VendorRef": {"value": vendor["Id"]},
            "Line": [item_line("1234.57", cost_code["Id"], Qty=3, UnitPrice="411.5233")],
        },
    )
    assert ok["TotalAmt"] == Decimal("1234.57")
    wrong = api.post(
        "purchaseorder",
        {
            "VendorRef": {"value": vendor["Id"]},
            "Line": [item_line("100.00", cost_code["Id"], Qty=3, UnitPrice=33)],
        },
    )
    assert error_of(wrong)["code"] == "6000"


def test_updating_lines_keeps_known_line_ids_and_numbers_new_ones(api, vendor, cost_code):
    order = purchase_order(api, vendor, cost_code, 100, 200)
    lines = [order["Line"][1], item_line(300, cost_code["Id"])]
    updated = json_of(
        api.post(
            "purchaseorder", {"Id": order["Id"], "SyncToken": "0", "sparse": True, "Line": lines}
        )
    )["PurchaseOrder"]
    assert [line["Id"] for line in updated["Line"]] == ["2", "3"]
    assert updated["TotalAmt"] == 500


def test_lines_reference_active_items_accounts_customers_and_classes(
    api, vendor, cost_code, accounts
):
    job = api.create("Customer", {"DisplayName": "Tower Job"})
    tracking = api.create("Class", {"Name": "West"})
    bill = api.create(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "Line": [
                item_line(
                    100,
                    cost_code["Id"],
                    CustomerRef={"value": job["Id"]},
                    ClassRef={"value": tracking["Id"]},
                ),
                expense_line(50, accounts["Equipment Rental"], CustomerRef={"value": job["Id"]}),
            ],
        },
    )
    detail = bill["Line"][0]["ItemBasedExpenseLineDetail"]
    assert detail["CustomerRef"] == {"value": job["Id"], "name": "Tower Job"}
    assert detail["ClassRef"]["value"] == tracking["Id"]
    for missing in (
        {"Line": [item_line(1, "99999")]},
        {"Line": [expense_line(1, "99999")]},
        {"Line": [item_line(1, cost_code["Id"], CustomerRef={"value": "99999"})]},
        {"Line": [item_line(1, cost_code["Id"], ClassRef={"value": "99999"})]},
    ):
        response = api.post("bill", {"VendorRef": {"value": vendor["Id"]}, **missing})
        assert error_of(response)["code"] == "610"


def test_an_inactive_vendor_cannot_get_new_documents(api, vendor, cost_code):
    api.post("vendor", {"Id": vendor["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    response = api.post(
        "bill", {"VendorRef": {"value": vendor["Id"]}, "Line": [item_line(1, cost_code["Id"])]}
    )
    error = error_of(response)
    assert (error["code"], error["element"]) == ("610", "VendorRef")


def test_item_without_expense_account_cannot_be_bought(api, vendor):
    category = api.create("Item", {"Name": "Division 09", "Type": "Category"})
    response = api.post(
        "bill", {"VendorRef": {"value": vendor["Id"]}, "Line": [item_line(1, category["Id"])]}
    )
    assert "You must select an account for this transaction." in error_of(response)["Detail"]


def test_required_fields(api, vendor, cost_code):
    assert (
        error_of(api.post("bill", {"Line": [item_line(1, cost_code["Id"])]}))["element"]
        == "VendorRef"
    )
    assert (
        error_of(api.post("bill", {"VendorRef": {"value": vendor["Id"]}, "Line": []}))["element"]
        == "Line"
    )
    no_amount = {
        "DetailType": "ItemBasedExpenseLineDetail",
        "ItemBasedExpenseLineDetail": {"ItemRef": {"value": cost_code["Id"]}},
    }
    assert (
        error_of(api.post("bill", {"VendorRef": {"value": vendor["Id"]}, "Line": [no_amount]}))[
            "code"
        ]
        == "2020"
    )


def test_amounts_must_be_numbers_in_the_supported_format(api, vendor, cost_code):
    for amount in ("ten", "12345678901.00", "1.123456", True):
        response = api.post(
            "bill",
            {"VendorRef": {"value": vendor["Id"]}, "Line": [item_line(amount, cost_code["Id"])]},
        )
        assert error_of(response)["code"] == "2010", amount


def test_bill_with_a_negative_retainage_line(api, vendor, cost_code, accounts):
    bill = api.create(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "DocNumber": "PA-3",
            "Line": [
                item_line("10000.00", cost_code["Id"]),
                expense_line("-1000.00", accounts["Retainage Payable"]),
            ],
        },
    )
    assert bill["TotalAmt"] == bill["Balance"] == Decimal("9000")
    negative = api.post(
        "bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "Line": [expense_line("-1", accounts["Retainage Payable"])],
        },
    )
    assert error_of(negative)["code"] == "6000"


def test_duplicate_bill_number_for_the_same_vendor(api, vendor, cost_code):
    first = api.create(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "DocNumber": "INV-100",
            "Line": [item_line(1, cost_code["Id"])],
        },
    )
    duplicate = api.post(
        "bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "DocNumber": "inv-100",
            "Line": [item_line(1, cost_code["Id"])],
        },
    )
    error = error_of(duplicate)
    assert error["code"] == "6140"
    assert error["Message"] == "Duplicate Document Number Error"
    assert f"TxnType=Bill with TxnId={first['Id']}" in error["Detail"]
    other_vendor = api.create("Vendor", {"DisplayName": "Other Sub"})
    same_number_elsewhere = api.post(
        "bill",
        {
            "VendorRef": {"value": other_vendor["Id"]},
            "DocNumber": "INV-100",
            "Line": [item_line(1, cost_code["Id"])],
        },
    )
    assert same_number_elsewhere.status_code == 200


def test_bill_number_is_free_again_after_the_bill_is_deleted(api, vendor, cost_code):
    bill = api.create(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "DocNumber": "INV-1",
            "Line": [item_line(1, cost_code["Id"])],
        },
    )
    api.post("bill", {"Id": bill["Id"], "SyncToken": "0"}, operation="delete")
    again = api.post(
        "bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "DocNumber": "INV-1",
            "Line": [item_line(1, cost_code["Id"])],
        },
    )
    assert again.status_code == 200


def _po_link(order: dict, line_id: str | None) -> dict:
    link = {"TxnId": order["Id"], "TxnType": "PurchaseOrder"}
    if line_id is not None:
        link["TxnLineId"] = line_id
    return link


def _billing_line(amount, cost_code, order, line_id: str | None) -> dict:
    return {**item_line(amount, cost_code["Id"]), "LinkedTxn": [_po_link(order, line_id)]}


def _order(api, order) -> dict:
    return json_of(api.get(f"purchaseorder/{order['Id']}"))["PurchaseOrder"]


def test_bill_links_to_its_purchase_order_line_by_line_both_ways(api, vendor, cost_code):
    order = purchase_order(api, vendor, cost_code, 1000)
    bill = api.create(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "Line": [_billing_line(400, cost_code, order, "1")],
        },
    )
    assert bill["Line"][0]["LinkedTxn"] == [_po_link(order, "1")]
    assert bill["LinkedTxn"] == [_po_link(order, None)]
    reread = _order(api, order)
    assert reread["LinkedTxn"] == [{"TxnId": bill["Id"], "TxnType": "Bill"}]
    assert reread["SyncToken"] == "1"
    assert reread["Line"][0]["Received"] == Decimal("400")
    assert reread["POStatus"] == "Open"
    refused = api.post("purchaseorder", {"Id": order["Id"], "SyncToken": "1"}, operation="delete")
    assert error_of(refused)["code"] == "6000"
    api.post("bill", {"Id": bill["Id"], "SyncToken": "0"}, operation="delete")
    reread = _order(api, order)
    assert "LinkedTxn" not in reread
    assert reread["Line"][0]["Received"] == Decimal("0")


def test_a_link_at_the_top_or_without_a_line_id_is_dropped_without_a_word(api, vendor, cost_code):
    order = purchase_order(api, vendor, cost_code, 1000, 500)
    at_the_top = api.create(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "LinkedTxn": [_po_link(order, None)],
            "Line": [item_line(400, cost_code["Id"])],
        },
    )
    no_line_id = api.create(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "Line": [_billing_line(100, cost_code, order, None)],
        },
    )
    line_gone = api.create(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "Line": [_billing_line(100, cost_code, order, "7")],
        },
    )
    for bill in (at_the_top, no_line_id, line_gone):
        assert "LinkedTxn" not in bill
        assert all("LinkedTxn" not in line for line in bill["Line"])
    reread = _order(api, order)
    assert "LinkedTxn" not in reread
    assert reread["SyncToken"] == "0"
    assert [line["Received"] for line in reread["Line"]] == [Decimal("0"), Decimal("0")]


def test_a_purchase_order_closes_when_every_line_is_billed_in_full_and_reopens(
    api, vendor, cost_code
):
    order = purchase_order(api, vendor, cost_code, 1000, 500)
    first = api.create(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "Line": [
                _billing_line(1000, cost_code, order, "1"),
                _billing_line(200, cost_code, order, "2"),
            ],
        },
    )
    assert _order(api, order)["POStatus"] == "Open"
    second = api.create(
        "Bill",
        {"VendorRef": {"value": vendor["Id"]}, "Line": [_billing_line(300, cost_code, order, "2")]},
    )
    reread = _order(api, order)
    assert [line["Received"] for line in reread["Line"]] == [Decimal("1000"), Decimal("500")]
    assert reread["POStatus"] == "Closed"
    assert {link["TxnId"] for link in reread["LinkedTxn"]} == {first["Id"], second["Id"]}
    api.post("bill", {"Id": second["Id"], "SyncToken": "0"}, operation="delete")
    assert _order(api, order)["POStatus"] == "Open"


def test_an_existing_bill_links_only_through_a_new_line(api, vendor, cost_code):
    order = purchase_order(api, vendor, cost_code, 1000)
    bill = api.create(
        "Bill", {"VendorRef": {"value": vendor["Id"]}, "Line": [item_line(400, cost_code["Id"])]}
    )
    same_line = {**bill, "Line": [{**bill["Line"][0], "LinkedTxn": [_po_link(order, "1")]}]}
    kept_unlinked = json_of(api.post("bill", same_line))["Bill"]
    assert "LinkedTxn" not in kept_unlinked["Line"][0]
    assert "LinkedTxn" not in _order(api, order)
    new_line = {**bill["Line"][0], "Id": "0", "LinkedTxn": [_po_link(order, "1")]}
    relinked = json_of(api.post("bill", {**kept_unlinked, "Line": [new_line]}))["Bill"]
    assert relinked["Line"][0]["Id"] != bill["Line"][0]["Id"]
    assert relinked["Line"][0]["LinkedTxn"] == [_po_link(order, "1")]
    assert _order(api, order)["LinkedTxn"] == [{"TxnId": bill["Id"], "TxnType": "Bill"}]


def test_linked_purchase_order_is_validated(api, vendor, cost_code):
    other = api.create("Vendor", {"DisplayName": "Other Sub"})
    order = purchase_order(api, other, cost_code, 10)
    missing = {**order, "Id": "99999"}
    assert (
        error_of(
            api.post(
                "bill",
                {
                    "VendorRef": {"value": vendor["Id"]},
                    "Line": [_billing_line(1, cost_code, missing, "1")],
                },
            )
        )["code"]
        == "610"
    )
    wrong_vendor = api.post(
        "bill",
        {"VendorRef": {"value": vendor["Id"]}, "Line": [_billing_line(1, cost_code, order, "1")]},
    )
    assert error_of(wrong_vendor)["code"] == "6000"


def test_delete_needs_the_current_sync_token_and_reading_it_afterwards_fails(
    api, vendor, cost_code
):
    order = purchase_order(api, vendor, cost_code, 10)
    assert (
        error_of(
            api.post("purchaseorder", {"Id": order["Id"], "SyncToken": "5"}, operation="delete")
        )["code"]
        == "5010"
    )
    assert (
        api.post(
            "purchaseorder", {"Id": order["Id"], "SyncToken": "0"}, operation="delete"
        ).status_code
        == 200
    )
    assert error_of(api.get(f"purchaseorder/{order['Id']}"))["code"] == "610"
    assert (
        error_of(
            api.post("purchaseorder", {"Id": order["Id"], "SyncToken": "1"}, operation="delete")
        )["code"]
        == "610"
    )


def test_vendor_credit_and_purchase(api, vendor, cost_code, accounts):
    credit = api.create(
        "VendorCredit",
        {"VendorRef": {"value": vendor["Id"]}, "Line": [item_line(90, cost_code["Id"])]},
    )
    assert credit["TotalAmt"] == credit["Balance"] == 90
    expense = api.create(
        "Purchase",
        {
            "PaymentType": "Check",
            "AccountRef": {"value": accounts["Checking"]},
            "EntityRef": {"type": "Vendor", "value": vendor["Id"]},
            "Line": [item_line(25, cost_code["Id"])],
        },
    )
    assert expense["TotalAmt"] == 25
    assert expense["EntityRef"] == {"value": vendor["Id"], "name": "Acme Drywall", "type": "Vendor"}
    card_from_bank = api.post(
        "purchase",
        {
            "PaymentType": "CreditCard",
            "AccountRef": {"value": accounts["Checking"]},
            "Line": [item_line(1, cost_code["Id"])],
        },
    )
    assert error_of(card_from_bank)["code"] == "6000"


def test_bill_payment_reduces_the_balance_and_blocks_deleting_the_bill(
    api, vendor, cost_code, accounts
):
    bill = api.create(
        "Bill", {"VendorRef": {"value": vendor["Id"]}, "Line": [item_line(500, cost_code["Id"])]}
    )
    payment = api.create(
        "BillPayment",
        {
            "VendorRef": {"value": vendor["Id"]},
            "PayType": "Check",
            "CheckPayment": {"BankAccountRef": {"value": accounts["Checking"]}},
            "TotalAmt": 200,
            "Line": [{"Amount": 200, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
        },
    )
    paid = json_of(api.get(f"bill/{bill['Id']}"))["Bill"]
    assert paid["Balance"] == 300
    assert {"TxnId": payment["Id"], "TxnType": "BillPaymentCheck"} in paid["LinkedTxn"]
    refused = api.post(
        "bill", {"Id": bill["Id"], "SyncToken": paid["SyncToken"]}, operation="delete"
    )
    assert error_of(refused)["code"] == "6000"
    overpay = api.post(
        "billpayment",
        {
            "VendorRef": {"value": vendor["Id"]},
            "PayType": "Check",
            "CheckPayment": {"BankAccountRef": {"value": accounts["Checking"]}},
            "TotalAmt": 301,
            "Line": [{"Amount": 301, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
        },
    )
    assert error_of(overpay)["code"] == "6000"
    api.post("billpayment", {"Id": payment["Id"], "SyncToken": "0"}, operation="delete")
    assert json_of(api.get(f"bill/{bill['Id']}"))["Bill"]["Balance"] == 500


def test_bill_total_cannot_drop_below_what_was_paid(api, vendor, cost_code, accounts):
    bill = api.create(
        "Bill", {"VendorRef": {"value": vendor["Id"]}, "Line": [item_line(500, cost_code["Id"])]}
    )
    api.create(
        "BillPayment",
        {
            "VendorRef": {"value": vendor["Id"]},
            "PayType": "Check",
            "CheckPayment": {"BankAccountRef": {"value": accounts["Checking"]}},
            "TotalAmt": 400,
            "Line": [{"Amount": 400, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
        },
    )
    current = json_of(api.get(f"bill/{bill['Id']}"))["Bill"]
    shrunk = api.post(
        "bill",
        {
            "Id": bill["Id"],
            "SyncToken": current["SyncToken"],
            "sparse": True,
            "Line": [item_line(300, cost_code["Id"])],
        },
    )
    assert error_of(shrunk)["code"] == "6000"
    grown = api.post(
        "bill",
        {
            "Id": bill["Id"],
            "SyncToken": current["SyncToken"],
            "sparse": True,
            "Line": [item_line(600, cost_code["Id"])],
        },
    )
    assert json_of(grown)["Bill"]["Balance"] == 200


def test_a_post_with_an_id_is_an_update(api, vendor, cost_code):
    order = purchase_order(api, vendor, cost_code, 10)
    body = json_of(api.post("purchaseorder", {**order, "Memo": "revised"}))["PurchaseOrder"]
    assert (body["Id"], body["SyncToken"], body["Memo"]) == (order["Id"], "1", "revised")
