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


INACTIVE_REASON = (
    "Invalid Reference Id : Something you're trying to use has been made inactive. Check the "
    "fields with accounts, customers, items, vendors or employees."
)


def deleted_reason(label: str, name: str) -> str:
    return (
        f"Invalid Reference Id : {label} assigned to this transaction has been deleted. Before "
        f"you can modify this transaction, you must restore {name} (deleted)"
    )


@pytest.fixture
def books(api, vendor, cost_code, accounts) -> dict:
    """One of each name-list record a transaction can refer to, by the fixture's own name."""
    return {
        "vendor": vendor,
        "item": cost_code,
        "job": api.create("Customer", {"DisplayName": "Tower Job"}),
        "class": api.create("Class", {"Name": "West"}),
        "expense account": api.create(
            "Account", {"Name": "Site Supplies", "AccountType": "Expense"}
        ),
        "payables": api.create(
            "Account", {"Name": "Subcontractor Payables", "AccountType": "Accounts Payable"}
        ),
        "bank": api.create("Account", {"Name": "Operating", "AccountType": "Bank"}),
    }


def every_reference(books: dict) -> dict:
    """A transaction of each kind whose references cover every name list."""
    ref = {name: {"value": row["Id"]} for name, row in books.items()}
    lines = [
        item_line(10, books["item"]["Id"], CustomerRef=ref["job"]),
        expense_line(5, books["expense account"]["Id"], ClassRef=ref["class"]),
    ]
    return {
        "PurchaseOrder": {
            "VendorRef": ref["vendor"],
            "APAccountRef": ref["payables"],
            "Line": lines,
        },
        "Bill": {"VendorRef": ref["vendor"], "APAccountRef": ref["payables"], "Line": lines},
        "VendorCredit": {"VendorRef": ref["vendor"], "Line": lines},
        "Purchase": {
            "PaymentType": "Check",
            "AccountRef": ref["bank"],
            "EntityRef": {**ref["vendor"], "type": "Vendor"},
            "Line": lines,
        },
        "BillPayment": {
            "VendorRef": ref["vendor"],
            "PayType": "Check",
            "CheckPayment": {"BankAccountRef": ref["bank"]},
            "TotalAmt": 15,
        },
    }


REFERENCE_CASES = [
    ("PurchaseOrder", "vendor", "VendorRef", "Names"),
    ("Bill", "item", "Line.ItemBasedExpenseLineDetail.ItemRef", "Items"),
    ("VendorCredit", "job", "Line.ItemBasedExpenseLineDetail.CustomerRef", "Names"),
    ("Bill", "expense account", "Line.AccountBasedExpenseLineDetail.AccountRef", "Accounts"),
    ("PurchaseOrder", "class", "Line.AccountBasedExpenseLineDetail.ClassRef", "Klasses"),
    ("Bill", "payables", "APAccountRef", "Accounts"),
    ("Purchase", "bank", "AccountRef", "Accounts"),
    ("Purchase", "vendor", "EntityRef", "Names"),
    ("BillPayment", "bank", "CheckPayment.BankAccountRef", "Accounts"),
]
DELETED_LABELS = {"vendor": "Vendor", "item": "Product/Service", "job": "Customer"}


def make_inactive(api, entity: str, row: dict) -> None:
    stored = json_of(api.get(f"{entity.lower()}/{row['Id']}"))[entity]
    changed = api.post(
        entity.lower(),
        {"Id": row["Id"], "SyncToken": stored["SyncToken"], "sparse": True, "Active": False},
    )
    assert changed.status_code == 200, changed.text


def swap_reference(payload, old_id: str, new_id: str):
    """The payload with every reference to `old_id` pointing at `new_id` instead."""
    if isinstance(payload, dict):
        return {
            key: new_id
            if key == "value" and value == old_id
            else swap_reference(value, old_id, new_id)
            for key, value in payload.items()
        }
    if isinstance(payload, list):
        return [swap_reference(value, old_id, new_id) for value in payload]
    return payload


def entity_of(row: dict) -> str:
    if "AccountType" in row:
        return "Account"
    if "Type" in row:
        return "Item"
    if "DisplayName" not in row:
        return "Class"
    return "Vendor" if row["DisplayName"] == "Acme Drywall" else "Customer"


@pytest.mark.parametrize(("entity", "name", "element", "_list"), REFERENCE_CASES)
def test_a_transaction_refering_to_an_inactive_record_is_an_invalid_reference(
    api, books, entity, name, element, _list
):
    payload = every_reference(books)[entity]
    assert api.post(entity.lower(), payload).status_code == 200
    make_inactive(api, entity_of(books[name]), books[name])

    error = error_of(api.post(entity.lower(), payload))

    assert (error["code"], error["Message"], error["element"]) == (
        "2500",
        "Invalid Reference Id",
        element,
    )
    record = books[name]
    expected = (
        deleted_reason(DELETED_LABELS[name], record.get("DisplayName") or record["Name"])
        if name in DELETED_LABELS
        else INACTIVE_REASON
    )
    assert error["Detail"] == expected


