"""A Xero payload told in an accountant's words, for the decision pages.

Read off the very payload the export sends, so what the page shows is what Xero receives, in
Xero's nouns (contact, tracking option, account, tax rate). Names come from the record and the
connection's settings, never from a call to Xero.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from integrations.describe import DescribedLine, DocumentDescription, Reference
from integrations.xero import mapping
from money import cents

ERP_NAME = "Xero"
TAX_SENTENCES = {
    "Exclusive": "Amounts are before tax: Xero adds the tax of each line's tax rate.",
    "Inclusive": "Amounts include tax: Xero works out the tax within each line's tax rate.",
    "NoTax": "",
}


def contact(payload: dict) -> DocumentDescription:
    address = ", ".join(
        value
        for key, value in ((payload.get("Addresses") or [{}])[0]).items()
        if key != "AddressType"
    )
    tax_number = payload.get("TaxNumber", "")
    details = (
        ("Email", payload.get("EmailAddress", "")),
        ("Phone", ((payload.get("Phones") or [{}])[0]).get("PhoneNumber", "")),
        ("Address", address),
        ("Tax number", f"ends in {tax_number[-4:]}" if tax_number else ""),
    )
    return DocumentDescription(
        kind="contact",
        erp_name=ERP_NAME,
        name=payload["Name"],
        details=tuple((label, value) for label, value in details if value),
    )


def tracking_option(payload: dict, *, category_name: str) -> DocumentDescription:
    return DocumentDescription(
        kind="tracking option",
        erp_name=ERP_NAME,
        name=payload["Name"],
        details=(("Tracking category", category_name),) if category_name else (),
    )


class Names:
    """How the accountant knows what a payload refers to by id or code."""

    def __init__(self, *, vendor, project, cost_codes, settings: dict, option_name: str):
        self.vendor = vendor
        self.project = project
        self.cost_codes = {code.code: code for code in cost_codes}
        self.settings = settings
        self.option_name = option_name

    def line(self, line: dict) -> DescribedLine:
        item = line.get("ItemCode", "")
        code = self.cost_codes.get(item)
        tracked = bool(line.get("Tracking"))
        account = line.get("AccountCode", "")
        if item:
            what = Reference(f"item {item}, account {account}", item)
        else:
            what = Reference(f"account {account} (retainage)", account)
        return DescribedLine(
            description=line["Description"],
            amount=cents(line["LineAmount"]),
            cost_code=str(code) if code else "",
            item_or_account=what,
            job=Reference(self.option_name, self.project.erp_id) if tracked else None,
            tax_code=line.get("TaxType", ""),
            quantity=mapping.as_decimal(line["Quantity"]) if item else None,
            unit_cost=mapping.as_decimal(line["UnitAmount"]) if item else None,
        )


def _lines(payload: dict, names: Names) -> tuple[DescribedLine, ...]:
    return tuple(names.line(line) for line in payload.get("LineItems") or [])


def purchase_order(payload: dict, names: Names) -> DocumentDescription:
    return DocumentDescription(
        kind="purchase order",
        erp_name=ERP_NAME,
        party_label="Contact",
        party=Reference(names.vendor.name, names.vendor.erp_id),
        job=Reference(names.option_name, names.project.erp_id),
        number=payload["PurchaseOrderNumber"],
        currency=payload.get("CurrencyCode", ""),
        details=(("Reference", payload.get("Reference", "")), ("Status", "Approved")),
        lines=_lines(payload, names),
        tax=TAX_SENTENCES.get(payload.get("LineAmountTypes", ""), ""),
        total=mapping.lines_total(payload),
    )


def change_order(
    added: list[dict], before: list[dict], *, number: str, names: Names, amounts_and_tax: str
) -> DocumentDescription:
    return DocumentDescription(
        kind="purchase order",
        erp_name=ERP_NAME,
        party_label="Contact",
        party=Reference(names.vendor.name, names.vendor.erp_id),
        job=Reference(names.option_name, names.project.erp_id),
        number=number,
        details=(("Change", "Lines appended; every existing line is kept with its line id"),),
        lines=tuple(names.line(line) for line in added),
        tax=TAX_SENTENCES.get(amounts_and_tax, ""),
        total=mapping.lines_total({"LineItems": added}),
        before_lines=tuple(names.line(line) for line in before),
        before_total=mapping.lines_total({"LineItems": before}),
    )


def bill(
    payload: dict, names: Names, *, withheld: Decimal, released: Decimal, order_number: str
) -> DocumentDescription:
    status = "Approved (AUTHORISED)" if payload["Status"] == "AUTHORISED" else "Draft"
    return DocumentDescription(
        kind="bill",
        erp_name=ERP_NAME,
        party_label="Contact",
        party=Reference(names.vendor.name, names.vendor.erp_id),
        job=Reference(names.option_name, names.project.erp_id),
        number=payload["InvoiceNumber"],
        date=_date(payload["Date"]),
        currency=payload.get("CurrencyCode", ""),
        details=(
            ("Due", payload.get("DueDate", "")),
            ("Status", status),
            ("Purchase order", order_number),
        ),
        lines=_lines(payload, names),
        retainage_withheld=withheld or None,
        retainage_released=released or None,
        tax=TAX_SENTENCES.get(payload.get("LineAmountTypes", ""), ""),
        total=mapping.lines_total(payload),
    )


def _date(text: str) -> date:
    return date.fromisoformat(text)
