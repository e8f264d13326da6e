"""Purchase orders and bills (Add, Mod with QuickBooks' line rules), transaction queries and
deletions. Checks, card charges, vendor credits and bill payments are read-only here: the
control API seeds them as a bookkeeper would enter them."""

from __future__ import annotations

import time
from decimal import ROUND_HALF_UP, Decimal

from .books import Books, stamp
from .records import Refused, field_values, identity, text, touched, within
from .status import (
    Status,
    closed_transaction_linked,
    invalid_reference,
    no_match,
    not_all_found,
    not_found,
    stale_edit_sequence,
)

RET_TAGS = {
    "PurchaseOrder": "PurchaseOrderRet",
    "Bill": "BillRet",
    "Check": "CheckRet",
    "CreditCardCharge": "CreditCardChargeRet",
    "VendorCredit": "VendorCreditRet",
    "BillPaymentCheck": "BillPaymentCheckRet",
    "BillPaymentCreditCard": "BillPaymentCreditCardRet",
}
LINE_TAGS = ("ExpenseLineRet", "ItemLineRet", "PurchaseOrderLineRet", "ItemGroupLineRet")
CENT = Decimal("0.01")
# The payee each kind's EntityFilter compares with.
ENTITY_FIELDS = {
    "PurchaseOrder": "VendorRef",
    "Bill": "VendorRef",
    "VendorCredit": "VendorRef",
    "Check": "PayeeEntityRef",
    "CreditCardCharge": "PayeeEntityRef",
    "BillPaymentCheck": "PayeeEntityRef",
    "BillPaymentCreditCard": "PayeeEntityRef",
}
ACCOUNT_FIELDS = ("APAccountRef", "AccountRef", "BankAccountRef", "CreditCardAccountRef")


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _line_amount(line: dict, rate_field: str) -> str:
    """QuickBooks fills Amount from quantity times rate (or cost) when it is not given."""
    if line.get("Amount") not in (None, ""):
        return line["Amount"]
    rate = line.get(rate_field)
    if rate in (None, ""):
        return "0.00"
    quantity = Decimal(line.get("Quantity") or "1")
    return money(quantity * Decimal(rate))


def _total(lines: list[dict]) -> str:
    return money(sum((Decimal(line["Amount"]) for line in lines), Decimal("0")))


def _new_line(books: Books, element, ret_tag: str, where: str, rate_field: str) -> dict:
    given = field_values(books, element, ret_tag, where, skip=("TxnLineID",))
    line = {"TxnLineID": books.new_id("line"), **given}
    line["Amount"] = _line_amount(line, rate_field)
    return line


def _purchase_order_fields(record: dict) -> dict:
    lines = record.get("PurchaseOrderLineRet", [])
    for line in lines:
        line.setdefault("ReceivedQuantity", "0")
        line.setdefault("IsManuallyClosed", "false")
        line["IsBilled"] = line.get("IsBilled", "false")
    return {**record, "TotalAmount": _total(lines)}


def add_purchase_order(books: Books, add) -> tuple[Status, list]:
    where = "PurchaseOrder"
    if add.find("VendorRef") is None:
        raise Refused(invalid_reference("Vendor", "", where))
    header = field_values(books, add, "PurchaseOrderRet", where)
    lines = [
        _new_line(books, element, "PurchaseOrderLineRet", where, "Rate")
        for element in add.findall("PurchaseOrderLineAdd")
    ]
    record = {
        **identity(books, "txn"),
        "TxnNumber": str(books.txn_number()),
        "TxnDate": header.pop("TxnDate", None) or stamp_date(),
        **header,
        "IsManuallyClosed": "false",
        "IsFullyReceived": "false",
        "PurchaseOrderLineRet": lines,
    }
    return Status.ok(), [
        ("PurchaseOrderRet", books.save("PurchaseOrder", _purchase_order_fields(record)))
    ]


def stamp_date() -> str:
    return stamp(time.time())[:10]


def _current(books: Books, mod, kind: str) -> dict:
    txn_id = text(mod, "TxnID")
    record = books.get(txn_id)
    if record is None or record["kind"] != kind:
        raise Refused(not_found(txn_id))
    given = text(mod, "EditSequence")
    if given != record["EditSequence"]:
        raise Refused(stale_edit_sequence(given))
    return record


