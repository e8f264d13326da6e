"""Pure mapping from QuickBooks Online payloads to the typed data of integrations.data (no I/O).

Each function reads one QuickBooks object as the API returns it (amounts already Decimal) and
returns the plain object the workflow stores; nothing here knows about the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from integrations.data import (
    BillSummary,
    DocumentKind,
    ImportedCostCode,
    ImportedCustomer,
    ImportedJob,
    ImportedPayment,
    ImportedVendor,
    JobCostDocument,
    JobCostLine,
    PaymentAllocation,
)
from integrations.quickbooks_online.mapping import as_decimal, cents, document_total

# The QuickBooks entity of each kind of document the workflow reads back.
ENTITY_OF_KIND = {
    DocumentKind.BILL: "Bill",
    DocumentKind.EXPENSE: "Purchase",
    DocumentKind.CREDIT: "VendorCredit",
    DocumentKind.PAYMENT: "BillPayment",
    DocumentKind.PURCHASE_ORDER: "PurchaseOrder",
}
KIND_OF_ENTITY = {entity: kind for kind, entity in ENTITY_OF_KIND.items()}
JOB_COST_ENTITIES = ("Bill", "Purchase", "VendorCredit")
PAYMENT_ENTITY = "BillPayment"
# Items usable as cost codes: they can sit on an expense line (QuickBooks needs an expense account).
COST_CODE_ITEM_TYPES = ("Service", "NonInventory")
# A leading cost-code number in an item name: "09-2900 Drywall", "03 30 00 Concrete".
_LEADING_CODE = re.compile(r"^\s*(?P<code>\d[\d.\-\s]*\d|\d)\s+[-\u2013:]?\s*(?P<name>\S.*)$")
_PAY_METHODS = {"Check": "Check", "CreditCard": "Credit card"}
_VENDOR_CREDIT = "Vendor credit"
ITEM_DETAIL = "ItemBasedExpenseLineDetail"
ACCOUNT_DETAIL = "AccountBasedExpenseLineDetail"
# Accounts whose balance is carried on the balance sheet: a line posting there (retainage
# payable, a transfer from the bank...) is money owed or held, never a cost of the job.
BALANCE_SHEET_CLASSIFICATIONS = ("Asset", "Liability", "Equity")
BALANCE_SHEET_ACCOUNT_TYPES = (
    "Bank",
    "Other Current Asset",
    "Fixed Asset",
    "Other Asset",
    "Accounts Receivable",
    "Equity",
    "Accounts Payable",
    "Credit Card",
    "Other Current Liability",
    "Long Term Liability",
)


@dataclass(frozen=True)
class ChartOfAccounts:
    """Which accounts sit on the balance sheet, and the account each item's lines post to."""

    balance_sheet_account_ids: frozenset[str]
    item_expense_account_ids: dict[str, str]

    def posts_to_balance_sheet(self, detail_type: str, detail: dict) -> bool:
        if detail_type == ITEM_DETAIL:
            item_id = _text(detail, "ItemRef", "value")
            account_id = self.item_expense_account_ids.get(item_id, "")
        else:
            account_id = _text(detail, "AccountRef", "value")
        return account_id in self.balance_sheet_account_ids


def is_deleted(document: dict) -> bool:
    """CDC returns deleted objects as {"Id", "status": "Deleted", "MetaData"} only."""
    return document.get("status") == "Deleted"


def _text(document: dict, *path: str) -> str:
    value: Any = document
    for key in path:
        if not isinstance(value, dict):
            return ""
        value = value.get(key)
    return "" if value is None else str(value).strip()


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def vendor_from_qbo(document: dict) -> ImportedVendor:
    address = document.get("BillAddr") or {}
    balance = document.get("Balance")
    return ImportedVendor(
        erp_id=_text(document, "Id"),
        version=_text(document, "SyncToken"),
        display_name=_text(document, "DisplayName")[:500],
        company_name=_text(document, "CompanyName")[:500],
        tax_id=_text(document, "TaxIdentifier")[:20],
        email=_text(document, "PrimaryEmailAddr", "Address")[:100],
        phone=_text(document, "PrimaryPhone", "FreeFormNumber")[:30],
        address_line1=_text(address, "Line1")[:500],
        city=_text(address, "City")[:255],
        region=_text(address, "CountrySubDivisionCode")[:255],
        postal_code=_text(address, "PostalCode")[:30],
        country=_text(address, "Country")[:255],
        is_active=document.get("Active", True) is not False,
        open_balance=cents(as_decimal(balance)) if balance is not None else None,
        currency=_text(document, "CurrencyRef", "value")[:3],
    )


