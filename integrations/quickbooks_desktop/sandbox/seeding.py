"""Putting records into the company as a bookkeeper would, for tests and demos.

Customers, vendors, items, purchase orders and bills go through QuickBooks' own Add requests
(same checks, same answers). Accounts, checks, card charges, vendor credits and bill payments,
which this sandbox does not take as requests, are written from their `...Ret` fields with every
reference resolved as QuickBooks would (inactive entries included: such a record may have been
entered before they were made inactive).
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from .books import Books
from .company import Session
from .qbxml import ParseError
from .records import Refused, field_values, identity, text
from .status import name_in_use
from .transactions import money

THROUGH_REQUESTS = ("Customer", "Vendor", "ItemService", "ItemOtherCharge", "PurchaseOrder", "Bill")
LINE_KINDS = {"ExpenseLineRet", "ItemLineRet"}
WRITTEN = {
    "Account": "AccountRet",
    "Check": "CheckRet",
    "CreditCardCharge": "CreditCardChargeRet",
    "VendorCredit": "VendorCreditRet",
    "BillPaymentCheck": "BillPaymentCheckRet",
    "BillPaymentCreditCard": "BillPaymentCreditCardRet",
}
TOTAL_FIELDS = {
    "Check": "Amount",
    "CreditCardCharge": "Amount",
    "VendorCredit": "CreditAmount",
}
DEFAULT_ACCOUNTS = (
    ("Accounts Payable", "AccountsPayable", "2000"),
    ("Retainage Payable", "OtherCurrentLiability", "2100"),
    ("Checking", "Bank", "1000"),
    ("Company Card", "CreditCard", "2050"),
    ("Construction Income", "Income", "4000"),
    ("Job Materials", "CostOfGoodsSold", "5000"),
    ("Subcontractors", "CostOfGoodsSold", "5100"),
)


class SeedError(ValueError):
    pass


def element_of(tag: str, fields: dict):
    """JSON fields as qbXML children, in the order given (order matters to QuickBooks)."""
    element = etree.Element(tag)
    for name, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            if isinstance(one, dict):
                element.append(element_of(name, one))
            else:
                etree.SubElement(element, name).text = _text(one)
    return element


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def seed(books: Books, session: Session, kind: str, fields: dict) -> dict:
    if kind in THROUGH_REQUESTS:
        return _through_request(session, kind, fields)
    if kind not in WRITTEN:
        known = ", ".join((*THROUGH_REQUESTS, *WRITTEN))
        raise SeedError(f"Unknown kind {kind!r}; use one of {known}.")
    try:
        with books.transaction():
            return _written(books, kind, fields)
    except Refused as refused:
        raise SeedError(f"{refused.status.code}: {refused.status.message}") from None


def _through_request(session: Session, kind: str, fields: dict) -> dict:
    request = etree.Element(f"{kind}AddRq")
    request.append(element_of(f"{kind}Add", fields))
    body = etree.tostring(request, encoding="unicode")
    text_in = (
        '<?xml version="1.0"?><?qbxml version="12.0"?><QBXML>'
        f'<QBXMLMsgsRq onError="stopOnError">{body}</QBXMLMsgsRq></QBXML>'
    )
    try:
        answer = etree.fromstring(session.run(text_in).split("\n", 2)[2].encode())
    except ParseError as error:
        raise SeedError(error.detail) from None
    response = answer[0][0]
    if response.get("statusSeverity") == "Error":
        raise SeedError(f"{response.get('statusCode')}: {response.get('statusMessage')}")
    ret = response[0]
    record_id = text(ret, "ListID") or text(ret, "TxnID")
    return session.books.get(record_id)


def _written(books: Books, kind: str, fields: dict) -> dict:
    ret_tag = WRITTEN[kind]
    element = element_of(ret_tag, fields)
    values = field_values(books, element, ret_tag, kind, inactive_too=True)
    if kind == "Account":
        name = values.get("Name") or ""
        if not name or "AccountType" not in values:
            raise SeedError("An account needs Name and AccountType.")
        if books.name_taken("Account", name):
            raise Refused(name_in_use(name))
        record = {
            **identity(books, "list"),
            "FullName": name,
            "IsActive": "true",
            "Sublevel": "0",
            "Balance": "0.00",
            "TotalBalance": "0.00",
            **values,
        }
        return books.save(kind, record)
    for line_tag in LINE_KINDS & set(values):
        values[line_tag] = [
            {
                "TxnLineID": books.new_id("line"),
                **field_values(books, line, line_tag, kind, inactive_too=True),
            }
            for line in element.findall(line_tag)
        ]
    if kind in TOTAL_FIELDS and TOTAL_FIELDS[kind] not in values:
        lines = [line for tag in LINE_KINDS for line in values.get(tag, [])]
        values[TOTAL_FIELDS[kind]] = money(
            sum((Decimal(line.get("Amount") or "0") for line in lines), Decimal("0"))
        )
    if "AppliedToTxnRet" in values:
        applied = values["AppliedToTxnRet"]
        values["AppliedToTxnRet"] = applied if isinstance(applied, list) else [applied]
    record = {**identity(books, "txn"), "TxnNumber": str(books.txn_number()), **values}
    return books.save(kind, record)


def default_accounts(books: Books) -> None:
    with books.transaction():
        for name, account_type, number in DEFAULT_ACCOUNTS:
            _written(
                books,
                "Account",
                {"Name": name, "AccountType": account_type, "AccountNumber": number},
            )