@pytest.mark.parametrize(("entity", "name", "element", "listed_as"), REFERENCE_CASES)
def test_a_transaction_refering_to_an_id_quickbooks_never_had_is_an_invalid_reference(
    api, books, entity, name, element, listed_as
):
    payload = swap_reference(every_reference(books)[entity], books[name]["Id"], "99999")

    error = error_of(api.post(entity.lower(), payload))

    assert (error["code"], error["element"]) == ("2500", element)
    assert error["Detail"] == f"Invalid Reference Id : {listed_as} element id 99999 not found"


def test_a_category_on_a_transaction_line_is_an_invalid_reference(api, vendor):
    category = api.create("Item", {"Name": "Division 09", "Type": "Category"})
    response = api.post(
        "bill", {"VendorRef": {"value": vendor["Id"]}, "Line": [item_line(1, category["Id"])]}
    )
    error = error_of(response)
    assert (error["code"], error["element"], error["Detail"]) == (
        "2500",
        "Line.ItemBasedExpenseLineDetail.ItemRef",
        "Invalid Reference Id : Categories cannot be used in transactions.",
    )


def test_reading_or_deleting_a_transaction_quickbooks_does_not_have_is_still_610(api):
    assert error_of(api.get("bill/99999"))["code"] == "610"
    missing = api.post("bill", {"Id": "99999", "SyncToken": "0"}, operation="delete")
    assert error_of(missing)["code"] == "610"


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


def _bill(api, vendor, cost_code, amount) -> dict:
    return api.create(
        "Bill", {"VendorRef": {"value": vendor["Id"]}, "Line": [item_line(amount, cost_code["Id"])]}
    )


def _credit(api, vendor, cost_code, amount) -> dict:
    return api.create(
        "VendorCredit",
        {"VendorRef": {"value": vendor["Id"]}, "Line": [item_line(amount, cost_code["Id"])]},
    )


def _payment_body(vendor, accounts, total, *links) -> dict:
    """`links`: (TxnType, document, amount) applied by the payment."""
    return {
        "VendorRef": {"value": vendor["Id"]},
        "PayType": "Check",
        "CheckPayment": {"BankAccountRef": {"value": accounts["Checking"]}},
        "TotalAmt": total,
        "PrivateNote": "Check 1042",
        "Line": [
            {"Amount": amount, "LinkedTxn": [{"TxnId": document["Id"], "TxnType": txn_type}]}
            for txn_type, document, amount in links
        ],
    }


def _read(api, entity: str, id_: str) -> dict:
    return json_of(api.get(f"{entity.lower()}/{id_}"))[entity]


def _void(api, entity: str, document: dict):
    return api.post(
        entity.lower(),
        {"Id": document["Id"], "SyncToken": document["SyncToken"], "sparse": True},
        operation="update",
        include="void",
    )


def test_voiding_a_bill_payment_zeroes_it_and_gives_the_bills_their_balance_back(
    api, vendor, cost_code, accounts
):
    bill = _bill(api, vendor, cost_code, Decimal("500.00"))
    payment = api.create(
        "BillPayment",
        _payment_body(vendor, accounts, Decimal("200.10"), ("Bill", bill, Decimal("200.10"))),
    )
    assert _read(api, "Bill", bill["Id"])["Balance"] == Decimal("299.90")

    voided = json_of(_void(api, "BillPayment", payment))["BillPayment"]

    assert (voided["Id"], voided["SyncToken"], voided["TotalAmt"]) == (payment["Id"], "1", 0)
    assert voided["PrivateNote"] == "Voided - Check 1042"
    assert not voided.get("Line")
    assert _read(api, "BillPayment", payment["Id"]) == voided
    restored = _read(api, "Bill", bill["Id"])
    assert restored["Balance"] == Decimal("500.00")
    assert "LinkedTxn" not in restored
    stale = _void(api, "BillPayment", payment)
    assert error_of(stale)["code"] == "5010"


def test_a_void_is_a_change_not_a_deletion_and_needs_the_documented_request(
    api, vendor, cost_code, accounts
):
    bill = _bill(api, vendor, cost_code, 80)
    payment = api.create("BillPayment", _payment_body(vendor, accounts, 80, ("Bill", bill, 80)))
    since = _read(api, "BillPayment", payment["Id"])["MetaData"]["LastUpdatedTime"]
    wrong = api.post("billpayment", {"Id": payment["Id"], "SyncToken": "0"}, operation="void")
    assert error_of(wrong)["code"] == "500"
    not_voidable = _void(api, "Bill", _read(api, "Bill", bill["Id"]))
    assert error_of(not_voidable)["code"] == "500"

    _void(api, "BillPayment", payment)

    changes = json_of(api.get("cdc", entities="BillPayment", changedSince=since))
    (response,) = changes["CDCResponse"][0]["QueryResponse"]
    (changed,) = response["BillPayment"]
    assert changed.get("status") != "Deleted"
    assert (changed["Id"], changed["TotalAmt"]) == (payment["Id"], 0)