def is_job(document: dict) -> bool:
    return document.get("Job") is True and bool(_text(document, "ParentRef", "value"))


def is_top_level_customer(document: dict) -> bool:
    return document.get("Job") is not True and not _text(document, "ParentRef", "value")


def customer_from_qbo(document: dict) -> ImportedCustomer:
    return ImportedCustomer(
        erp_id=_text(document, "Id"),
        display_name=_text(document, "DisplayName")[:500],
        is_active=document.get("Active", True) is not False,
    )


def job_from_qbo(document: dict) -> ImportedJob:
    address = document.get("ShipAddr") or document.get("BillAddr") or {}
    qualified = _text(document, "FullyQualifiedName")
    parent_name = _text(document, "ParentRef", "name") or qualified.rpartition(":")[0]
    return ImportedJob(
        erp_id=_text(document, "Id"),
        version=_text(document, "SyncToken"),
        display_name=_text(document, "DisplayName")[:500],
        fully_qualified_name=qualified[:2000],
        parent_erp_id=_text(document, "ParentRef", "value"),
        parent_name=parent_name[:500],
        address=_one_line_address(address)[:500],
        is_active=document.get("Active", True) is not False,
    )


def _one_line_address(address: dict) -> str:
    """ "11 Harbor Point Way, Vancouver, WA 98660": street, city, state and postal code."""
    region = " ".join(
        part
        for part in (_text(address, "CountrySubDivisionCode"), _text(address, "PostalCode"))
        if part
    )
    parts = (_text(address, "Line1"), _text(address, "City"), region)
    return ", ".join(part for part in parts if part)


def is_cost_code_item(document: dict) -> bool:
    return document.get("Type") in COST_CODE_ITEM_TYPES and bool(
        _text(document, "ExpenseAccountRef", "value")
    )


def split_cost_code(item_name: str, sku: str = "") -> tuple[str, str]:
    """(code, name): the Sku when there is one, else a leading number of the item's name."""
    item_name = " ".join(item_name.split())
    sku = sku.strip()
    if sku:
        name = item_name[len(sku) :].strip() if item_name.startswith(sku + " ") else item_name
        return sku[:30], name[:100]
    found = _LEADING_CODE.match(item_name)
    if found and len(found["code"]) <= 30:
        return found["code"].strip(), found["name"].strip()[:100]
    return item_name[:30], item_name[:100]


def cost_code_from_item(document: dict) -> ImportedCostCode:
    code, name = split_cost_code(_text(document, "Name"), _text(document, "Sku"))
    return ImportedCostCode(
        erp_id=_text(document, "Id"),
        version=_text(document, "SyncToken"),
        code=code,
        name=name,
        is_active=document.get("Active", True) is not False,
    )


def cost_code_item_payload(*, code: str, name: str, expense_account_id: str) -> dict:
    """A NonInventory Item (an expense account, no income account needed) for a new cost code."""
    item_name = " ".join(f"{code} {name}".replace(":", " ").split())[:100]
    return {
        "Name": item_name,
        "Sku": code,
        "Type": "NonInventory",
        "ExpenseAccountRef": {"value": str(expense_account_id)},
    }


def is_balance_sheet_account(document: dict) -> bool:
    classification = document.get("Classification")
    if classification:
        return classification in BALANCE_SHEET_CLASSIFICATIONS
    return document.get("AccountType") in BALANCE_SHEET_ACCOUNT_TYPES


def chart_of_accounts(accounts, items) -> ChartOfAccounts:
    """The chart from every account and item QuickBooks holds, active or not."""
    return ChartOfAccounts(
        balance_sheet_account_ids=frozenset(
            _text(account, "Id") for account in accounts if is_balance_sheet_account(account)
        ),
        item_expense_account_ids={
            _text(item, "Id"): _text(item, "ExpenseAccountRef", "value") for item in items
        },
    )


def _job_lines(document: dict) -> Iterator[tuple[int, dict, str, dict]]:
    """(position, line, detail type, detail) of each expense line charged to a customer or job."""
    for position, line in enumerate(document.get("Line") or [], start=1):
        detail_type = line.get("DetailType", "")
        detail = line.get(detail_type) or {}
        if detail_type in (ITEM_DETAIL, ACCOUNT_DETAIL) and _text(detail, "CustomerRef", "value"):
            yield position, line, detail_type, detail


