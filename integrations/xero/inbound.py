"""Pure mapping from Xero's documents to the typed data of integrations.data (no I/O).

Each function reads one Xero record as the API answers it (amounts already Decimal, dates as
`/Date(ms+0000)/`) and returns the plain object the workflow stores.

Job costs: a line is on a project when it carries an option of the tracking category chosen for
projects. Bills (ACCPAY) and spend money (SPEND) add cost, supplier credit notes (ACCPAYCREDIT)
lower it; only what Xero has posted counts (AUTHORISED or PAID), so a draft, a voided or a
deleted document leaves no line. Amounts are before tax: with Inclusive line amounts the line's
TaxAmount is taken off. A line on a balance-sheet account (retainage held, say) is money owed,
not a cost of the job.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from integrations.data import (
    BillSummary,
    DocumentKind,
    ImportedCostCode,
    ImportedJob,
    ImportedPayment,
    ImportedVendor,
    JobCostDocument,
    JobCostLine,
    PaymentAllocation,
)
from integrations.xero.organisation import parse_xero_date
from money import cents

# The Xero resource of each kind of document the workflow reads back, and the `Type` it has.
RESOURCE_OF_KIND = {
    DocumentKind.BILL: "Invoices",
    DocumentKind.CREDIT: "CreditNotes",
    DocumentKind.EXPENSE: "BankTransactions",
    DocumentKind.PAYMENT: "Payments",
    DocumentKind.PURCHASE_ORDER: "PurchaseOrders",
}
KIND_OF_RESOURCE = {resource: kind for kind, resource in RESOURCE_OF_KIND.items()}
ID_FIELD = {
    "Invoices": "InvoiceID",
    "CreditNotes": "CreditNoteID",
    "BankTransactions": "BankTransactionID",
    "Payments": "PaymentID",
    "PurchaseOrders": "PurchaseOrderID",
    "Contacts": "ContactID",
}
# Only purchases are read: Xero keeps sales in the same lists.
PURCHASES_ONLY = {
    "Invoices": 'Type=="ACCPAY"',
    "CreditNotes": 'Type=="ACCPAYCREDIT"',
    "BankTransactions": 'Type=="SPEND"',
    "Payments": 'PaymentType=="ACCPAYPAYMENT"',
}
JOB_COST_RESOURCES = ("Invoices", "CreditNotes", "BankTransactions")
NUMBER_FIELD = {
    "Invoices": "InvoiceNumber",
    "CreditNotes": "CreditNoteNumber",
    "BankTransactions": "Reference",
}
POSTED = ("AUTHORISED", "PAID")
GONE = "DELETED"
VOIDED = "VOIDED"
BALANCE_SHEET_CLASSES = ("ASSET", "LIABILITY", "EQUITY")
_MS_DATE = re.compile(r"/Date\((?P<ms>-?\d+)(?:[+-]\d{4})?\)/")


def text(record: Any, *path: str) -> str:
    value: Any = record
    for key in path:
        if not isinstance(value, dict):
            return ""
        value = value.get(key)
    return "" if value is None else str(value).strip()


def _amount(value) -> Decimal:
    return cents(Decimal(str(value))) if value not in (None, "") else Decimal("0.00")


def _date(value) -> date | None:
    try:
        return parse_xero_date(value)
    except ValueError:
        return None


def updated_at(record: dict) -> datetime | None:
    """The record's UpdatedDateUTC (`/Date(1573755038314+0000)/`) as an aware moment."""
    found = _MS_DATE.fullmatch(text(record, "UpdatedDateUTC"))
    return datetime.fromtimestamp(int(found["ms"]) / 1000, tz=UTC) if found else None


def version_of(record: dict) -> str:
    """What changes whenever Xero saves the record (its UpdatedDateUTC, in milliseconds)."""
    moment = updated_at(record)
    return str(int(moment.timestamp() * 1000)) if moment else ""


def record_id(resource: str, record: dict) -> str:
    return text(record, ID_FIELD[resource])


def is_gone(record: dict) -> bool:
    return text(record, "Status") == GONE


# Contacts ----------------------------------------------------------------------------------


