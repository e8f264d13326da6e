"""Commitments, change orders and subcontractor invoices as QuickBooks Desktop's purchase
orders and bills, in qbXML 12.0 (pure: records in, documents and request elements out).

A document is a dict of qbXML elements in the schema's order (references by ListID, amounts
as Decimal): what an accept approves, what the decision page describes and what the request
sends are the same dict. Every line is job-costed to the project's job (CustomerRef), except
retainage: money still owed to the subcontractor, on the "Retainage" item whose account is a
liability, never a cost of the job.

Document numbers are never shortened: a number QuickBooks cannot hold is refused with a
sentence before anything is queued.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from lxml import etree

from integrations import documents
from money import cents

# qbXML 12.0: PurchaseOrderAdd/RefNumber STR11, BillAdd/RefNumber STR20, Memo STR4095.
MAX_ORDER_NUMBER = 11
MAX_BILL_NUMBER = 20
MAX_TEXT = 4095
RETAINAGE_ITEM = "Retainage"
LINE_TAGS = ("PurchaseOrderLineAdd", "ItemLineAdd", "PurchaseOrderLineMod")
NEW_LINE = "-1"
# Our attempt ids live in a name space of their own, so the same key always gives one GUID.
_ATTEMPTS = uuid.UUID("5f0c1d2e-9a7b-4c3d-8e1f-2a3b4c5d6e7f")


def attempt_guid(key: str) -> str:
    """The ExternalGUID an Add of export attempt `key` carries: a look-up after a lost answer
    tells the document this attempt added from one somebody else entered."""
    return "{" + str(uuid.uuid5(_ATTEMPTS, key)).upper() + "}"


def _ref(list_id: str) -> dict:
    return {"ListID": list_id}


def _text(text: str) -> str:
    return text.strip()[:MAX_TEXT]


def number_problems(what: str, document: str, number: str, limit: int) -> list[str]:
    """Why QuickBooks cannot hold `number` as the number of the `document` a `what` becomes."""
    number = number.strip()
    if len(number) <= limit:
        return []
    return [
        f"The {what} number '{number}' has {len(number)} characters; QuickBooks Desktop holds "
        f"at most {limit} in a {document}'s number, and it is never shortened here. Give the "
        f"{what} a number of {limit} characters or fewer, then send it again."
    ]


# Purchase orders -----------------------------------------------------------------------------


def _order_line(line, job_id: str) -> dict:
    element: dict = {
        "ItemRef": _ref(line.cost_code.erp_id),
        "Desc": _text(line.description or line.cost_code.name),
    }
    if line.quantity is not None and line.unit_cost is not None:
        element["Quantity"] = line.quantity
        element["Rate"] = line.unit_cost
    element["Amount"] = cents(line.amount)
    element["CustomerRef"] = _ref(job_id)
    return element


def purchase_order(commitment) -> dict:
    """A commitment as a PurchaseOrderAdd: one line per schedule-of-values line."""
    document: dict = {"VendorRef": _ref(commitment.vendor.erp_id)}
    if commitment.posting_date:
        document["TxnDate"] = commitment.posting_date.isoformat()
    document["RefNumber"] = commitment.number.strip()
    document["Memo"] = _text(
        f"{commitment.get_kind_display()} {commitment.number}: {commitment.title} (project "
        f"{commitment.project.number} {commitment.project.name})"
    )
    document["PurchaseOrderLineAdd"] = [
        _order_line(line, commitment.project.erp_id) for line in commitment.lines.all()
    ]
    return document


def change_order_lines(change_order) -> list[dict]:
    """The purchase-order lines a change order adds: the lines changing one commitment line
    summed into one, a deduction as a negative line, each marked with the change order."""
    job_id = change_order.commitment.project.erp_id
    return [
        {
            "TxnLineID": NEW_LINE,
            "ItemRef": _ref(group[0].cost_code.erp_id),
            "Desc": _text(documents.change_order_group_description(change_order, group)),
            "Amount": sum((cents(line.amount) for line in group), Decimal("0.00")),
            "CustomerRef": _ref(job_id),
        }
        for group in documents.change_order_groups(change_order)
    ]


def change_order(change_order, *, txn_id: str, edit_sequence: str, kept_line_ids) -> dict:
    """A PurchaseOrderMod appending the change order's lines: every line the order has now is
    named by its TxnLineID alone (QuickBooks deletes the lines a Mod does not name)."""
    kept = [{"TxnLineID": line_id} for line_id in kept_line_ids]
    return {
        "TxnID": txn_id,
        "EditSequence": edit_sequence,
        "PurchaseOrderLineMod": kept + change_order_lines(change_order),
    }


# Bills -------------------------------------------------------------------------------------


def _retainage_line(description: str, amount: Decimal) -> dict:
    return {"ItemRef": {"FullName": RETAINAGE_ITEM}, "Desc": description, "Amount": cents(amount)}


def bill(invoice) -> dict:
    """A pay application as a BillAdd: one line per billed line, job-costed and linked to the
    purchase-order line it bills (ItemLineAdd/LinkToTxn); retainage withheld as one negative
    line on the Retainage item, a release as a positive one."""
    commitment = invoice.commitment
    job_id = commitment.project.erp_id
    lines = []
    for line in invoice.lines.all():
        if not cents(line.gross_amount):
            continue
        billed = line.schedule_line
        element: dict = {
            "ItemRef": _ref(billed.cost_code.erp_id),
            "Desc": _text(documents.invoice_line_description(line)),
            "Amount": cents(line.gross_amount),
            "CustomerRef": _ref(job_id),
        }
        if billed.erp_line_id:
            element["LinkToTxn"] = {"TxnID": commitment.erp_id, "TxnLineID": billed.erp_line_id}
        lines.append(element)
    withheld = invoice.totals().withheld
    if withheld:
        lines.append(_retainage_line(f"Retainage withheld on invoice {invoice.number}", -withheld))
    if invoice.is_retainage_release and cents(invoice.retainage_released):
        lines.append(
            _retainage_line(
                f"Retainage released on {commitment.number} {commitment.title}",
                invoice.retainage_released,
            )
        )
    document: dict = {
        "VendorRef": _ref(commitment.vendor.erp_id),
        "TxnDate": (invoice.posting_date or invoice.billing_date).isoformat(),
    }
    if invoice.due_date:
        document["DueDate"] = invoice.due_date.isoformat()
    document["RefNumber"] = invoice.number.strip()
    kind = "Retainage release" if invoice.is_retainage_release else "Pay application"
    document["Memo"] = _text(
        f"{kind} {invoice.number} on {commitment.number} {commitment.title}, period "
        f"{invoice.period_start.isoformat()} to {invoice.period_end.isoformat()}"
    )
    document["ItemLineAdd"] = lines
    return document


def needs_retainage_item(document: dict) -> bool:
    return any(
        line["ItemRef"].get("FullName") == RETAINAGE_ITEM for line in document["ItemLineAdd"]
    )


def unlinked_lines(invoice) -> list[str]:
    """The labels of billed lines whose purchase-order line is not known here (the commitment
    was linked to an order made in QuickBooks): they are billed, not linked."""
    return [
        line.label
        for line in invoice.lines.all()
        if cents(line.gross_amount) and not line.schedule_line.erp_line_id
    ]


# Totals ------------------------------------------------------------------------------------


def lines_of(document: dict) -> list[dict]:
    return [line for tag in LINE_TAGS for line in document.get(tag, [])]


def lines_total(document: dict) -> Decimal:
    """The sum of the amounts the document's lines send (kept lines of a Mod send none)."""
    return sum(
        (cents(line["Amount"]) for line in lines_of(document) if "Amount" in line),
        Decimal("0.00"),
    )


