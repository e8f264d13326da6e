"""Our records → Xero JSON payloads. Pure: no database writes, no HTTP.

Callers pass records with their related rows loaded and a `Books` of what the connection's
settings say (tracking category, accounts, tax rates, how amounts carry tax). Amounts stay
Decimal to the wire (integrations.exact_json.to_json). Every line names its tax rate
(`TaxType`) and, except retainage, the project's tracking option: retainage is money still owed
to the subcontractor, held on a liability account, not a cost of the project.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from integrations.base import PermanentERPError
from integrations.documents import (
    change_order_group_description,
    change_order_groups,
    invoice_line_description,
)
from money import cents, plain_money

MAX_NAME = 255
MAX_OPTION_NAME = 100
MAX_NUMBER = 255
MAX_DESCRIPTION = 4000
MAX_AMOUNT = Decimal("999999999999.99")


class TotalMismatchError(PermanentERPError):
    """The document we built does not add up to our record's total; it is never sent."""


@dataclass(frozen=True)
class Books:
    """What the connection's settings say every document needs."""

    tracking_category_id: str = ""
    item_account_code: str = ""
    retainage_account_code: str = ""
    tax_type: str = ""
    retainage_tax_type: str = ""
    tax_types_by_cost_code: dict[str, str] = field(default_factory=dict)
    line_amount_types: str = "Exclusive"
    bill_status: str = "AUTHORISED"
    base_currency: str = ""

    @classmethod
    def of(cls, settings: dict) -> Books:
        return cls(
            tracking_category_id=str(settings.get("tracking_category_id") or ""),
            item_account_code=str(settings.get("item_account_code") or ""),
            retainage_account_code=str(settings.get("retainage_account_code") or ""),
            tax_type=str(settings.get("tax_type") or ""),
            retainage_tax_type=str(settings.get("retainage_tax_type") or ""),
            tax_types_by_cost_code=dict(settings.get("tax_types_by_cost_code") or {}),
            line_amount_types=str(settings.get("line_amount_types") or "Exclusive"),
            bill_status=str(settings.get("bill_status") or "AUTHORISED"),
            base_currency=str(settings.get("base_currency") or ""),
        )

    def tax_type_for(self, cost_code) -> str:
        if self.line_amount_types == "NoTax":
            return ""
        return str(self.tax_types_by_cost_code.get(str(cost_code.pk)) or self.tax_type)

    def retainage_tax(self) -> str:
        return "" if self.line_amount_types == "NoTax" else self.retainage_tax_type


def as_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def plain_number(value: Decimal) -> Decimal:
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def single_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# Names ----------------------------------------------------------------------------------------


def option_name(project) -> str:
    """The tracking option of a project: its number and name, within Xero's 100 characters
    (the number is unique, so a shortened name stays unique)."""
    return single_line(f"{project.number} {project.name}")[:MAX_OPTION_NAME].strip()


def contact_name(company) -> str:
    return single_line(company.name)


# Name-list records ---------------------------------------------------------------------------


def tracking_option_payload(project) -> dict[str, Any]:
    return {"Name": option_name(project)}


def contact_payload(company) -> dict[str, Any]:
    payload: dict[str, Any] = {"Name": contact_name(company)}
    if company.email.strip():
        payload["EmailAddress"] = company.email.strip()
    if company.tax_id.strip():
        payload["TaxNumber"] = company.tax_id.strip()
    if company.phone.strip():
        payload["Phones"] = [{"PhoneType": "DEFAULT", "PhoneNumber": company.phone.strip()}]
    address = {
        key: single_line(value)
        for key, value in (
            ("AddressLine1", company.address_line1),
            ("City", company.city),
            ("Region", company.region),
            ("PostalCode", company.postal_code),
            ("Country", company.country),
        )
        if value and value.strip()
    }
    if address:
        payload["Addresses"] = [{"AddressType": "POBOX", **address}]
    return payload


def cost_code_item_payload(*, code: str, name: str, account_code: str) -> dict[str, Any]:
    """An item bought, not sold, booked to `account_code` (Xero's Code ≤ 30, Name ≤ 50)."""
    return {
        "Code": code[:30],
        "Name": single_line(name)[:50],
        "IsPurchased": True,
        "IsSold": False,
        "PurchaseDetails": {"AccountCode": account_code},
    }


# Documents -----------------------------------------------------------------------------------


def _tracking(books: Books, project) -> list[dict[str, str]]:
    return [{"TrackingCategoryID": books.tracking_category_id, "TrackingOptionID": project.erp_id}]


def cost_line(
    books: Books,
    *,
    project,
    cost_code,
    description: str,
    amount: Decimal,
    quantity: Decimal | None = None,
    unit_cost: Decimal | None = None,
) -> dict[str, Any]:
    """A line charged to the project's tracking option, on the cost code's item."""
    if quantity is None or unit_cost is None:
        quantity, unit_cost = Decimal(1), cents(amount)
    line: dict[str, Any] = {
        "Description": (description.strip() or cost_code.name)[:MAX_DESCRIPTION],
        "Quantity": plain_number(quantity),
        "UnitAmount": plain_number(unit_cost),
        "ItemCode": cost_code.code,
        "AccountCode": books.item_account_code,
        "LineAmount": cents(amount),
        "Tracking": _tracking(books, project),
    }
    tax_type = books.tax_type_for(cost_code)
    if tax_type:
        line["TaxType"] = tax_type
    return line


