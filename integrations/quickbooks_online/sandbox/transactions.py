"""Transactions: PurchaseOrder, Bill, VendorCredit, Purchase, BillPayment.

Totals are computed from the lines in Decimal; what a client sends as TotalAmt is ignored,
as QuickBooks does (except BillPayment, whose TotalAmt is the payment itself).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from . import faults, tax, wire
from .fields import (
    boolean,
    check_lengths,
    choice,
    date_field,
    money,
    ref_of,
    require,
    required_ref,
    text,
    used_by_transaction,
)
from .records import Prepared, Unit
from .storage import Row

ITEM_DETAIL = "ItemBasedExpenseLineDetail"
ACCOUNT_DETAIL = "AccountBasedExpenseLineDetail"
BILLABLE_STATUSES = ("Billable", "NotBillable", "HasBeenBilled")
CENT = Decimal("0.01")
QUANTITY_PLACES = Decimal("0.00001")
PAYMENT_LINK_TYPES = ("BillPaymentCheck", "BillPaymentCreditCard")
PAYMENT_TARGETS = ("Bill", "VendorCredit")
VOIDED = "Voided"
TXN_LIMITS = {"DocNumber": 21, "PrivateNote": 4000, "Memo": 4000}


def _line_ids(existing: Row | None) -> tuple[set[str], int]:
    ids = {str(line.get("Id")) for line in (existing.data.get("Line", []) if existing else [])}
    numeric = [int(value) for value in ids if value.isdigit()]
    return ids, max(numeric, default=0)


def _assign_line_ids(lines: list[dict], existing: Row | None) -> list[dict]:
    """Known Ids update that line; anything else becomes a new line with the next Id."""
    known, highest = _line_ids(existing)
    used: set[str] = set()
    result = []
    for number, line in enumerate(lines, start=1):
        line_id = str(line.get("Id", "")).strip()
        if line_id not in known or line_id in used:
            highest += 1
            line_id = str(highest)
        used.add(line_id)
        result.append({**line, "Id": line_id, "LineNum": number})
    return result


def _check_quantity(detail: dict, amount: Decimal) -> None:
    quantity = detail.get("Qty")
    unit_price = detail.get("UnitPrice")
    if quantity is None or unit_price is None:
        return
    product = money(quantity, "Qty") * money(unit_price, "UnitPrice")
    if product.quantize(CENT, ROUND_HALF_UP) != amount.quantize(CENT, ROUND_HALF_UP):
        raise faults.business_rule(
            f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount}"
        )


def _expense_line(unit: Unit, line: dict) -> dict:
    if not isinstance(line, dict):
        raise faults.invalid_value("Line", "Each Line must be an object")
    detail_type = line.get("DetailType")
    if detail_type is None:
        raise faults.required_param("Line.DetailType")
    if detail_type not in (ITEM_DETAIL, ACCOUNT_DETAIL):
        raise faults.invalid_value(
            "Line.DetailType", f"Invalid Enumeration : {detail_type} is not a supported DetailType"
        )
    detail = line.get(detail_type)
    if not isinstance(detail, dict):
        raise faults.required_param(f"Line.{detail_type}")
    if line.get("Amount") is None:
        raise faults.required_param("Line.Amount")
    amount = money(line["Amount"], "Line.Amount")
    check_lengths(line, {"Description": 4000})
    detail = dict(detail)
    path = f"Line.{detail_type}"
    if detail_type == ACCOUNT_DETAIL:
        account = required_ref(unit, detail, "AccountRef", "Account", f"{path}.AccountRef")
        detail["AccountRef"] = ref_of(account)
    else:
        item = required_ref(unit, detail, "ItemRef", "Item", f"{path}.ItemRef")
        if item.data.get("Type") == "Category":
            raise faults.invalid_reference(
                f"{path}.ItemRef", "Categories cannot be used in transactions."
            )
        _check_quantity(detail, amount)
        detail["ItemRef"] = {"value": str(item.id), "name": item.data["Name"]}
    customer = used_by_transaction(
        unit, detail.get("CustomerRef"), f"{path}.CustomerRef", "Customer"
    )
    if customer is not None:
        detail["CustomerRef"] = ref_of(customer)
    tracking_class = used_by_transaction(unit, detail.get("ClassRef"), f"{path}.ClassRef", "Class")
    if tracking_class is not None:
        detail["ClassRef"] = ref_of(tracking_class)
    detail["BillableStatus"] = choice(detail, "BillableStatus", BILLABLE_STATUSES, "NotBillable")
    return {**line, "Amount": amount, detail_type: detail}


def _expense_lines(unit: Unit, data: dict, existing: Row | None) -> tuple[list[dict], Decimal]:
    lines = data.get("Line")
    if not lines:
        raise faults.required_param("Line")
    if not isinstance(lines, list):
        raise faults.invalid_value("Line", "Line must be a list")
    if len(lines) > 10000:
        raise faults.business_rule("A transaction can have at most 10,000 lines.")
    checked = [_expense_line(unit, line) for line in lines]
    total = sum((line["Amount"] for line in checked), Decimal(0))
    if total < 0:
        raise faults.business_rule("The transaction total cannot be negative.")
    return _assign_line_ids(checked, existing), total


def _vendor(unit: Unit, data: dict) -> Row:
    return required_ref(unit, data, "VendorRef", "Vendor")


def _ap_account(unit: Unit, data: dict) -> dict:
    if data.get("APAccountRef") is None:
        for account in unit.all_live("Account"):
            if account.active and account.data["AccountType"] == "Accounts Payable":
                return ref_of(account)
        raise faults.required_param("APAccountRef")
    account = used_by_transaction(unit, data["APAccountRef"], "APAccountRef", "Account")
    if account.data["AccountType"] != "Accounts Payable":
        raise faults.business_rule("APAccountRef must be an Accounts Payable account.")
    return ref_of(account)


def _common(unit: Unit, data: dict, vendor: Row | None = None) -> tuple[dict, tax.Locale]:
    """The fields every transaction has, and the company whose rules apply to it."""
    check_lengths(data, TXN_LIMITS)
    company, currency = tax.transaction_currency(unit, data)
    vendor_currency = (vendor.data.get("CurrencyRef") or {}).get("value") if vendor else None
    tax.check_currency(company, currency["value"], party_currency=vendor_currency)
    stored = {
        **data,
        "TxnDate": date_field(data, "TxnDate", wire.company_today()),
        "CurrencyRef": currency,
    }
    return stored, company


def _computed_links(existing: Row | None, types: tuple[str, ...]) -> list[dict]:
    if existing is None:
        return []
    return [link for link in existing.data.get("LinkedTxn", []) if link.get("TxnType") in types]


def prepare_purchase_order(unit: Unit, data: dict, existing: Row | None) -> Prepared:
    vendor = _vendor(unit, data)
    lines, total = _expense_lines(unit, data, existing)
    stored, company = _common(unit, data, vendor)
    doc_number = text(data, "DocNumber")
    if not doc_number:
        doc_number = existing.data.get("DocNumber") if existing else None
        doc_number = doc_number or unit.next_po_number()
    ship_to = used_by_transaction(unit, data.get("ShipTo"), "ShipTo", "Customer")
    stored.update(
        {
            "VendorRef": ref_of(vendor),
            "APAccountRef": _ap_account(unit, data),
            "Line": lines,
            "DocNumber": doc_number,
            "POStatus": choice(data, "POStatus", ("Open", "Closed"), "Open"),
            "EmailStatus": data.get("EmailStatus") or "NotSet",
            "LinkedTxn": _computed_links(existing, ("Bill",)),
        }
    )
    stored["TotalAmt"] = total + tax.purchase_tax(unit, stored, company)
    if ship_to is not None:
        stored["ShipTo"] = ref_of(ship_to)
    if not stored["LinkedTxn"]:
        del stored["LinkedTxn"]
    billed = {}
    if existing is not None:
        billed = _billed_per_order_line(unit, existing.id, _linked_ids(existing, "Bill"))
    return Prepared(_with_receipts(stored, billed, reopen=False))


def _purchase_order_line_links(unit: Unit, lines: list[dict], vendor: Row) -> list[dict]:
    """Keep, on each bill line, only the links QuickBooks honours: a PurchaseOrder of the same
    vendor and one of its line Ids. A link without `TxnLineId`, or to a line the order does not
    have, is dropped without a word, as QuickBooks does."""
    kept_lines = []
    for line in lines:
        kept = []
        for link in line.get("LinkedTxn") or []:
            if not isinstance(link, dict):
                raise faults.invalid_value("LinkedTxn", "Each LinkedTxn must be an object")
            if link.get("TxnType") != "PurchaseOrder":
                raise faults.invalid_value(
                    "LinkedTxn.TxnType",
                    f"Unsupported linked transaction type {link.get('TxnType')}",
                )
            txn_id = str(link.get("TxnId", "")).strip()
            order = unit.live("PurchaseOrder", int(txn_id)) if txn_id.isdigit() else None
            if order is None:
                raise faults.object_not_found("LinkedTxn")
            if order.data["VendorRef"]["value"] != str(vendor.id):
                raise faults.business_rule(
                    f"Purchase order {order.data.get('DocNumber')} belongs to another vendor."
                )
            line_id = str(link.get("TxnLineId") or "").strip()
            if line_id in {str(order_line.get("Id")) for order_line in order.data.get("Line", [])}:
                kept.append(
                    {"TxnId": str(order.id), "TxnType": "PurchaseOrder", "TxnLineId": line_id}
                )
        line = {key: value for key, value in line.items() if key != "LinkedTxn"}
        if kept:
            line["LinkedTxn"] = kept
        kept_lines.append(line)
    return kept_lines


def _links_of_existing_lines_kept(lines: list[dict], existing: Row | None) -> list[dict]:
    """QuickBooks links an existing bill to a purchase order only through a new line: a line
    that keeps its Id keeps the links it had, whatever the update says."""
    before = {
        str(line.get("Id")): line for line in (existing.data.get("Line", []) if existing else [])
    }
    result = []
    for line in lines:
        old = before.get(str(line["Id"]))
        if old is None:
            result.append(line)
            continue
        line = {key: value for key, value in line.items() if key != "LinkedTxn"}
        if old.get("LinkedTxn"):
            line["LinkedTxn"] = old["LinkedTxn"]
        result.append(line)
    return result


def _linked_order_ids(lines: list[dict]) -> list[int]:
    order_ids: list[int] = []
    for line in lines:
        for link in line.get("LinkedTxn") or []:
            if link.get("TxnType") == "PurchaseOrder" and int(link["TxnId"]) not in order_ids:
                order_ids.append(int(link["TxnId"]))
    return order_ids


def _payable(unit: Unit, data: dict, existing: Row | None, entity: str) -> tuple[dict, Row]:
    vendor = _vendor(unit, data)
    lines, total = _expense_lines(unit, data, existing)
    stored, company = _common(unit, data, vendor)
    stored["Line"] = lines
    total += tax.purchase_tax(unit, stored, company)
    paid = Decimal(0)
    if existing is not None:
        paid = existing.data["TotalAmt"] - existing.data["Balance"]
    if total < paid:
        raise faults.business_rule(
            f"The {entity} total {total} is less than the {paid} already paid or applied."
        )
    stored.update(
        {
            "VendorRef": ref_of(vendor),
            "APAccountRef": _ap_account(unit, data),
            "Line": lines,
            "TotalAmt": total,
            "Balance": total - paid,
        }
    )
    return stored, vendor


def prepare_bill(unit: Unit, data: dict, existing: Row | None) -> Prepared:
    vendor = _vendor(unit, data)
    lines = data.get("Line")
    if isinstance(lines, list) and all(isinstance(line, dict) for line in lines):
        data = {**data, "Line": _purchase_order_line_links(unit, lines, vendor)}
    stored, vendor = _payable(unit, data, existing, "bill")
    stored["Line"] = _links_of_existing_lines_kept(stored["Line"], existing)
    stored["DueDate"] = date_field(data, "DueDate", stored["TxnDate"])
    # The bill's own LinkedTxn lists the orders its lines bill; one sent at the top is ignored.
    links = [
        {"TxnId": str(order_id), "TxnType": "PurchaseOrder"}
        for order_id in _linked_order_ids(stored["Line"])
    ]
    links += _computed_links(existing, PAYMENT_LINK_TYPES)
    if links:
        stored["LinkedTxn"] = links
    else:
        stored.pop("LinkedTxn", None)
    doc_key = None
    doc_number = text(data, "DocNumber")
    if doc_number and doc_number.strip():
        doc_key = f"{vendor.id}:{doc_number.strip().casefold()}"
        owner = unit.doc_owner("Bill", doc_key)
        if owner is not None and (existing is None or owner.id != existing.id):
            raise faults.duplicate_document_number(doc_number, "Bill", owner.id)
    return Prepared(stored, True, None, doc_key)


def prepare_vendor_credit(unit: Unit, data: dict, existing: Row | None) -> Prepared:
    stored, _vendor_row = _payable(unit, data, existing, "vendor credit")
    links = _computed_links(existing, PAYMENT_LINK_TYPES)
    if links:
        stored["LinkedTxn"] = links
    else:
        stored.pop("LinkedTxn", None)
    return Prepared(stored)


def prepare_purchase(unit: Unit, data: dict, existing: Row | None) -> Prepared:
    payment_type = require(data, "PaymentType")
    choice(data, "PaymentType", ("Cash", "Check", "CreditCard"))
    account = required_ref(unit, data, "AccountRef", "Account")
    expected = "Credit Card" if payment_type == "CreditCard" else "Bank"
    if account.data["AccountType"] != expected:
        raise faults.business_rule(
            f"A {payment_type} purchase must be paid from a {expected} account."
        )
    lines, total = _expense_lines(unit, data, existing)
    stored, company = _common(unit, data)
    stored["Line"] = lines
    total += tax.purchase_tax(unit, stored, company)
    entity_ref = data.get("EntityRef")
    if entity_ref is not None:
        entity_type = entity_ref.get("type") or "Vendor"
        if entity_type not in ("Vendor", "Customer"):
            raise faults.invalid_value(
                "EntityRef.type", f"Invalid Enumeration : {entity_type} is not Vendor or Customer"
            )
        payee = used_by_transaction(unit, entity_ref, "EntityRef", entity_type)
        stored["EntityRef"] = {**ref_of(payee), "type": entity_type}
    stored.update(
        {
            "PaymentType": payment_type,
            "AccountRef": ref_of(account),
            "Credit": boolean(data, "Credit", False),
            "Line": lines,
            "TotalAmt": total,
        }
    )
    return Prepared(stored)


def _allocations(row: Row | None) -> dict[tuple[str, int], Decimal]:
    """How much of each bill a payment pays and of each vendor credit it applies."""
    result: dict[tuple[str, int], Decimal] = {}
    if row is None or row.deleted:
        return result
    for line in row.data.get("Line", []):
        for link in line.get("LinkedTxn", []):
            key = (link["TxnType"], int(link["TxnId"]))
            result[key] = result.get(key, Decimal(0)) + line["Amount"]
    return result


def _applied_line(unit: Unit, line: dict, vendor: Row, previous: dict) -> dict:
    """One payment line: an amount paid on a bill or applied from a vendor credit."""
    amount = money(require(line, "Amount"), "Line.Amount")
    if amount < 0:
        raise faults.business_rule("A bill payment line cannot be negative.")
    links = line.get("LinkedTxn") or []
    if len(links) != 1 or links[0].get("TxnType") not in PAYMENT_TARGETS:
        raise faults.business_rule(
            "Each bill payment line must link to exactly one Bill or VendorCredit."
        )
    txn_type = links[0]["TxnType"]
    txn_id = str(links[0].get("TxnId", "")).strip()
    target = unit.live(txn_type, int(txn_id)) if txn_id.isdigit() else None
    if target is None:
        raise faults.object_not_found("LinkedTxn")
    what = "bill" if txn_type == "Bill" else "vendor credit"
    if target.data["VendorRef"]["value"] != str(vendor.id):
        raise faults.business_rule(f"The {what} belongs to another vendor.")
    open_balance = target.data["Balance"] + previous.get((txn_type, target.id), Decimal(0))
    if amount > open_balance:
        raise faults.business_rule(
            f"The {amount} applied is more than the open balance {open_balance} of the {what}."
        )
    return {**line, "Amount": amount, "LinkedTxn": [{"TxnId": str(target.id), "TxnType": txn_type}]}


def prepare_bill_payment(unit: Unit, data: dict, existing: Row | None) -> Prepared:
    vendor = _vendor(unit, data)
    pay_type = require(data, "PayType")
    choice(data, "PayType", ("Check", "CreditCard"))
    if data.get("TotalAmt") is None:
        raise faults.required_param("TotalAmt")
    total = money(data["TotalAmt"], "TotalAmt")
    if total < 0:
        raise faults.business_rule("A bill payment cannot be negative.")
    stored, _company = _common(unit, data, vendor)
    if pay_type == "Check":
        detail_name, ref_name, account_type = "CheckPayment", "BankAccountRef", "Bank"
    else:
        detail_name, ref_name, account_type = "CreditCardPayment", "CCAccountRef", "Credit Card"
    detail = dict(data.get(detail_name) or {})
    account = required_ref(unit, detail, ref_name, "Account", f"{detail_name}.{ref_name}")
    if account.data["AccountType"] != account_type:
        raise faults.business_rule(f"{ref_name} must be a {account_type} account.")
    detail[ref_name] = ref_of(account)
    previous = _allocations(existing)
    lines = [_applied_line(unit, line, vendor, previous) for line in data.get("Line") or []]
    paid = sum((line["Amount"] for line in lines if _target_type(line) == "Bill"), Decimal(0))
    credited = sum(
        (line["Amount"] for line in lines if _target_type(line) == "VendorCredit"), Decimal(0)
    )
    if credited > paid:
        raise faults.business_rule(
            f"The vendor credits applied ({credited}) are more than the bills paid ({paid})."
        )
    if paid - credited > total:
        raise faults.business_rule(
            f"The lines apply {paid - credited} after credits, more than the payment {total}."
        )
    stored.update(
        {
            "VendorRef": ref_of(vendor),
            "APAccountRef": _ap_account(unit, data),
            "PayType": pay_type,
            detail_name: detail,
            "TotalAmt": total,
            "Line": _assign_line_ids(lines, existing),
        }
    )
    return Prepared(stored)


def _target_type(line: dict) -> str:
    return line["LinkedTxn"][0]["TxnType"]


def void_bill_payment(row: Row) -> Prepared:
    """What QuickBooks keeps of a voided payment: zero amounts, no lines, "Voided" noted."""
    data = {key: value for key, value in row.data.items() if key != "Line"}
    note = str(data.get("PrivateNote") or "")
    if not note.startswith(VOIDED):
        note = f"{VOIDED} - {note}" if note else VOIDED
    data.update({"TotalAmt": Decimal(0), "PrivateNote": note[: TXN_LIMITS["PrivateNote"]]})
    return Prepared(data)


def _linked_ids(row: Row | None, txn_type: str) -> set[int]:
    if row is None or row.deleted:
        return set()
    return _linked_ids_in(row.data.get("LinkedTxn", []), txn_type)


def _linked_ids_in(links: list[dict], txn_type: str) -> set[int]:
    return {int(link["TxnId"]) for link in links if link["TxnType"] == txn_type}


def after_bill_saved(unit: Unit, old: Row | None, new: Row) -> None:
    """The orders the bill bills (or billed) list it, and their lines' receipts follow: one new
    version of each order. Its vendor's Balance follows."""
    after_payable_saved(unit, old, new)
    after = _linked_ids(new, "PurchaseOrder")
    for order_id in sorted(_linked_ids(old, "PurchaseOrder") | after):
        order = unit.live("PurchaseOrder", order_id)
        if order is None:
            continue
        links = [
            link
            for link in order.data.get("LinkedTxn", [])
            if (link.get("TxnId"), link.get("TxnType")) != (str(new.id), "Bill")
        ]
        if order_id in after:
            links.append({"TxnId": str(new.id), "TxnType": "Bill"})
        data = {**order.data, "LinkedTxn": links}
        if not links:
            del data["LinkedTxn"]
        billed = _billed_per_order_line(unit, order_id, _linked_ids_in(links, "Bill"))
        data = _with_receipts(data, billed, reopen=True)
        if data != order.data:
            unit.touch(order, data)