# Requests ----------------------------------------------------------------------------------


def _number_text(tag: str, value: Decimal) -> str:
    if tag == "Amount":
        return f"{cents(value):f}"
    return f"{value.normalize():f}"


def _append(parent, tag: str, value) -> None:
    if isinstance(value, list):
        for item in value:
            _append(parent, tag, item)
        return
    element = etree.SubElement(parent, tag)
    if isinstance(value, dict):
        for child, child_value in value.items():
            _append(element, child, child_value)
    elif isinstance(value, Decimal):
        element.text = _number_text(tag, value)
    else:
        element.text = str(value)


def request(operation: str, document: dict, *, guid: str = "") -> str:
    """`operation` (PurchaseOrderAddRq, BillAddRq, PurchaseOrderModRq) carrying `document`;
    an Add carries `guid` as its ExternalGUID, where the schema puts it (before the lines)."""
    root = etree.Element(operation)
    body = etree.SubElement(root, operation.removesuffix("Rq"))
    for tag, value in document.items():
        if guid and tag in LINE_TAGS:
            etree.SubElement(body, "ExternalGUID").text = guid
            guid = ""
        _append(body, tag, value)
    return etree.tostring(root, encoding="unicode")


def query_by_number(operation: str, number: str) -> str:
    """PurchaseOrderQueryRq or BillQueryRq for the documents numbered `number` (any vendor's:
    the answer is narrowed to the vendor here), with their lines."""
    root = etree.Element(operation)
    etree.SubElement(root, "RefNumber").text = number
    etree.SubElement(root, "IncludeLineItems").text = "true"
    return etree.tostring(root, encoding="unicode")


def order_query(txn_id: str) -> str:
    """PurchaseOrderQueryRq for one purchase order with its lines and current EditSequence."""
    root = etree.Element("PurchaseOrderQueryRq")
    etree.SubElement(root, "TxnID").text = txn_id
    etree.SubElement(root, "IncludeLineItems").text = "true"
    return etree.tostring(root, encoding="unicode")


def retainage_item_query() -> str:
    root = etree.Element("ItemQueryRq")
    etree.SubElement(root, "FullName").text = RETAINAGE_ITEM
    return etree.tostring(root, encoding="unicode")


def retainage_item_add(account_full_name: str) -> str:
    """ItemOtherChargeAddRq for the Retainage item, posting to the retainage-payable account."""
    root = etree.Element("ItemOtherChargeAddRq")
    add = etree.SubElement(root, "ItemOtherChargeAdd")
    etree.SubElement(add, "Name").text = RETAINAGE_ITEM
    side = etree.SubElement(add, "SalesOrPurchase")
    etree.SubElement(side, "Desc").text = "Retainage held on subcontractor bills"
    account = etree.SubElement(side, "AccountRef")
    etree.SubElement(account, "FullName").text = account_full_name
    return etree.tostring(root, encoding="unicode")
