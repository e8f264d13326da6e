"""What became of an exported bill or purchase order in Xero after the export.

Pure functions of the record and the document Xero now holds (None when it is gone): the
job-cost sync uses them to flag drift, as QuickBooks Online's does. Amounts compare the sum of
the lines (`LineAmount`), which is what we sent whatever the LineAmountTypes: Xero adds or
takes out the tax in its totals, never in the lines.

A bill's lines are its gross lines and a negative retainage line, so they come to the invoice's
net; a purchase order's come to the commitment's lines plus those its change orders added (the
synced ones, and one being exported whose lines are already there). A synced change order is
judged too: its lines removed from the purchase order, or their amounts changed, is drift.
"""

from __future__ import annotations

from decimal import Decimal

from approvals.models import Commitment, CommitmentChangeOrder, SubcontractorInvoice
from approvals.states import ERPDrift
from integrations import change_orders_on_orders, documents
from integrations.base import DocumentState
from integrations.data import DocumentKind
from integrations.xero import mapping
from money import cents, plain_money

KIND_OF_MODEL = {
    SubcontractorInvoice: DocumentKind.BILL,
    Commitment: DocumentKind.PURCHASE_ORDER,
    # A change order's lines stand on its commitment's purchase order (its erp_id).
    CommitmentChangeOrder: DocumentKind.PURCHASE_ORDER,
}
EXPORTED_KINDS = frozenset(KIND_OF_MODEL.values())


def models_of(kind: DocumentKind) -> list:
    return [model for model, of_kind in KIND_OF_MODEL.items() if of_kind == kind]


def line_total(document: dict) -> Decimal:
    return cents(
        sum(
            (Decimal(str(line.get("LineAmount") or 0)) for line in document.get("LineItems") or []),
            Decimal(0),
        )
    )


def state_of(record, document: dict | None) -> DocumentState:
    label = _label(record)
    status = str((document or {}).get("Status") or "")
    if document is None or status == "DELETED":
        return DocumentState(drift=ERPDrift.DELETED, note=f"{label} was deleted in Xero.")
    erp_amount = line_total(document)
    if status == "VOIDED":
        return DocumentState(
            drift=ERPDrift.VOIDED, erp_amount=erp_amount, note=f"{label} was voided in Xero."
        )
    if isinstance(record, CommitmentChangeOrder):
        return _change_order_state(record, document)
    if isinstance(record, SubcontractorInvoice):
        expected = record.totals().net
        vendor = record.commitment.vendor
        differences = _bill_differences(record, document)
    else:
        expected, differences = _order_differences(record, document)
        vendor = record.vendor
    differences = _contact_difference(document, vendor) + differences
    if erp_amount != expected:
        differences.insert(
            0, f"it comes to {plain_money(erp_amount)} where {plain_money(expected)} was approved"
        )
    if not differences:
        return DocumentState()
    return DocumentState(
        drift=ERPDrift.EDITED,
        erp_amount=erp_amount,
        note=f"{label} was changed in Xero: " + "; ".join(differences) + ".",
    )


def _label(record) -> str:
    if isinstance(record, SubcontractorInvoice):
        return f"Bill {record.number}"
    if isinstance(record, CommitmentChangeOrder):
        return f"Change order {record.number}"
    return f"Purchase order {record.erp_doc_number or record.number}"


def _contact_difference(document: dict, vendor) -> list[str]:
    contact = document.get("Contact") or {}
    if str(contact.get("ContactID") or "").lower() != str(vendor.erp_id).lower():
        name = contact.get("Name") or contact.get("ContactID") or "another contact"
        return [f"its contact is now '{name}', not '{vendor.name}'"]
    return []


def _bill_differences(invoice: SubcontractorInvoice, document: dict) -> list[str]:
    approved = mapping.bill_payload(invoice, mapping.Books.of(invoice.erp_connection.settings))
    differences = []
    number = str(document.get("InvoiceNumber") or "")
    if number.strip().casefold() != invoice.number.strip().casefold():
        differences.append(f"its number is now '{number}'")
    dated = str(document.get("DateString") or "")[:10]
    if dated and dated != approved["Date"]:
        differences.append(f"it is dated {dated}, not {approved['Date']}")
    return differences + _line_differences(approved, document)


def _line_differences(approved: dict, document: dict) -> list[str]:
    """Lines moved to another tracking option or item, or amounts moved between lines: the
    total alone would not show it."""
    same_total = line_total(document) == line_total(approved)
    if same_total and line_signatures(document) != line_signatures(approved):
        return ["its lines were changed (tracking option, item or amount per line; same total)"]
    return []


def line_signatures(document: dict) -> list[tuple[str, str, Decimal]]:
    """What each line books where, sorted: (tracking options, item, amount). The account is
    left out: it follows a setting here that may change after the export."""
    return sorted(
        (
            ",".join(
                sorted(
                    str(t.get("TrackingOptionID", "")).lower() for t in line.get("Tracking") or []
                )
            ),
            str(line.get("ItemCode") or "").casefold(),
            cents(Decimal(str(line.get("LineAmount") or 0))),
        )
        for line in document.get("LineItems") or []
    )


def _descriptions(document: dict) -> list[str]:
    return [str(line.get("Description", "")) for line in document.get("LineItems") or []]


def _order_differences(commitment: Commitment, document: dict) -> tuple[Decimal, list[str]]:
    books = mapping.Books.of(commitment.erp_connection.settings)
    approved = mapping.purchase_order_payload(commitment, books)
    for change_order in change_orders_on_orders.change_orders_standing(
        commitment, _descriptions(document)
    ):
        approved["LineItems"] += mapping.change_order_added_lines(change_order, books)
    return line_total(approved), _line_differences(approved, document)


def _change_order_state(change_order: CommitmentChangeOrder, document: dict) -> DocumentState:
    """The change order's lines on its purchase order: there, and each summing what it adds."""
    marker = documents.change_order_marker(change_order)
    removed = change_orders_on_orders.removed_from_order(
        change_order, _descriptions(document), erp_name="Xero"
    )
    if removed is not None:
        return removed
    on_the_order = [
        line
        for line in document.get("LineItems") or []
        if str(line.get("Description", "")).startswith(marker)
    ]
    found = sorted(cents(Decimal(str(line.get("LineAmount") or 0))) for line in on_the_order)
    approved = sorted(
        cents(sum((line.amount for line in group), Decimal(0)))
        for group in documents.change_order_groups(change_order)
    )
    if found == approved:
        return DocumentState()
    erp_amount = cents(sum(found, Decimal(0)))
    order = change_order.commitment
    return DocumentState(
        drift=ERPDrift.EDITED,
        erp_amount=erp_amount,
        note=f"The lines of change order {change_order.number} on purchase order "
        f"{order.erp_doc_number or order.number} were changed in Xero: they come to "
        f"{plain_money(erp_amount)} where {plain_money(cents(sum(approved, Decimal(0))))} "
        "was approved.",
    )