def _billed_per_order_line(unit: Unit, order_id: int, bill_ids: set[int]) -> dict[str, Decimal]:
    billed: dict[str, Decimal] = {}
    for bill_id in sorted(bill_ids):
        bill = unit.live("Bill", bill_id)
        for line in bill.data.get("Line", []) if bill else []:
            for link in line.get("LinkedTxn") or []:
                if link.get("TxnType") == "PurchaseOrder" and link.get("TxnId") == str(order_id):
                    line_id = str(link["TxnLineId"])
                    billed[line_id] = billed.get(line_id, Decimal(0)) + line["Amount"]
    return billed


def _with_receipts(order_data: dict, billed: dict[str, Decimal], *, reopen: bool) -> dict:
    """Each line's `Received` (billed quantity, or amount where the line has no quantity); the
    order closes once every line is billed in full and, after a bill changed (`reopen`), opens
    again when one no longer is."""
    lines = []
    for line in order_data.get("Line", []):
        amount = billed.get(str(line.get("Id")), Decimal(0))
        detail = line.get(line.get("DetailType"), {})
        price = detail.get("UnitPrice")
        unit_price = money(price, "UnitPrice") if price is not None else Decimal(0)
        received = (amount / unit_price).quantize(QUANTITY_PLACES) if unit_price else amount
        lines.append({**line, "Received": received})
    all_billed = bool(lines) and all(
        billed.get(str(line.get("Id")), Decimal(0)) >= line["Amount"] for line in lines
    )
    status = order_data.get("POStatus", "Open")
    if all_billed:
        status = "Closed"
    elif reopen and status == "Closed":
        status = "Open"
    return {**order_data, "Line": lines, "POStatus": status}