def test_a_payment_can_apply_vendor_credits_to_the_bills_it_pays(api, vendor, cost_code, accounts):
    first = _bill(api, vendor, cost_code, Decimal("500.00"))
    second = _bill(api, vendor, cost_code, Decimal("120.00"))
    credit = _credit(api, vendor, cost_code, Decimal("150.25"))
    payment = api.create(
        "BillPayment",
        _payment_body(
            vendor,
            accounts,
            Decimal("469.75"),
            ("Bill", first, Decimal("500.00")),
            ("Bill", second, Decimal("100.00")),
            ("VendorCredit", credit, Decimal("130.25")),
        ),
    )
    assert payment["TotalAmt"] == Decimal("469.75")
    assert _read(api, "Bill", first["Id"])["Balance"] == 0
    assert _read(api, "Bill", second["Id"])["Balance"] == Decimal("20.00")
    applied = _read(api, "VendorCredit", credit["Id"])
    assert applied["Balance"] == Decimal("20.00")
    assert {"TxnId": payment["Id"], "TxnType": "BillPaymentCheck"} in applied["LinkedTxn"]
    assert (
        error_of(
            api.post(
                "vendorcredit",
                {"Id": credit["Id"], "SyncToken": applied["SyncToken"]},
                operation="delete",
            )
        )["code"]
        == "6000"
    )

    _void(api, "BillPayment", _read(api, "BillPayment", payment["Id"]))

    assert _read(api, "Bill", first["Id"])["Balance"] == Decimal("500.00")
    assert _read(api, "Bill", second["Id"])["Balance"] == Decimal("120.00")
    restored = _read(api, "VendorCredit", credit["Id"])
    assert restored["Balance"] == Decimal("150.25")
    assert "LinkedTxn" not in restored


def test_deleting_a_payment_gives_back_bills_and_credits(api, vendor, cost_code, accounts):
    bill = _bill(api, vendor, cost_code, 300)
    credit = _credit(api, vendor, cost_code, 50)
    payment = api.create(
        "BillPayment",
        _payment_body(vendor, accounts, 250, ("Bill", bill, 300), ("VendorCredit", credit, 50)),
    )
    api.post("billpayment", {"Id": payment["Id"], "SyncToken": "0"}, operation="delete")
    assert _read(api, "Bill", bill["Id"])["Balance"] == 300
    assert _read(api, "VendorCredit", credit["Id"])["Balance"] == 50


def test_vendor_credits_are_checked_like_quickbooks_does(api, vendor, cost_code, accounts):
    bill = _bill(api, vendor, cost_code, 300)
    credit = _credit(api, vendor, cost_code, 50)
    other_vendor = api.create("Vendor", {"DisplayName": "Other Supplier"})
    foreign_credit = _credit(api, other_vendor, cost_code, 40)
    attempts = {
        "another vendor's credit": _payment_body(
            vendor, accounts, 260, ("Bill", bill, 300), ("VendorCredit", foreign_credit, 40)
        ),
        "more than the credit's balance": _payment_body(
            vendor, accounts, 240, ("Bill", bill, 300), ("VendorCredit", credit, 60)
        ),
        "credits larger than the bills": _payment_body(
            vendor, accounts, 0, ("Bill", bill, 30), ("VendorCredit", credit, 50)
        ),
        "a total below bills less credits": _payment_body(
            vendor, accounts, 200, ("Bill", bill, 300), ("VendorCredit", credit, 50)
        ),
    }
    for attempt, body in attempts.items():
        assert error_of(api.post("billpayment", body))["code"] == "6000", attempt
    missing = _payment_body(vendor, accounts, 0, ("VendorCredit", {"Id": "99999"}, 1))
    assert error_of(api.post("billpayment", missing))["code"] == "610"
    assert _read(api, "VendorCredit", credit["Id"])["Balance"] == 50
    assert _read(api, "Bill", bill["Id"])["Balance"] == 300


def test_vendor_balance_is_open_bills_less_unapplied_credits(api, vendor, cost_code, accounts):
    def balance() -> Decimal:
        return _read(api, "Vendor", vendor["Id"])["Balance"]

    assert balance() == 0
    bill = _bill(api, vendor, cost_code, Decimal("700.40"))
    assert balance() == Decimal("700.40")
    credit = _credit(api, vendor, cost_code, Decimal("100.15"))
    assert balance() == Decimal("600.25")
    payment = api.create(
        "BillPayment",
        _payment_body(
            vendor,
            accounts,
            Decimal("400.00"),
            ("Bill", bill, Decimal("500.15")),
            ("VendorCredit", credit, Decimal("100.15")),
        ),
    )
    assert balance() == Decimal("200.25")
    _void(api, "BillPayment", payment)
    assert balance() == Decimal("600.25")
    current = _read(api, "VendorCredit", credit["Id"])
    api.post(
        "vendorcredit", {"Id": current["Id"], "SyncToken": current["SyncToken"]}, operation="delete"
    )
    assert balance() == Decimal("700.40")
    ignored = api.post(
        "vendor",
        {**_read(api, "Vendor", vendor["Id"]), "Balance": 1},
    )
    assert json_of(ignored)["Vendor"]["Balance"] == Decimal("700.40")
