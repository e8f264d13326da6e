"""What became of an exported bill or purchase order in QuickBooks Online after the export.

Pure functions of the record and the document QuickBooks now holds (None when it is deleted):
the change-data-capture sync uses them to flag drift, and the unlink rule to decide whether
the document is gone. Amounts compare the expense lines, before any tax QuickBooks adds.
"""

from __future__ import annotations

from decimal import Decimal

from approvals.models import (
    Commitment,
    CommitmentChangeOrder,
    SubcontractorInvoice,
)
from approvals.states import ERPDrift
from integrations import change_orders_on_orders
from integrations.base import DocumentState
from integrations.quickbooks_online import mapping, order_links
from money import cents, plain_money

ENTITY_OF = {
    SubcontractorInvoice: "Bill",
    Commitment: "PurchaseOrder",
    # A change order's lines stand on its commitment's purchase order.
    CommitmentChangeOrder: "PurchaseOrder",
}


def line_signatures(document: dict) -> list[tuple]:
    """What each expense line books where, sorted: (job, item or account, amount) for a line on
    a job; (amount) alone for a line on none (retainage, whose item a setting may name)."""
    signatures = []
    for line in mapping.document_lines(document):
        detail = line.get(line.get("DetailType"), {})
        job = str((detail.get("CustomerRef") or {}).get("value") or "")
        booked = (detail.get("ItemRef") or detail.get("AccountRef") or {}).get("value")
        amount = cents(mapping.as_decimal(line.get("Amount", 0)))
        signatures.append((job, str(booked or ""), amount) if job else ("", "", amount))
    return sorted(signatures)


def is_voided(document: dict) -> bool:
    """QuickBooks voids a transaction by zeroing it and noting "Voided" on it."""
    note = str(document.get("PrivateNote", "")).casefold()
    return "TotalAmt" in document and _line_total(document) == 0 and "voided" in note


def state_of(record, document: dict | None) -> DocumentState:
    """Drift and unfinished links of a synced bill (invoice) or purchase order (commitment),
    or whether a synced change order's lines are still on its purchase order."""
    label = _label(record)
    if document is None or document.get("status") == "Deleted":
        return DocumentState(
            drift=ERPDrift.DELETED,
            note=f"{label} was deleted in QuickBooks Online.",
        )
    erp_amount = _line_total(document)
    if is_voided(document):
        return DocumentState(
            drift=ERPDrift.VOIDED,
            erp_amount=erp_amount,
            note=f"{label} was voided in QuickBooks Online.",
        )
    if isinstance(record, CommitmentChangeOrder):
        return _change_order_state(record, document)
    if isinstance(record, SubcontractorInvoice):
        expected, differences = _bill_differences(record, document)
        problem = _link_problem(record, document)
    else:
        expected, differences = _purchase_order_differences(record, document)
        problem = ""
    if erp_amount != expected:
        differences.insert(
            0, f"it comes to {plain_money(erp_amount)} where {plain_money(expected)} was approved"
        )
    if not differences:
        return DocumentState(problem=problem)
    return DocumentState(
        drift=ERPDrift.EDITED,
        erp_amount=erp_amount,
        note=f"{label} was changed in QuickBooks Online: " + "; ".join(differences) + ".",
        problem=problem,
    )


def _descriptions(document: dict) -> list[str]:
    return [str(line.get("Description", "")) for line in mapping.document_lines(document)]


def _change_order_state(change_order: CommitmentChangeOrder, document: dict) -> DocumentState:
    removed = change_orders_on_orders.removed_from_order(
        change_order, _descriptions(document), erp_name="QuickBooks Online"
    )
    return removed or DocumentState()


def _label(record) -> str:
    if isinstance(record, SubcontractorInvoice):
        return f"Bill {record.number}"
    if isinstance(record, CommitmentChangeOrder):
        return f"Change order {record.number}"
    return f"Purchase order {record.erp_doc_number or record.number}"


def _line_total(document: dict) -> Decimal:
    return mapping.document_total(document)


def _vendor_difference(document: dict, vendor) -> list[str]:
    erp_vendor = (document.get("VendorRef") or {}).get("value")
    if str(erp_vendor or "") != str(vendor.erp_id):
        name = (document.get("VendorRef") or {}).get("name") or erp_vendor
        return [f"its vendor is now '{name}', not '{vendor.name}'"]
    return []


def _bill_differences(invoice: SubcontractorInvoice, document: dict) -> tuple[Decimal, list]:
    approved = mapping.bill_payload(
        invoice, ap_account_id="", retainage_item_id="", purchase_order_id=""
    )
    expected = mapping.document_total(approved)
    differences = _vendor_difference(document, invoice.commitment.vendor)
    number = str(document.get("DocNumber") or "")
    if number.strip().casefold() != invoice.number.strip().casefold():
        differences.append(f"its number is now '{number}'")
    if str(document.get("TxnDate") or "") != approved["TxnDate"]:
        differences.append(f"it is dated {document.get('TxnDate')}, not {approved['TxnDate']}")
    differences += _line_differences(approved, document, expected)
    return expected, differences


def _line_differences(approved: dict, document: dict, expected: Decimal) -> list[str]:
    """Lines moved to another job or cost code, or amounts moved between lines: the total
    alone would not show it."""
    if _line_total(document) != expected:
        return []
    if line_signatures(approved) == line_signatures(document):
        return []
    return ["its lines were changed (job, cost code or amount per line; same total)"]


def _purchase_order_differences(commitment: Commitment, document: dict) -> tuple[Decimal, list]:
    approved = mapping.purchase_order_payload(commitment, ap_account_id="")
    for change_order in change_orders_on_orders.change_orders_standing(
        commitment, _descriptions(document)
    ):
        approved["Line"] += mapping.change_order_added_lines(change_order)
    expected = mapping.document_total(approved)
    differences = _vendor_difference(document, commitment.vendor)
    differences += _line_differences(approved, document, expected)
    return expected, differences


def _link_problem(invoice: SubcontractorInvoice, document: dict) -> str:
    billed = [line for line in invoice.lines.all() if cents(line.gross_amount)]
    order_id = invoice.commitment.erp_id
    missing = order_links.unlinked_positions(document, billed, order_id)
    if not missing or not order_id:
        return ""
    commitment = invoice.commitment
    order_number = commitment.erp_doc_number or commitment.number
    return order_links.not_linked_sentence(document, billed, missing, order_number)