def after_bill_payment_saved(unit: Unit, old: Row | None, new: Row) -> None:
    """Bills and vendor credits the payment touches get their Balance and payment link."""
    before, after = _allocations(old), _allocations(new)
    link_type = (
        "BillPaymentCheck" if new.data.get("PayType") == "Check" else "BillPaymentCreditCard"
    )
    link = {"TxnId": str(new.id), "TxnType": link_type}
    vendor_ids = set()
    for txn_type, txn_id in sorted(set(before) | set(after)):
        target = unit.live(txn_type, txn_id)
        if target is None:
            continue
        key = (txn_type, txn_id)
        change = before.get(key, Decimal(0)) - after.get(key, Decimal(0))
        links = [
            existing
            for existing in target.data.get("LinkedTxn", [])
            if existing.get("TxnId") != link["TxnId"]
            or existing.get("TxnType") not in PAYMENT_LINK_TYPES
        ]
        if key in after:
            links.append(link)
        data = {**target.data, "Balance": target.data["Balance"] + change, "LinkedTxn": links}
        if not links:
            del data["LinkedTxn"]
        unit.touch(target, data)
        vendor_ids.add(target.data["VendorRef"]["value"])
    for vendor_id in sorted(vendor_ids):
        refresh_vendor_balance(unit, vendor_id)