def job_line_detail_types(document: dict) -> set[str]:
    """The detail types of the document's job-keyed lines: what judging them needs to read."""
    return {detail_type for _position, _line, detail_type, _detail in _job_lines(document)}


def _vendor_of(entity: str, document: dict) -> tuple[str, str]:
    if entity == "Purchase":
        ref = document.get("EntityRef") or {}
        return _text(ref, "value"), _text(ref, "name")
    return _text(document, "VendorRef", "value"), _text(document, "VendorRef", "name")


def job_cost_document(entity: str, document: dict, chart: ChartOfAccounts) -> JobCostDocument:
    """A Bill, Purchase or VendorCredit with its lines charged to a customer or job, except those
    posting to a balance-sheet account.

    A vendor credit lowers cost, and so does a credit-card credit (Purchase with Credit=true):
    their amounts are negative.
    """
    if entity not in JOB_COST_ENTITIES:
        raise ValueError(f"{entity} is not a job-cost transaction.")
    vendor_id, vendor_name = _vendor_of(entity, document)
    negative = entity == "VendorCredit" or (entity == "Purchase" and document.get("Credit") is True)
    lines = []
    for position, line, detail_type, detail in _job_lines(document):
        if chart.posts_to_balance_sheet(detail_type, detail):
            continue
        amount = cents(as_decimal(line.get("Amount") or 0))
        lines.append(
            JobCostLine(
                line_id=_text(line, "Id") or str(position),
                job_erp_id=_text(detail, "CustomerRef", "value"),
                cost_code_erp_id=_text(detail, "ItemRef", "value"),
                account_name=_text(detail, "AccountRef", "name")[:255],
                description=_text(line, "Description")[:4000],
                amount=-amount if negative else amount,
            )
        )
    return JobCostDocument(
        kind=KIND_OF_ENTITY[entity],
        erp_id=_text(document, "Id"),
        date=_date(_text(document, "TxnDate")),
        number=_text(document, "DocNumber")[:30],
        vendor_erp_id=vendor_id,
        vendor_name=vendor_name[:500],
        lines=tuple(lines),
    )


def bill_from_qbo(document: dict, *, voided: bool) -> BillSummary:
    stated = document.get("TotalAmt")
    total = cents(as_decimal(stated)) if stated is not None else document_total(document)
    tax = cents(as_decimal(_text(document, "TxnTaxDetail", "TotalTax") or 0))
    return BillSummary(
        erp_id=_text(document, "Id"),
        vendor_erp_id=_text(document, "VendorRef", "value"),
        number=_text(document, "DocNumber")[:50],
        billed_on=_date(_text(document, "TxnDate")),
        total=total,
        pre_tax_total=total - tax,
        balance=cents(as_decimal(document.get("Balance") or 0)),
        is_voided=voided,
    )


def payment_from_qbo(document: dict) -> ImportedPayment:
    return ImportedPayment(
        erp_id=_text(document, "Id"), allocations=tuple(payment_allocations(document))
    )


def payment_allocations(document: dict) -> list[PaymentAllocation]:
    """How much of each bill a BillPayment pays, summed per bill.

    A bill's line is what its Balance went down by, vendor credits applied included; a voided
    payment has no lines (or zero amounts) and pays nothing.
    """
    paid: dict[str, Decimal] = {}
    for line in document.get("Line") or []:
        for link in line.get("LinkedTxn") or []:
            if link.get("TxnType") == "Bill" and _text(link, "TxnId"):
                bill_id = _text(link, "TxnId")
                paid[bill_id] = paid.get(bill_id, Decimal(0)) + as_decimal(line.get("Amount") or 0)
    method = _payment_method(document)
    return [
        PaymentAllocation(
            payment_id=_text(document, "Id"),
            bill_id=bill_id,
            amount=cents(amount),
            paid_on=_date(_text(document, "TxnDate")),
            method=method,
        )
        for bill_id, amount in paid.items()
        if cents(amount) != 0
    ]


def _payment_method(document: dict) -> str:
    """How the bills were settled: by check or card, by vendor credits applied, or both."""
    pay_type = _text(document, "PayType")
    cash = _PAY_METHODS.get(pay_type, pay_type)
    credited = any(
        link.get("TxnType") == "VendorCredit" and as_decimal(line.get("Amount") or 0) != 0
        for line in document.get("Line") or []
        for link in line.get("LinkedTxn") or []
    )
    if not credited:
        return cash[:50]
    if as_decimal(document.get("TotalAmt") or 0) == 0:
        return _VENDOR_CREDIT
    return f"{cash} and {_VENDOR_CREDIT.lower()}"[:50]