def vendor_from_contact(contact: dict) -> ImportedVendor:
    """A contact as a vendor: active unless archived; a supplier where Xero says so (Xero marks
    a contact a supplier once a bill is entered for it)."""
    address = _postal_address(contact)
    balances = (contact.get("Balances") or {}).get("AccountsPayable") or {}
    outstanding = balances.get("Outstanding")
    return ImportedVendor(
        erp_id=text(contact, "ContactID"),
        version=version_of(contact),
        display_name=" ".join(text(contact, "Name").split())[:500],
        company_name=text(contact, "Name")[:500],
        tax_id=text(contact, "TaxNumber")[:20],
        email=text(contact, "EmailAddress")[:100],
        phone=_phone(contact)[:30],
        address_line1=text(address, "AddressLine1")[:500],
        city=text(address, "City")[:255],
        region=text(address, "Region")[:255],
        postal_code=text(address, "PostalCode")[:30],
        country=text(address, "Country")[:255],
        is_active=text(contact, "ContactStatus") in ("", "ACTIVE"),
        open_balance=_amount(outstanding) if outstanding is not None else None,
        currency=text(contact, "DefaultCurrency")[:3],
        is_supplier=contact.get("IsSupplier") is True,
    )


def _postal_address(contact: dict) -> dict:
    """The address payments are posted to (POBOX), else the street address, else none."""
    addresses = [a for a in contact.get("Addresses") or [] if isinstance(a, dict)]
    for kind in ("POBOX", "STREET"):
        for address in addresses:
            if address.get("AddressType") == kind and text(address, "AddressLine1"):
                return address
    return {}


def _phone(contact: dict) -> str:
    for phone in contact.get("Phones") or []:
        if isinstance(phone, dict) and phone.get("PhoneType") == "DEFAULT":
            parts = (
                text(phone, "PhoneCountryCode"),
                text(phone, "PhoneAreaCode"),
                text(phone, "PhoneNumber"),
            )
            if parts[2]:
                return " ".join(part for part in parts if part)
    return ""


# Tracking options and items ----------------------------------------------------------------


def job_from_option(option: dict) -> ImportedJob:
    """A tracking option of the project category: what the jobs list calls a job."""
    name = " ".join(text(option, "Name").split())
    return ImportedJob(
        erp_id=text(option, "TrackingOptionID"),
        # Xero keeps no UpdatedDateUTC on options: what people see of one is its version.
        version=hashlib.sha256(f"{text(option, 'Status')}:{name}".encode()).hexdigest()[:32],
        display_name=name[:500],
        fully_qualified_name=name[:2000],
        parent_erp_id="",
        parent_name="",
        address="",
        is_active=text(option, "Status") == "ACTIVE",
    )


def is_cost_code_item(item: dict) -> bool:
    """An item a bill line can carry as a cost code: bought, not tracked inventory."""
    return item.get("IsPurchased", True) is not False and not item.get("IsTrackedAsInventory")


def cost_code_from_item(item: dict) -> ImportedCostCode:
    code = text(item, "Code")
    return ImportedCostCode(
        erp_id=text(item, "ItemID"),
        version=version_of(item),
        code=code[:30],
        name=(text(item, "Name") or text(item, "PurchaseDescription") or code)[:100],
        is_active=True,
    )


def cost_code_item_payload(*, code: str, name: str, expense_account_code: str) -> dict:
    """A purchased, untracked item for a new cost code (Code ≤ 30, Name ≤ 50 characters)."""
    return {
        "Code": " ".join(code.split())[:30],
        "Name": " ".join(name.split())[:50],
        "IsPurchased": True,
        "PurchaseDetails": {"AccountCode": expense_account_code},
    }


# Job costs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ledger:
    """What judging lines needs: the project category, the balance-sheet account codes, each
    account's name by its code, and the id of each item by its code (lines name both by code)."""

    project_category_id: str
    balance_sheet_codes: frozenset[str]
    item_ids_by_code: dict[str, str]
    account_names: dict[str, str] = field(default_factory=dict)

    def account_label(self, code: str) -> str:
        """ "320 Subcontractors": the code, and the name when the chart has it."""
        name = self.account_names.get(code, "")
        return f"{code} {name}" if code and name else code