def after_payable_saved(unit: Unit, old: Row | None, new: Row) -> None:
    """A bill or vendor credit changes what its vendor (and a former vendor) is owed."""
    for row in (old, new):
        if row is not None:
            refresh_vendor_balance(unit, row.data["VendorRef"]["value"])


def refresh_vendor_balance(unit: Unit, vendor_id: str) -> None:
    """Vendor.Balance: open bill balances less unapplied vendor credit balances.

    QuickBooks keeps it as a running figure of the books, not an edit of the vendor, so the
    vendor keeps its SyncToken (the app's next vendor update is not refused as stale)."""
    vendor = unit.live("Vendor", int(vendor_id)) if vendor_id.isdigit() else None
    if vendor is None:
        return
    owed = sum(
        (row.data["Balance"] for row in unit.vendor_documents("Bill", vendor_id)), Decimal(0)
    )
    credit = sum(
        (row.data["Balance"] for row in unit.vendor_documents("VendorCredit", vendor_id)),
        Decimal(0),
    )
    if vendor.data.get("Balance") != owed - credit:
        unit.rename_quietly(vendor, {**vendor.data, "Balance": owed - credit}, vendor.name_key)


def check_deletable(unit: Unit, row: Row) -> None:
    if row.entity == "PurchaseOrder" and _linked_ids(row, "Bill"):
        raise faults.business_rule(
            "This purchase order is linked to a bill. Unlink the bill before deleting it."
        )
    if row.entity == "Bill" and _paid_by_payments(row):
        raise faults.business_rule("This bill has payments. Delete the payments first.")
    if row.entity == "VendorCredit" and _paid_by_payments(row):
        raise faults.business_rule(
            "This vendor credit is applied to a bill payment. Delete the payment first."
        )


def _paid_by_payments(row: Row) -> bool:
    return any(link["TxnType"] in PAYMENT_LINK_TYPES for link in row.data.get("LinkedTxn", []))


PREPARE = {
    "PurchaseOrder": prepare_purchase_order,
    "Bill": prepare_bill,
    "VendorCredit": prepare_vendor_credit,
    "Purchase": prepare_purchase,
    "BillPayment": prepare_bill_payment,
}
AFTER_SAVE = {
    "Bill": after_bill_saved,
    "VendorCredit": after_payable_saved,
    "BillPayment": after_bill_payment_saved,
}
READ_ONLY_FIELDS = {
    "PurchaseOrder": ("TotalAmt", "LinkedTxn", "TxnTaxDetail"),
    "Bill": ("TotalAmt", "Balance", "TxnTaxDetail"),
    "VendorCredit": ("TotalAmt", "Balance", "TxnTaxDetail"),
    "Purchase": ("TotalAmt", "TxnTaxDetail"),
    "BillPayment": (),
}