def mod_purchase_order(books: Books, mod) -> tuple[Status, list]:
    where = "PurchaseOrder"
    record = _current(books, mod, "PurchaseOrder")
    header = field_values(books, mod, "PurchaseOrderRet", where, skip=("TxnID", "EditSequence"))
    changed = {**record, **header}
    for name, value in header.items():
        if value == "":
            del changed[name]
    line_mods = mod.findall("PurchaseOrderLineMod")
    if line_mods:
        # Once a Mod names any line, the lines it does not name are deleted.
        existing = {line["TxnLineID"]: line for line in record.get("PurchaseOrderLineRet", [])}
        lines = []
        for element in line_mods:
            line_id = text(element, "TxnLineID")
            if line_id == "-1":
                lines.append(_new_line(books, element, "PurchaseOrderLineRet", where, "Rate"))
                continue
            if line_id not in existing:
                raise Refused(not_found(line_id))
            given = field_values(books, element, "PurchaseOrderLineRet", where, skip=("TxnLineID",))
            line = {**existing.pop(line_id), **given}
            if ("Rate" in given or "Quantity" in given) and "Amount" not in given:
                line.pop("Amount", None)
            line["Amount"] = _line_amount(line, "Rate")
            lines.append(line)
        changed["PurchaseOrderLineRet"] = lines
    changed = touched(books, changed)
    changed.pop("kind", None)
    return Status.ok(), [
        ("PurchaseOrderRet", books.save("PurchaseOrder", _purchase_order_fields(changed)))
    ]


def add_bill(books: Books, add) -> tuple[Status, list]:
    where = "Bill"
    header = field_values(books, add, "BillRet", where)
    vendor_id = header["VendorRef"]["ListID"]
    status = Status.ok()
    linked: dict[str, dict] = {}
    for txn_id in [found.text or "" for found in add.findall("LinkToTxnID")]:
        order = _linkable_order(books, txn_id, vendor_id)
        linked[txn_id] = {"order": order, "amount": Decimal("0")}
    expense_lines = [
        _new_line(books, element, "ExpenseLineRet", where, "Amount")
        for element in add.findall("ExpenseLineAdd")
    ]
    item_lines = []
    for element in add.findall("ItemLineAdd"):
        line = _new_line(books, element, "ItemLineRet", where, "Cost")
        link = element.find("LinkToTxn")
        if link is not None:
            order_id, order_line_id = text(link, "TxnID"), text(link, "TxnLineID")
            entry = linked.setdefault(
                order_id,
                {"order": _linkable_order(books, order_id, vendor_id), "amount": Decimal(0)},
            )
            order_lines = {
                line["TxnLineID"]: line for line in entry["order"].get("PurchaseOrderLineRet", [])
            }
            if order_line_id not in order_lines:
                raise Refused(not_found(order_line_id))
            order_lines[order_line_id]["IsBilled"] = "true"
            entry["amount"] += Decimal(line["Amount"])
        item_lines.append(line)
    for txn_id, entry in linked.items():
        order = entry["order"]
        if order.get("IsManuallyClosed") == "true":
            status = closed_transaction_linked(txn_id)
        saved = touched(books, order)
        saved.pop("kind", None)
        books.save("PurchaseOrder", saved)
    amount_due = _total(expense_lines + item_lines)
    record = {
        **identity(books, "txn"),
        "TxnNumber": str(books.txn_number()),
        "VendorRef": header.pop("VendorRef"),
        "APAccountRef": header.pop("APAccountRef", None) or _payables(books),
        "TxnDate": header.pop("TxnDate", None) or stamp_date(),
        "AmountDue": amount_due,
        **header,
        "IsPaid": "false",
        "LinkedTxn": [
            {
                "TxnID": txn_id,
                "TxnType": "PurchaseOrder",
                "TxnDate": entry["order"]["TxnDate"],
                "RefNumber": entry["order"].get("RefNumber"),
                "LinkType": "QUANTYPE",
                "Amount": money(entry["amount"]),
            }
            for txn_id, entry in linked.items()
        ],
        "ExpenseLineRet": expense_lines,
        "ItemLineRet": item_lines,
        "OpenAmount": amount_due,
    }
    return status, [("BillRet", books.save("Bill", record))]


def _linkable_order(books: Books, txn_id: str, vendor_id: str) -> dict:
    order = books.get(txn_id)
    if order is None or order["kind"] != "PurchaseOrder":
        raise Refused(not_found(txn_id))
    if order["VendorRef"]["ListID"] != vendor_id:
        raise Refused(
            invalid_reference("PurchaseOrder", txn_id, "Bill: it belongs to another vendor")
        )
    return order


def _payables(books: Books) -> dict:
    for account in books.all(("Account",)):
        if account.get("AccountType") == "AccountsPayable":
            return {"ListID": account["ListID"], "FullName": account["FullName"]}
    raise Refused(invalid_reference("Account", "Accounts Payable", "Bill"))


def query(kind: str):
    def run(books: Books, request) -> tuple[Status, list]:
        return _query(books, request, kind)

    return run