def retainage_line(books: Books, *, description: str, amount: Decimal) -> dict[str, Any]:
    """Retainage on the liability account: no item, no tracking (not a cost of the project)."""
    line: dict[str, Any] = {
        "Description": description,
        "Quantity": Decimal(1),
        "UnitAmount": cents(amount),
        "AccountCode": books.retainage_account_code,
        "LineAmount": cents(amount),
    }
    if books.retainage_tax():
        line["TaxType"] = books.retainage_tax()
    return line


def purchase_order_payload(commitment, books: Books) -> dict[str, Any]:
    lines = [
        cost_line(
            books,
            project=commitment.project,
            cost_code=line.cost_code,
            description=line.description,
            amount=line.amount,
            quantity=line.quantity,
            unit_cost=line.unit_cost,
        )
        for line in commitment.lines.all()
    ]
    payload: dict[str, Any] = {
        "PurchaseOrderNumber": commitment.number,
        "Contact": {"ContactID": commitment.vendor.erp_id},
        "Reference": single_line(commitment.title)[:255],
        "Status": "AUTHORISED",
        "LineAmountTypes": books.line_amount_types,
        "CurrencyCode": commitment.currency,
        "LineItems": lines,
    }
    if commitment.posting_date:
        payload["Date"] = commitment.posting_date.isoformat()
    return payload


def change_order_added_lines(change_order, books: Books) -> list[dict[str, Any]]:
    commitment = change_order.commitment
    return [
        cost_line(
            books,
            project=commitment.project,
            cost_code=group[0].cost_code,
            description=change_order_group_description(change_order, group),
            amount=sum((cents(line.amount) for line in group), Decimal("0.00")),
        )
        for group in change_order_groups(change_order)
    ]


def kept_line(line: dict) -> dict[str, Any]:
    """A line read from Xero, resent as it is so Xero keeps it (by its LineItemID)."""
    kept = {
        key: line[key]
        for key in (
            "LineItemID",
            "Description",
            "Quantity",
            "UnitAmount",
            "ItemCode",
            "AccountCode",
            "TaxType",
            "LineAmount",
        )
        if line.get(key) not in (None, "")
    }
    tracking = [
        {"TrackingCategoryID": t["TrackingCategoryID"], "TrackingOptionID": t["TrackingOptionID"]}
        for t in line.get("Tracking") or []
        if t.get("TrackingCategoryID") and t.get("TrackingOptionID")
    ]
    if tracking:
        kept["Tracking"] = tracking
    return kept


def change_order_update_payload(change_order, books: Books, *, purchase_order: dict) -> dict:
    """The purchase order with every line it has (by LineItemID) and the change order's added."""
    return {
        "PurchaseOrderID": purchase_order["PurchaseOrderID"],
        "LineItems": [kept_line(line) for line in purchase_order.get("LineItems") or []]
        + change_order_added_lines(change_order, books),
    }


def change_order_total(change_order) -> Decimal:
    return sum((cents(line.amount) for line in change_order.lines.all()), Decimal("0.00"))


def bill_payload(invoice, books: Books) -> dict[str, Any]:
    """A pay application as an ACCPAY bill: one line per billed cost code on the project's
    tracking option, retainage withheld as one negative line on the retainage account, a
    retainage release as a positive one."""
    commitment = invoice.commitment
    lines = [
        cost_line(
            books,
            project=commitment.project,
            cost_code=line.schedule_line.cost_code,
            description=invoice_line_description(line),
            amount=line.gross_amount,
        )
        for line in invoice.lines.all()
        if cents(line.gross_amount) != 0
    ]
    withheld = invoice.totals().withheld
    if withheld:
        lines.append(
            retainage_line(
                books,
                description=f"Retainage withheld on invoice {invoice.number}",
                amount=-withheld,
            )
        )
    if invoice.is_retainage_release and cents(invoice.retainage_released):
        lines.append(
            retainage_line(
                books,
                description=f"Retainage released on {commitment.number} {commitment.title}",
                amount=invoice.retainage_released,
            )
        )
    posted = invoice.posting_date or invoice.billing_date
    return {
        "Type": "ACCPAY",
        "Contact": {"ContactID": commitment.vendor.erp_id},
        "InvoiceNumber": invoice.number,
        "Date": posted.isoformat(),
        "DueDate": (invoice.due_date or posted).isoformat(),
        "Status": books.bill_status,
        "LineAmountTypes": books.line_amount_types,
        "CurrencyCode": commitment.currency,
        "LineItems": lines,
    }


# Totals --------------------------------------------------------------------------------------


def lines_total(document: dict) -> Decimal:
    """The sum of a payload's (or a Xero document's) LineAmounts, to the cent."""
    return sum(
        (cents(as_decimal(line.get("LineAmount", 0))) for line in document.get("LineItems") or []),
        Decimal("0.00"),
    )


def ensure_total_matches(document: dict, expected: Decimal) -> None:
    total = lines_total(document)
    if total != cents(expected):
        raise TotalMismatchError(
            f"The Xero document would total {plain_money(total)}, but the record totals "
            f"{plain_money(expected)}, so nothing was sent. Please report this problem.",
            code="total_mismatch",
        )


def line_signatures(document: dict) -> list[tuple[str, str, str, Decimal]]:
    """(item, account, tracking option, amount) of each line, sorted: what a found document
    must book to be the one we approved."""
    signatures = []
    for line in document.get("LineItems") or []:
        options = sorted(str(t.get("TrackingOptionID", "")) for t in line.get("Tracking") or [])
        signatures.append(
            (
                str(line.get("ItemCode") or ""),
                str(line.get("AccountCode") or ""),
                ",".join(options),
                cents(as_decimal(line.get("LineAmount", 0))),
            )
        )
    return sorted(signatures)


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return format(as_decimal(value), "f")
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value
