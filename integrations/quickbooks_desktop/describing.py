"""A QuickBooks Desktop purchase order, change or bill told in an accountant's words, for the
decision pages: read off the very document the export sends (integrations/quickbooks_desktop/
purchases.py), with names from the record and the data kept here, never from QuickBooks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from integrations.describe import DescribedLine, DocumentDescription, Reference
from integrations.quickbooks_desktop import mapping, purchases

ERP_NAME = "QuickBooks Desktop"


class Names:
    """How the accountant knows what a document refers to by ListID: the record's vendor and
    job, its cost codes (each a QuickBooks item) and the Retainage item."""

    def __init__(self, *, vendor, project, cost_codes):
        self.vendor = Reference(vendor.name, vendor.erp_id)
        self.job = Reference(mapping.job_name(project), project.erp_id)
        self.cost_codes = {code.erp_id: code for code in cost_codes if code.erp_id}

    def line(self, line: dict) -> DescribedLine:
        item = line["ItemRef"]
        code = self.cost_codes.get(item.get("ListID", ""))
        if code is not None:
            reference = Reference(str(code), code.erp_id)
        else:
            reference = Reference(item.get("FullName") or f"item {item.get('ListID')}")
        job_id = (line.get("CustomerRef") or {}).get("ListID", "")
        return DescribedLine(
            description=line["Desc"],
            amount=line["Amount"],
            cost_code=str(code) if code is not None else "",
            item_or_account=reference,
            job=self.job if job_id and job_id == self.job.erp_id else None,
            quantity=line.get("Quantity"),
            unit_cost=line.get("Rate"),
        )

    def lines(self, lines: list[dict]) -> tuple[DescribedLine, ...]:
        return tuple(self.line(line) for line in lines)

    def header(self, document: dict) -> dict:
        day = document.get("TxnDate")
        return {
            "erp_name": ERP_NAME,
            "party_label": "Vendor",
            "party": self.vendor,
            "job": self.job,
            "number": document.get("RefNumber", ""),
            "date": date.fromisoformat(day) if day else None,
        }


def purchase_order(document: dict, names: Names) -> DocumentDescription:
    return DocumentDescription(
        kind="purchase order",
        **names.header(document),
        details=(("Memo", document["Memo"]),),
        lines=names.lines(document["PurchaseOrderLineAdd"]),
        total=purchases.lines_total(document),
    )


def change_order(
    added: list[dict], before: list[dict], *, number: str, names: Names
) -> DocumentDescription:
    """The lines a change order adds to its purchase order, after that order as exported from
    here (`before`: its lines, then those of the change orders synced earlier)."""
    return DocumentDescription(
        kind="purchase order",
        **names.header({"RefNumber": number}),
        lines=names.lines(added),
        total=_total(added),
        before_lines=names.lines(before),
        before_total=_total(before),
    )


def bill(
    document: dict, names: Names, *, withheld: Decimal, released: Decimal, purchase_order
) -> DocumentDescription:
    details = [("Due", document.get("DueDate", "")), ("Purchase order", str(purchase_order))]
    details.append(("Memo", document["Memo"]))
    return DocumentDescription(
        kind="bill",
        **names.header(document),
        details=tuple((label, value) for label, value in details if value),
        lines=names.lines(document["ItemLineAdd"]),
        retainage_withheld=withheld or None,
        retainage_released=released or None,
        total=purchases.lines_total(document),
    )


def _total(lines: list[dict]) -> Decimal:
    return sum((line["Amount"] for line in lines), Decimal("0.00"))