def _query(books: Books, request, kind: str) -> tuple[Status, list]:
    records = books.all((kind,))
    include_lines = text(request, "IncludeLineItems") in ("true", "1")
    include_links = text(request, "IncludeLinkedTxns") in ("true", "1")
    explicit = [
        (name, [found.text or "" for found in request.findall(name)])
        for name in ("TxnID", "RefNumber", "RefNumberCaseSensitive")
    ]
    status = Status.ok()
    named = next(((name, values) for name, values in explicit if values), None)
    if named:
        name, values = named
        chosen, missing = [], []
        for value in values:
            matches = [r for r in records if _same(r, name, value)]
            chosen += matches
            if not matches:
                missing.append(value)
        if missing:
            status = not_all_found(missing[0])
    else:
        chosen = [r for r in records if _filters_pass(request, kind, r)]
        if not chosen:
            status = no_match()
    shown = [_shown(r, include_lines, include_links) for r in chosen]
    return status, [(RET_TAGS[kind], r) for r in shown]


def _same(record: dict, name: str, value: str) -> bool:
    if name == "TxnID":
        return record["TxnID"] == value
    ref = record.get("RefNumber") or ""
    return ref == value if name == "RefNumberCaseSensitive" else ref.upper() == value.upper()


def _filters_pass(request, kind: str, record: dict) -> bool:
    modified = request.find("ModifiedDateRangeFilter")
    if modified is not None and not within(
        record["TimeModified"], text(modified, "FromModifiedDate"), text(modified, "ToModifiedDate")
    ):
        return False
    dates = request.find("TxnDateRangeFilter")
    if dates is not None and text(dates, "DateMacro") is None:
        day = record.get("TxnDate", "")
        if text(dates, "FromTxnDate") and day < text(dates, "FromTxnDate"):
            return False
        if text(dates, "ToTxnDate") and day > text(dates, "ToTxnDate"):
            return False
    entity = request.find("EntityFilter")
    if entity is not None and not _ref_matches(entity, record.get(ENTITY_FIELDS[kind], {})):
        return False
    account = request.find("AccountFilter")
    if account is not None and not any(
        _ref_matches(account, record.get(field, {})) for field in ACCOUNT_FIELDS
    ):
        return False
    if not _ref_number_passes(request, record.get("RefNumber") or ""):
        return False
    paid = text(request, "PaidStatus")
    if paid == "PaidOnly" and record.get("IsPaid") != "true":
        return False
    return not (paid == "NotPaidOnly" and record.get("IsPaid") == "true")


def _ref_matches(filter_element, ref: dict) -> bool:
    list_ids = [found.text for found in filter_element.findall("ListID")]
    names = [(found.text or "").upper() for found in filter_element.findall("FullName")]
    full_name = (ref.get("FullName") or "").upper()
    with_children = text(filter_element, "FullNameWithChildren")
    id_with_children = text(filter_element, "ListIDWithChildren")
    if list_ids:
        return ref.get("ListID") in list_ids
    if names:
        return full_name in names
    if with_children is not None:
        wanted = with_children.upper()
        return full_name == wanted or full_name.startswith(wanted + ":")
    return ref.get("ListID") == id_with_children


def _ref_number_passes(request, ref_number: str) -> bool:
    criterion = text(request, "RefNumberFilter/MatchCriterion")
    if criterion:
        wanted = (text(request, "RefNumberFilter/RefNumber") or "").upper()
        value = ref_number.upper()
        return {
            "StartsWith": value.startswith(wanted),
            "Contains": wanted in value,
            "EndsWith": value.endswith(wanted),
        }[criterion]
    if request.find("RefNumberRangeFilter") is not None:
        low = text(request, "RefNumberRangeFilter/FromRefNumber") or ""
        high = text(request, "RefNumberRangeFilter/ToRefNumber")
        return ref_number >= low and (high is None or ref_number <= high)
    return True


def _shown(record: dict, include_lines: bool, include_links: bool) -> dict:
    """Lines only with IncludeLineItems, linked transactions only with IncludeLinkedTxns."""
    shown = dict(record)
    if not include_lines:
        for tag in LINE_TAGS:
            shown.pop(tag, None)
    if not include_links:
        shown.pop("LinkedTxn", None)
    return shown


def deleted(books: Books, request) -> tuple[Status, list]:
    kinds = tuple(found.text for found in request.findall("TxnDelType"))
    start = text(request, "DeletedDateRangeFilter/FromDeletedDate")
    end = text(request, "DeletedDateRangeFilter/ToDeletedDate")
    rets = []
    for row in books.deleted(kinds):
        when = stamp(row["deleted_at"])
        if within(when, start, end):
            rets.append(
                (
                    "TxnDeletedRet",
                    {
                        "TxnDelType": row["kind"],
                        "TxnID": row["id"],
                        "TimeCreated": row["created"],
                        "TimeDeleted": when,
                        "RefNumber": row["label"],
                    },
                )
            )
    return (Status.ok() if rets else no_match()), rets