def ledger_from(category_id: str, accounts: list[dict], items: list[dict]) -> Ledger:
    return Ledger(
        project_category_id=category_id.lower(),
        balance_sheet_codes=frozenset(
            text(account, "Code")
            for account in accounts
            if text(account, "Class") in BALANCE_SHEET_CLASSES and text(account, "Code")
        ),
        item_ids_by_code={
            text(item, "Code").casefold(): text(item, "ItemID") for item in items if item
        },
        account_names={
            text(account, "Code"): text(account, "Name") for account in accounts if account
        },
    )


def project_option_of(line: dict, category_id: str) -> str:
    """The option of the project category the line carries, or ''."""
    for tracking in line.get("Tracking") or []:
        if text(tracking, "TrackingCategoryID").lower() == category_id:
            return text(tracking, "TrackingOptionID")
    return ""


def carries_project(document: dict, category_id: str) -> bool:
    return any(
        project_option_of(line, category_id.lower()) for line in document.get("LineItems") or []
    )


def job_cost_document(resource: str, document: dict, ledger: Ledger) -> JobCostDocument:
    """A bill, supplier credit note or spend money with its posted lines on a project."""
    if resource not in JOB_COST_RESOURCES:
        raise ValueError(f"{resource} are not job costs.")
    negative = resource == "CreditNotes"
    inclusive = text(document, "LineAmountTypes") == "Inclusive"
    posted = text(document, "Status") in POSTED
    lines = []
    for position, line in enumerate(document.get("LineItems") or [], start=1):
        option = project_option_of(line, ledger.project_category_id)
        if not (posted and option) or text(line, "AccountCode") in ledger.balance_sheet_codes:
            continue
        amount = _amount(line.get("LineAmount"))
        if inclusive:
            amount -= _amount(line.get("TaxAmount"))
        lines.append(
            JobCostLine(
                line_id=text(line, "LineItemID") or str(position),
                job_erp_id=option,
                cost_code_erp_id=ledger.item_ids_by_code.get(text(line, "ItemCode").casefold(), ""),
                account_name=ledger.account_label(text(line, "AccountCode"))[:255],
                description=text(line, "Description")[:4000],
                amount=-amount if negative else amount,
            )
        )
    return JobCostDocument(
        kind=KIND_OF_RESOURCE[resource],
        erp_id=text(document, ID_FIELD[resource]),
        date=_date(document.get("Date")),
        number=text(document, NUMBER_FIELD[resource])[:30],
        vendor_erp_id=text(document, "Contact", "ContactID"),
        vendor_name=text(document, "Contact", "Name")[:500],
        lines=tuple(lines),
    )


def bill_summary(bill: dict) -> BillSummary:
    """A bill as the duplicate check reads it, whatever its status (a draft is a duplicate too)."""
    total = _amount(bill.get("Total"))
    return BillSummary(
        erp_id=text(bill, "InvoiceID"),
        vendor_erp_id=text(bill, "Contact", "ContactID"),
        number=text(bill, "InvoiceNumber")[:50],
        billed_on=_date(bill.get("Date")),
        total=total,
        pre_tax_total=total - _amount(bill.get("TotalTax")),
        balance=_amount(bill.get("AmountDue")),
        is_voided=text(bill, "Status") == VOIDED,
    )


def payment_from_xero(payment: dict) -> ImportedPayment:
    """A payment of one bill; a deleted one pays nothing."""
    payment_id = text(payment, "PaymentID")
    bill_id = text(payment, "Invoice", "InvoiceID")
    amount = _amount(payment.get("Amount"))
    if is_gone(payment) or not bill_id or amount == 0:
        return ImportedPayment(erp_id=payment_id, allocations=())
    account = text(payment, "Account", "Code")
    method = f"Paid from account {account}" if account else "Payment"
    return ImportedPayment(
        erp_id=payment_id,
        allocations=(
            PaymentAllocation(
                payment_id=payment_id,
                bill_id=bill_id,
                amount=amount,
                paid_on=_date(payment.get("Date")),
                method=method[:50],
            ),
        ),
    )
