"""A bill's lines linked to the purchase-order lines they bill, checked and repaired.

QuickBooks links a bill to a purchase order only line by line (`LinkedTxn` with `TxnLineId` on
each bill line) and saves a bill whose links it cannot use without them and without a word. So
the bill it answers is read back: a billed line without its link is linked again, and since
QuickBooks links an existing bill only through a new line, those lines are sent again without
their Id. Nothing here may fail the export: the bill exists, and a failed record would invite a
second one. What cannot be linked is said in a sentence the approvers see on the record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from integrations.base import ERPError
from integrations.quickbooks_online import mapping

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkCheck:
    bill: dict
    problem: str = ""


def links_order_line(bill_line: dict, purchase_order_id: str) -> bool:
    return any(
        link.get("TxnType") == "PurchaseOrder"
        and str(link.get("TxnId")) == str(purchase_order_id)
        and link.get("TxnLineId")
        for link in bill_line.get("LinkedTxn") or []
    )


def unlinked_positions(bill: dict, billed_lines: list, purchase_order_id: str) -> list[int]:
    """Positions (from 0) of the billed lines whose bill line has no link to the order."""
    bill_lines = mapping.document_lines(bill)
    return [
        position
        for position in range(len(billed_lines))
        if position >= len(bill_lines)
        or not links_order_line(bill_lines[position], purchase_order_id)
    ]


def expected_description(invoice_line) -> str:
    if invoice_line.commitment_line is not None:
        return mapping.commitment_line_description(invoice_line.commitment_line)
    change_line = invoice_line.change_order_line
    return mapping.change_order_line_description(change_line.change_order, change_line)


def order_line_for(invoice_line, purchase_order: dict) -> str | None:
    """The purchase-order line an invoice line bills: the one its export recorded, else the
    only line with its cost code and description."""
    schedule_line = invoice_line.schedule_line
    item_id = str(schedule_line.cost_code.erp_id)
    order_lines = mapping.document_lines(purchase_order)

    def item_of(order_line: dict) -> str:
        detail = order_line.get(order_line.get("DetailType"), {})
        return str((detail.get("ItemRef") or {}).get("value", ""))

    recorded = str(schedule_line.erp_line_id or "")
    for order_line in order_lines:
        if recorded and str(order_line.get("Id")) == recorded and item_of(order_line) == item_id:
            return recorded
    description = mapping.clean_description(expected_description(invoice_line))
    candidates = [
        str(order_line["Id"])
        for order_line in order_lines
        if item_of(order_line) == item_id
        and str(order_line.get("Description", "")).strip() == description
    ]
    return candidates[0] if len(candidates) == 1 else None


def order_line_ids(*, client, billed_lines: list, purchase_order_id: str) -> dict[int, str]:
    """Before the create, the order lines of billed lines whose export left no line id (an order
    linked rather than created, or exported before line ids were kept): one read of the order,
    so the bill links from its creation. {invoice line pk: order line id}."""
    if not purchase_order_id or all(line.schedule_line.erp_line_id for line in billed_lines):
        return {}
    purchase_order = client.read("PurchaseOrder", purchase_order_id)
    found = {line.pk: order_line_for(line, purchase_order) for line in billed_lines}
    return {pk: line_id for pk, line_id in found.items() if line_id}


def check_and_repair(
    *, client, bill: dict, billed_lines: list, purchase_order_id: str, request_id: str
) -> LinkCheck:
    """The bill as QuickBooks holds it once every billed line that can be linked is linked."""
    missing = unlinked_positions(bill, billed_lines, purchase_order_id)
    if not missing or not purchase_order_id:
        return LinkCheck(bill)
    order_number = ""
    try:
        purchase_order = client.read("PurchaseOrder", purchase_order_id)
        order_number = str(purchase_order.get("DocNumber", ""))
        targets = {
            position: order_line_for(billed_lines[position], purchase_order) for position in missing
        }
        repairable = {position: line for position, line in targets.items() if line}
        if repairable:
            bill = client.update(
                "Bill",
                _relinked(bill, repairable, purchase_order_id),
                request_id=request_id,
                sparse=True,
            )
    except ERPError as error:
        logger.warning("Bill %s: linking its purchase order failed: %s", bill.get("Id"), error)
    still_missing = unlinked_positions(bill, billed_lines, purchase_order_id)
    if not still_missing:
        return LinkCheck(bill)
    return LinkCheck(bill, not_linked_sentence(bill, billed_lines, still_missing, order_number))


def _relinked(bill: dict, repairable: dict[int, str], purchase_order_id: str) -> dict:
    expense_positions = [
        index
        for index, line in enumerate(bill.get("Line", []))
        if line.get("DetailType") in mapping.EXPENSE_LINE_DETAILS
    ]
    lines = [dict(line) for line in bill.get("Line", [])]
    for position, order_line_id in repairable.items():
        index = expense_positions[position]
        line = {key: value for key, value in lines[index].items() if key not in ("Id", "LineNum")}
        line["LinkedTxn"] = [
            {
                "TxnId": str(purchase_order_id),
                "TxnType": "PurchaseOrder",
                "TxnLineId": order_line_id,
            }
        ]
        lines[index] = line
    return {"Id": bill["Id"], "SyncToken": bill["SyncToken"], "sparse": True, "Line": lines}


def not_linked_sentence(bill: dict, billed_lines: list, positions: list[int], order: str) -> str:
    labels = ", ".join(billed_lines[position].label for position in positions)
    order_text = f"its purchase order {order}" if order else "its purchase order"
    return (
        f"Not linked to {order_text} in QuickBooks Online: bill "
        f"{bill.get('DocNumber') or bill.get('Id')}, line(s) {labels}. QuickBooks leaves those "
        "amounts open on the purchase order. Link the lines there (open the bill and add the "
        "purchase order from the side panel); this notice clears at the next sync that sees "
        "them linked."
    )
