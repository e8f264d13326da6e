"""Purchase documents: PurchaseOrders, bills (Invoices of type ACCPAY), supplier credit notes
(CreditNotes of type ACCPAYCREDIT) and spend-money BankTransactions (SPEND).

Each is a contact, dated lines and totals computed from them (lines.py), and a status that moves
only along the transitions Xero allows for that document. An update changes the fields it
carries and keeps the others; `LineItems`, when sent, replace the lines by `LineItemID`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from . import contacts, lines, wire
from .books import Books
from .faults import Invalid
from .fields import choice, new_id, text

EDIT_PAID_MESSAGE = (
    "This document cannot be edited as it has a payment or credit note allocated to it."
)
INVALID_STATUS_MESSAGE = "Invoice not of valid status for modification"
BILLED_ORDER_MESSAGE = "A purchase order that has been billed cannot be edited."
# What an update of a billed purchase order may still carry: undoing "Mark as billed" (its
# status back to AUTHORISED) and whether it was sent to the contact.
BILLED_ORDER_SETTABLE = frozenset({"PurchaseOrderID", "Status", "SentToContact"})


@dataclass(frozen=True)
class DocumentType:
    kind: str  # the stored kind and what errors call it
    id_field: str
    types: tuple[str, ...]  # accepted values of `Type` (empty: the document has none)
    create_statuses: tuple[str, ...]
    transitions: dict[str, tuple[str, ...]]  # status -> statuses an update may set
    default_status: str
    number_field: str | None = None
    number_prefix: str | None = None  # auto-numbering when the client sends no number
    text_fields: dict[str, int | None] = field(default_factory=dict)
    date_fields: tuple[str, ...] = ()  # besides Date
    string_dates: tuple[str, ...] = ()  # dates that also get an ISO `<name>String`
    webhook: str | None = None  # eventCategory
    resource: str = ""
    extra: dict = field(default_factory=dict)  # fields every stored document starts with


PURCHASE_ORDER = DocumentType(
    kind="PurchaseOrder",
    id_field="PurchaseOrderID",
    types=(),
    create_statuses=("DRAFT", "SUBMITTED", "AUTHORISED"),
    transitions={
        "DRAFT": ("DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"),
        "SUBMITTED": ("DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"),
        "AUTHORISED": ("AUTHORISED", "BILLED", "DELETED"),
        "BILLED": ("BILLED", "AUTHORISED"),
        "DELETED": (),
    },
    default_status="DRAFT",
    number_field="PurchaseOrderNumber",
    number_prefix="PO-",
    text_fields={
        "PurchaseOrderNumber": 255,
        "Reference": 255,
        "DeliveryAddress": None,
        "AttentionTo": None,
        "Telephone": None,
        "DeliveryInstructions": 500,
    },
    date_fields=("DeliveryDate", "ExpectedArrivalDate"),
    string_dates=("Date", "DeliveryDate"),
    resource="PurchaseOrders",
    extra={"SentToContact": False},
)
BILL = DocumentType(
    kind="Invoice",
    id_field="InvoiceID",
    types=("ACCPAY",),
    create_statuses=("DRAFT", "SUBMITTED", "AUTHORISED"),
    transitions={
        "DRAFT": ("DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"),
        "SUBMITTED": ("DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"),
        "AUTHORISED": ("AUTHORISED", "VOIDED"),
        "PAID": (),
        "VOIDED": (),
        "DELETED": (),
    },
    default_status="DRAFT",
    number_field="InvoiceNumber",
    text_fields={"InvoiceNumber": 255, "Url": None},
    date_fields=("DueDate", "PlannedPaymentDate"),
    string_dates=("Date", "DueDate"),
    webhook="INVOICE",
    resource="Invoices",
    extra={
        "Payments": [],
        "CreditNotes": [],
        "Prepayments": [],
        "Overpayments": [],
        "IsDiscounted": False,
        "HasErrors": False,
    },
)
SUPPLIER_CREDIT = DocumentType(
    kind="CreditNote",
    id_field="CreditNoteID",
    types=("ACCPAYCREDIT",),
    create_statuses=("DRAFT", "SUBMITTED", "AUTHORISED"),
    transitions={
        "DRAFT": ("DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"),
        "SUBMITTED": ("DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"),
        "AUTHORISED": ("AUTHORISED", "VOIDED"),
        "PAID": (),
        "VOIDED": (),
        "DELETED": (),
    },
    default_status="DRAFT",
    number_field="CreditNoteNumber",
    text_fields={"CreditNoteNumber": 255, "Reference": 255},
    date_fields=("DueDate",),
    string_dates=("Date", "DueDate"),
    webhook="CREDITNOTE",
    resource="CreditNotes",
    extra={"Allocations": [], "Payments": [], "HasErrors": False},
)
SPEND_MONEY = DocumentType(
    kind="BankTransaction",
    id_field="BankTransactionID",
    types=("SPEND",),
    create_statuses=("AUTHORISED",),
    transitions={"AUTHORISED": ("AUTHORISED", "DELETED"), "DELETED": ()},
    default_status="AUTHORISED",
    text_fields={"Reference": 255, "Url": None},
    resource="BankTransactions",
    extra={"IsReconciled": False},
)
TYPES = {t.kind: t for t in (PURCHASE_ORDER, BILL, SUPPLIER_CREDIT, SPEND_MONEY)}


def _date(element: dict, name: str) -> date | None:
    value = element.get(name)
    if value is None:
        return None
    parsed = wire.parse_date(value)
    if parsed is None:
        raise Invalid(f"{name} is not a valid date.")
    return parsed


def _set_date(document: dict, name: str, day: date, doc_type: DocumentType) -> None:
    document[name] = wire.ms_date(day)
    if name in doc_type.string_dates:
        document[f"{name}String"] = wire.date_string(day)


def check_lock_dates(books: Books, day: date) -> None:
    organisation = books.organisation
    for name in ("EndOfYearLockDate", "PeriodLockDate"):
        locked = wire.parse_date(organisation.get(name))
        if locked is not None and day <= locked:
            raise Invalid(
                f"The document date cannot be on or before the lock date, {locked:%d %b %Y}."
            )


def _check_type(doc_type: DocumentType, element: dict, existing: dict | None) -> str | None:
    if not doc_type.types:
        return None
    given = element.get("Type")
    if existing is not None:
        if given is not None and given != existing["Type"]:
            raise Invalid("The Type of a document cannot be changed.")
        return existing["Type"]
    if given is None:
        raise Invalid("Type is required.")
    if given not in doc_type.types:
        raise Invalid(
            f"This sandbox emulates {doc_type.kind} documents of Type "
            f"{', '.join(doc_type.types)} only, not {given}."
        )
    return given


def _status(doc_type: DocumentType, element: dict, existing: dict | None) -> str:
    if existing is None:
        status = element.get("Status") or doc_type.default_status
        if status not in doc_type.create_statuses:
            raise Invalid(
                f"A new {doc_type.kind} can be {', '.join(doc_type.create_statuses)}, not {status}."
            )
        return status
    current = existing["Status"]
    status = element.get("Status") or current
    if not doc_type.transitions.get(current):
        if current == "PAID":
            raise Invalid(EDIT_PAID_MESSAGE)
        raise Invalid(
            INVALID_STATUS_MESSAGE
            if doc_type is BILL
            else f"A {current} {doc_type.kind} cannot be changed."
        )
    if status not in doc_type.transitions[current]:
        raise Invalid(f"A {current} {doc_type.kind} cannot become {status}.")
    return status


def _billed_order(doc_type: DocumentType, existing: dict | None) -> bool:
    return doc_type is PURCHASE_ORDER and existing is not None and existing["Status"] == "BILLED"


def _paid(existing: dict | None) -> Decimal:
    if existing is None:
        return Decimal("0.00")
    return Decimal(str(existing.get("AmountPaid", "0.00")))


def save(books: Books, doc_type: DocumentType, element: dict, existing: dict | None) -> dict:
    """Create (existing None) or update a document from one request element."""
    document = dict(existing or doc_type.extra)
    document_type = _check_type(doc_type, element, existing)
    status = _status(doc_type, element, existing)
    if _billed_order(doc_type, existing) and set(element) - BILLED_ORDER_SETTABLE:
        raise Invalid(BILLED_ORDER_MESSAGE)
    paid = bool(_paid(existing))
    # What a payment was made against stays: its lines, how they are taxed, its contact.
    retaxed = element.get("LineAmountTypes") not in (None, document.get("LineAmountTypes"))
    if paid and (element.get("LineItems") is not None or retaxed or status == "VOIDED"):
        raise Invalid(EDIT_PAID_MESSAGE)
    if existing is None or element.get("Contact") is not None:
        contact = contacts.reference(books, element.get("Contact"))
        if paid and contact["ContactID"] != document["Contact"]["ContactID"]:
            raise Invalid(EDIT_PAID_MESSAGE)
        document["Contact"] = contacts.on_document(contact)
    if document_type:
        document["Type"] = document_type
    for name, maximum in doc_type.text_fields.items():
        value = text(element, name, maximum)
        if value is not None:
            document[name] = value
    day = _date(element, "Date") or (wire.parse_date(document.get("Date")) or books.today())
    _set_date(document, "Date", day, doc_type)
    for name in doc_type.date_fields:
        value = _date(element, name)
        if value is not None:
            _set_date(document, name, value, doc_type)
    currency = element.get("CurrencyCode")
    if currency is not None and currency != books.organisation["BaseCurrency"]:
        raise Invalid(
            f"The currency {currency} is not the organisation's base currency "
            f"{books.organisation['BaseCurrency']}; this sandbox does not emulate multicurrency."
        )
    document["CurrencyCode"] = books.organisation["BaseCurrency"]
    document["CurrencyRate"] = Decimal("1.000000")
    amount_types = choice(
        element,
        "LineAmountTypes",
        lines.LINE_AMOUNT_TYPES,
        document.get("LineAmountTypes", "Exclusive"),
    )
    if element.get("LineItems") is not None:
        document["LineItems"] = lines.build(
            books, element["LineItems"], document.get("LineItems", []), amount_types
        )
    elif amount_types != document.get("LineAmountTypes") and document.get("LineItems"):
        document["LineItems"] = lines.recompute(books, document["LineItems"], amount_types)
    document.setdefault("LineItems", [])
    document["LineAmountTypes"] = amount_types
    if doc_type is SPEND_MONEY:
        document["BankAccount"] = _bank_account(books, element.get("BankAccount"), document)
    if status not in ("DRAFT", "SUBMITTED", "DELETED", "VOIDED"):
        lines.require_accounts(document["LineItems"])
        check_lock_dates(books, day)
    totals = lines.totals(document["LineItems"], amount_types)
    if totals.total < 0:
        raise Invalid("The document total must be zero or more.")
    document.update(SubTotal=totals.sub_total, TotalTax=totals.total_tax, Total=totals.total)
    document["Status"] = status
    document["HasAttachments"] = False
    if doc_type.number_prefix and not document.get(doc_type.number_field):
        number = books.unit.next_number(doc_type.number_field)
        document[doc_type.number_field] = f"{doc_type.number_prefix}{number:04d}"
    _balances(doc_type, document)
    document_id = existing[doc_type.id_field] if existing else new_id()
    stored = books.unit.save(
        doc_type.kind, document_id, {doc_type.id_field: document_id, **document}
    )
    if doc_type is BILL and existing is None:
        contacts.mark_supplier(books, books.unit.get("Contact", document["Contact"]["ContactID"]))
    if doc_type.webhook:
        books.unit.notify(
            doc_type.webhook,
            doc_type.resource,
            document_id,
            "CREATE" if existing is None else "UPDATE",
            {"Type": document["Type"], "Status": status} if doc_type is SUPPLIER_CREDIT else None,
        )
    return stored


def _bank_account(books: Books, given, document: dict) -> dict:
    if given is None and document.get("BankAccount"):
        return document["BankAccount"]
    if not isinstance(given, dict) or not (given.get("AccountID") or given.get("Code")):
        raise Invalid("A bank account must be specified.")
    account = books.account(code=given.get("Code"), account_id=given.get("AccountID"))
    if account is None or account["Type"] != "BANK" or account["Status"] != "ACTIVE":
        raise Invalid("The BankAccount must be an active bank account.")
    return {"AccountID": account["AccountID"], "Code": account["Code"], "Name": account["Name"]}


def _balances(doc_type: DocumentType, document: dict) -> None:
    """What is still owed (bills) or left to use (credit notes)."""
    total = document["Total"]
    if doc_type is BILL:
        paid = Decimal(str(document.get("AmountPaid", "0.00")))
        document["AmountPaid"] = wire.money(paid)
        document["AmountCredited"] = Decimal("0.00")
        due = total - paid if document["Status"] not in ("VOIDED", "DELETED") else Decimal("0.00")
        document["AmountDue"] = wire.money(due)
    elif doc_type is SUPPLIER_CREDIT:
        remaining = total if document["Status"] not in ("VOIDED", "DELETED") else Decimal("0.00")
        document["RemainingCredit"] = wire.money(remaining)


def present(document: dict, *, with_lines: bool = True) -> dict:
    if with_lines:
        return document
    return {key: value for key, value in document.items() if key != "LineItems"}
