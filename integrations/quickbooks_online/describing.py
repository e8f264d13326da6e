"""A QuickBooks Online payload told in an accountant's words, for the decision pages.

Read off the very payload the export sends (the connector builds it with the mapping
functions), so what the page shows is what QuickBooks Online receives. Names come from the record
and the data kept here (its cost codes, the imported customers), never from QuickBooks.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from integrations.describe import DescribedLine, DocumentDescription, Reference
from integrations.quickbooks_online import mapping
from money import cents

ERP_NAME = "QuickBooks Online"
TAX_EXCLUDED = f"Amounts are before tax: {ERP_NAME} adds the purchase tax of each line's tax code."
RETAINAGE_ITEM = "Retainage"


def vendor(payload: dict) -> DocumentDescription:
    address = ", ".join(value for value in (payload.get("BillAddr") or {}).values() if value)
    tax_id = payload.get("TaxIdentifier", "")
    details = (
        ("Legal name", payload.get("CompanyName", "")),
        ("Email", (payload.get("PrimaryEmailAddr") or {}).get("Address", "")),
        ("Phone", (payload.get("PrimaryPhone") or {}).get("FreeFormNumber", "")),
        ("Address", address),
        ("Tax id", f"ends in {tax_id[-4:]}" if tax_id else ""),
        ("1099 reporting", "tracked" if payload.get("Vendor1099") else ""),
    )
    return DocumentDescription(
        kind="vendor",
        erp_name=ERP_NAME,
        name=payload["DisplayName"],
        details=tuple((label, value) for label, value in details if value),
    )


def job(payload: dict, *, customer_name: str) -> DocumentDescription:
    parent_id = payload["ParentRef"]["value"]
    address = (payload.get("ShipAddr") or {}).get("Line1", "")
    return DocumentDescription(
        kind="job",
        erp_name=ERP_NAME,
        name=payload["DisplayName"],
        party_label="Customer",
        party=Reference(customer_name or f"customer {parent_id}", parent_id) if parent_id else None,
        details=(("Address", address),) if address else (),
    )


class Names:
    """How the accountant knows what a payload refers to by id: the record's vendor and job,
    its cost codes (each a QuickBooks item), the retainage item and the payables account."""

    def __init__(
        self,
        *,
        vendor,
        project,
        cost_codes,
        retainage_item_id: str,
        retainage_configured: str,
        ap_account: str,
        home_currency: str,
    ):
        """`retainage_item_id` is how payloads name the retainage item (its id, or how the
        export finds it); `retainage_configured` its id when the settings name one."""
        self.vendor = Reference(vendor.name, vendor.erp_id) if vendor is not None else None
        self.job = Reference(mapping.job_display_name(project), project.erp_id)
        self.cost_codes = {code.erp_id: code for code in cost_codes if code.erp_id}
        self.retainage_item_id = retainage_item_id
        self.retainage_item = Reference(RETAINAGE_ITEM, retainage_configured)
        self.ap_account = ap_account
        self.home_currency = home_currency

    def line(self, line: dict) -> DescribedLine:
        detail = line[line["DetailType"]]
        item_id = str((detail.get("ItemRef") or {}).get("value", ""))
        code = self.cost_codes.get(item_id)
        item = None
        if code is not None:
            item = Reference(str(code), item_id)
        elif item_id and item_id == self.retainage_item_id:
            item = self.retainage_item
        elif item_id:
            item = Reference(f"item {item_id}", item_id)
        job_id = str((detail.get("CustomerRef") or {}).get("value", ""))
        return DescribedLine(
            description=line.get("Description", ""),
            amount=cents(line["Amount"]),
            cost_code=str(code) if code is not None else "",
            item_or_account=item,
            job=self.job if job_id and job_id == self.job.erp_id else None,
            tax_code=str((detail.get("TaxCodeRef") or {}).get("value", "")),
            quantity=_decimal(detail.get("Qty")),
            unit_cost=_decimal(detail.get("UnitPrice")),
        )

    def lines(self, payload: dict) -> tuple[DescribedLine, ...]:
        return tuple(self.line(line) for line in mapping.document_lines(payload))

    def header(self, payload: dict) -> dict:
        """What a purchase order and a bill say above their lines."""
        return {
            "erp_name": ERP_NAME,
            "party_label": "Vendor",
            "party": self.vendor,
            "job": self.job,
            "number": payload.get("DocNumber", ""),
            "date": date.fromisoformat(payload["TxnDate"]) if payload.get("TxnDate") else None,
            "currency": (payload.get("CurrencyRef") or {}).get("value") or self.home_currency,
            "tax": TAX_EXCLUDED if _taxed(payload) else "",
        }


def purchase_order(payload: dict, names: Names) -> DocumentDescription:
    return DocumentDescription(
        kind="purchase order",
        **names.header(payload),
        details=_present(("Accounts payable", names.ap_account), ("Memo", payload.get("Memo"))),
        lines=names.lines(payload),
        total=mapping.document_total(payload),
    )


def change_order(
    added: list[dict], before: list[dict], *, number: str, names: Names
) -> DocumentDescription:
    """The lines a change order adds to its purchase order, with that order as exported from
    here before them (`before`: its lines, then those of the change orders synced earlier)."""
    return DocumentDescription(
        kind="purchase order",
        **names.header({"DocNumber": number, "Line": added}),
        lines=names.lines({"Line": added}),
        total=mapping.document_total({"Line": added}),
        before_lines=names.lines({"Line": before}),
        before_total=mapping.document_total({"Line": before}),
    )


def bill(
    payload: dict,
    names: Names,
    *,
    withheld: Decimal,
    released: Decimal,
    purchase_order: Reference,
) -> DocumentDescription:
    return DocumentDescription(
        kind="bill",
        **names.header(payload),
        details=_present(
            ("Due", payload.get("DueDate")),
            ("Purchase order", str(purchase_order)),
            ("Accounts payable", names.ap_account),
        ),
        lines=names.lines(payload),
        retainage_withheld=withheld or None,
        retainage_released=released or None,
        total=mapping.document_total(payload),
    )


def _taxed(payload: dict) -> bool:
    return payload.get("GlobalTaxCalculation") == "TaxExcluded" or any(
        "TaxCodeRef" in line[line["DetailType"]] for line in mapping.document_lines(payload)
    )


def _present(*details: tuple[str, str | None]) -> tuple[tuple[str, str], ...]:
    return tuple((label, str(value)) for label, value in details if value)


def _decimal(value) -> Decimal | None:
    return None if value is None else mapping.as_decimal(value)
