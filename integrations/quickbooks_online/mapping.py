"""Our records → QuickBooks Online JSON payloads. Pure: no database writes, no HTTP.

Callers pass records with their related rows already loaded (select_related / prefetch_related)
and the QuickBooks ids that are not stored on our records (AP account, retainage item, the
purchase order as read from QuickBooks). Amounts stay `Decimal` all the way to the wire:
the client writes them as exact JSON numbers (integrations.exact_json.to_json), so no amount
passes through a float.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from integrations.base import PermanentERPError
from integrations.documents import change_order_marker, invoice_line_description
from money import cents, plain_money

MAX_DISPLAY_NAME = 500
MAX_COMPANY_NAME = 100
MAX_DOC_NUMBER = 21
MAX_ITEM_NAME = 100
MAX_DESCRIPTION = 4000
MAX_EMAIL = 100
FORBIDDEN_NAME_CHARACTERS = {
    ":": "a colon",
    "\t": "a tab",
    "\n": "a line break",
    "\r": "a line break",
}
# QuickBooks' BillAddr parts and the company fields they come from.
VENDOR_ADDRESS_PARTS = (
    ("Line1", "address_line1"),
    ("City", "city"),
    ("CountrySubDivisionCode", "region"),
    ("PostalCode", "postal_code"),
    ("Country", "country"),
)
ITEM_LINE = "ItemBasedExpenseLineDetail"
EXPENSE_LINE_DETAILS = (ITEM_LINE, "AccountBasedExpenseLineDetail")


class TotalMismatchError(PermanentERPError):
    """The document we built does not add up to our record's total; it is never sent."""


# QuickBooks stores amounts in a 10.5 format: at most ten digits before the decimal point.
MAX_AMOUNT = Decimal("9999999999.99")


def as_decimal(value: Any) -> Decimal:
    """A JSON number from QuickBooks as Decimal; floats go through their shortest text form."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def _ref(value: str) -> dict[str, str]:
    return {"value": str(value)}


def _clean_name(text: str) -> str:
    """A name QuickBooks accepts: colons become dashes, tabs and line breaks become spaces."""
    text = re.sub(r"\s*:\s*", " - ", text)
    return re.sub(r"\s+", " ", text).strip()


def plain_number(value: Decimal) -> Decimal:
    """Quantities and unit prices without trailing zeros ("12.5", not "12.5000")."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def clean_description(text: str) -> str:
    return text.strip()[:MAX_DESCRIPTION]


# Names


def job_display_name(project) -> str:
    """Unique among jobs because project numbers are unique; cleaned of forbidden characters."""
    return _clean_name(f"{project.number} {project.name}")


def vendor_display_name(company) -> str:
    return company.name.strip()


def vendor_company_name(company) -> str:
    return (company.legal_name or company.name).strip()


def forbidden_characters(text: str) -> list[str]:
    """Words for the characters QuickBooks refuses in names, in a stable order, no repeats."""
    found = []
    for character, words in FORBIDDEN_NAME_CHARACTERS.items():
        if character in text and words not in found:
            found.append(words)
    return found


# Name-list records


def project_job_payload(project, *, parent_customer_id: str) -> dict[str, Any]:
    """A sub-customer Job under the customer chosen at accept, billed with its parent."""
    payload: dict[str, Any] = {
        "DisplayName": job_display_name(project),
        "Job": True,
        "ParentRef": _ref(parent_customer_id),
        "BillWithParent": True,
    }
    if project.address.strip():
        payload["ShipAddr"] = {"Line1": project.address.strip()}
    return payload


def vendor_payload(company, *, track_1099: bool = False) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "DisplayName": vendor_display_name(company),
        "CompanyName": vendor_company_name(company),
    }
    if company.email:
        payload["PrimaryEmailAddr"] = {"Address": company.email.strip()}
    if company.phone:
        payload["PrimaryPhone"] = {"FreeFormNumber": company.phone.strip()}
    address = {key: value for key, value in _vendor_address(company).items() if value}
    if address:
        payload["BillAddr"] = address
    if company.tax_id:
        payload["TaxIdentifier"] = company.tax_id.strip()
    if track_1099:
        payload["Vendor1099"] = True
    return payload


def _vendor_address(company) -> dict[str, str]:
    """The company's address as QuickBooks' BillAddr (the remit-to address printed on checks),
    every part present, empty ones as ""."""
    return {part: getattr(company, field).strip() for part, field in VENDOR_ADDRESS_PARTS}


def _address_with(stored: dict, changed_parts: dict[str, str]) -> dict:
    """The vendor's BillAddr as QuickBooks holds it, with only the approved parts changed: an
    address goes whole in an update, and the parts nobody approved (a second line, a city
    someone corrected in QuickBooks) must stay as they are."""
    address = {key: value for key, value in stored.items() if key not in changed_parts}
    address.update({part: value for part, value in changed_parts.items() if value})
    return address


# What a sparse update sends to empty a field: one it is not sent keeps its value.
_CLEARED_VENDOR_FIELDS: dict[str, Any] = {
    "PrimaryEmailAddr": {"Address": ""},
    "PrimaryPhone": {"FreeFormNumber": ""},
    "TaxIdentifier": "",
    "Vendor1099": False,
}


# A vendor's payee name on checks: QuickBooks fills it from the display name, at most 100 characters.
CHECK_NAME_LIMIT = 100


def vendor_update_payload(
    before, after, *, vendor: dict, track_1099_before: bool = False, track_1099_after: bool = False
) -> dict[str, Any]:
    """Sparse update of `vendor` (as just read: its Id, SyncToken and address) from company
    `before` to company `after`: only the fields whose mapping differs, so whatever else
    QuickBooks holds for the vendor is kept. The address goes whole (QuickBooks replaces it)
    but as QuickBooks holds it with only the changed parts changed; an emptied field goes
    empty."""
    old = vendor_payload(before, track_1099=track_1099_before)
    new = vendor_payload(after, track_1099=track_1099_after)
    payload: dict[str, Any] = {"Id": str(vendor["Id"]), "SyncToken": str(vendor["SyncToken"])}
    for key in [*new, *(key for key in old if key not in new)]:
        if key == "BillAddr" or old.get(key) == new.get(key):
            continue
        payload[key] = new[key] if key in new else _CLEARED_VENDOR_FIELDS[key]
    changed_parts = {
        part: value
        for part, value in _vendor_address(after).items()
        if value != _vendor_address(before)[part]
    }
    if changed_parts:
        payload["BillAddr"] = _address_with(vendor.get("BillAddr") or {}, changed_parts)
    renamed = payload.get("DisplayName")
    if renamed and vendor.get("PrintOnCheckName") == old["DisplayName"][:CHECK_NAME_LIMIT]:
        # QuickBooks prints checks to this name and keeps it on a rename; it follows the new name
        # unless an accountant chose another payee name in QuickBooks.
        payload["PrintOnCheckName"] = renamed[:CHECK_NAME_LIMIT]
    payload["sparse"] = True
    return payload


# Transactions


# Retainage lines carry no job: the money is owed to the vendor (a liability), and the job's
# cost is the gross work billed, in QuickBooks' job reports and in the job costs we pull back.
RETAINAGE_IS_NOT_A_JOB_COST = ""


def _item_line(
    *,
    amount: Decimal,
    description: str,
    item_id: str,
    job_id: str,
    qty=None,
    unit_price=None,
    linked: dict | None = None,
) -> dict[str, Any]:
    detail: dict[str, Any] = {"ItemRef": _ref(item_id)}
    if job_id:
        detail["CustomerRef"] = _ref(job_id)
    detail["BillableStatus"] = "NotBillable"
    if qty is not None and unit_price is not None:
        detail["Qty"] = plain_number(qty)
        detail["UnitPrice"] = plain_number(unit_price)
    line = {
        "Description": clean_description(description),
        "Amount": cents(amount),
        "DetailType": ITEM_LINE,
        ITEM_LINE: detail,
    }
    if linked:
        line["LinkedTxn"] = [linked]
    return line


def commitment_line_description(line) -> str:
    return line.description.strip() or line.cost_code.name


def purchase_order_payload(commitment, *, ap_account_id: str) -> dict[str, Any]:
    """A subcontract or purchase order as a QuickBooks PurchaseOrder, one line per SOV line."""
    job_id = commitment.project.erp_id
    lines = [
        _item_line(
            amount=line.amount,
            description=commitment_line_description(line),
            item_id=line.cost_code.erp_id,
            job_id=job_id,
            qty=line.quantity,
            unit_price=line.unit_cost,
        )
        for line in commitment.lines.all()
    ]
    dated = {"TxnDate": commitment.posting_date.isoformat()} if commitment.posting_date else {}
    return {
        "DocNumber": commitment.number,
        "VendorRef": _ref(commitment.vendor.erp_id),
        "APAccountRef": _ref(ap_account_id),
        **dated,
        "POStatus": "Open",
        "Memo": commitment.title.strip(),
        "PrivateNote": (
            f"{commitment.get_kind_display()} {commitment.number}: {commitment.title.strip()} "
            f"(project {commitment.project.number} {commitment.project.name})"
        ),
        "Line": lines,
    }


def change_order_line_description(change_order, line) -> str:
    text = line.description.strip() or line.cost_code.name
    if line.commitment_line_id is not None:
        text = f"change to line {line.commitment_line.position}, {text}"
    return f"{change_order_marker(change_order)} {text}"


def _with_decimals(value: Any) -> Any:
    """A structure read from QuickBooks with every float turned into an exact Decimal."""
    if isinstance(value, float):
        return as_decimal(value)
    if isinstance(value, dict):
        return {key: _with_decimals(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_decimals(item) for item in value]
    return value


def _kept_line(line: dict) -> dict:
    kept = _with_decimals(line)
    if "Amount" in kept:
        kept["Amount"] = cents(kept["Amount"])
    return kept


def change_order_update_payload(change_order, *, purchase_order: dict) -> dict[str, Any]:
    """Sparse update of the commitment's PurchaseOrder: its current lines (with their Ids, so
    QuickBooks keeps them) followed by one new line per CCO line. A deduction is a negative line."""
    kept = [_kept_line(line) for line in purchase_order.get("Line", [])]
    return {
        "Id": purchase_order["Id"],
        "SyncToken": purchase_order["SyncToken"],
        "sparse": True,
        "Line": kept + change_order_added_lines(change_order),
    }


def change_order_added_lines(change_order) -> list[dict[str, Any]]:
    """The purchase-order lines a CCO adds, one per CCO line; a deduction is a negative line."""
    job_id = change_order.commitment.project.erp_id
    return [
        _item_line(
            amount=line.amount,
            description=change_order_line_description(change_order, line),
            item_id=line.cost_code.erp_id,
            job_id=job_id,
        )
        for line in change_order.lines.all()
    ]


def change_order_total(change_order) -> Decimal:
    return sum((cents(line.amount) for line in change_order.lines.all()), Decimal("0.00"))


def _purchase_order_line(purchase_order_id: str, line_id: str) -> dict | None:
    """The purchase-order line a bill line bills (an original line, or one a CCO added)."""
    if not (purchase_order_id and line_id):
        return None
    return {"TxnId": str(purchase_order_id), "TxnType": "PurchaseOrder", "TxnLineId": line_id}


def bill_payload(
    invoice,
    *,
    ap_account_id: str,
    retainage_item_id: str,
    purchase_order_id: str,
    order_line_ids: dict[int, str] | None = None,
) -> dict[str, Any]:
    """A pay application as a Bill: gross lines per cost code, retainage withheld as one negative
    line on the retainage item (its account is a liability, so the job cost stays gross), and for
    a retainage release a positive line on that item. Each billed line links the commitment's
    PurchaseOrder line it bills: the one its export recorded, or `order_line_ids` (by invoice
    line pk) where none was recorded."""
    commitment = invoice.commitment
    job_id = commitment.project.erp_id
    order_line_ids = order_line_ids or {}
    lines = [
        _item_line(
            amount=line.gross_amount,
            description=invoice_line_description(line),
            item_id=line.schedule_line.cost_code.erp_id,
            job_id=job_id,
            linked=_purchase_order_line(
                purchase_order_id,
                line.schedule_line.erp_line_id or order_line_ids.get(line.pk, ""),
            ),
        )
        for line in invoice.lines.all()
        if cents(line.gross_amount) != 0
    ]
    withheld = invoice.totals().withheld
    if withheld:
        lines.append(
            _item_line(
                amount=-withheld,
                description=f"Retainage withheld on invoice {invoice.number}",
                item_id=retainage_item_id,
                job_id=RETAINAGE_IS_NOT_A_JOB_COST,
            )
        )
    if invoice.is_retainage_release and cents(invoice.retainage_released):
        lines.append(
            _item_line(
                amount=invoice.retainage_released,
                description=f"Retainage released on {commitment.number} {commitment.title}",
                item_id=retainage_item_id,
                job_id=RETAINAGE_IS_NOT_A_JOB_COST,
            )
        )
    payload: dict[str, Any] = {
        "DocNumber": invoice.number,
        "VendorRef": _ref(commitment.vendor.erp_id),
        "APAccountRef": _ref(ap_account_id),
        "TxnDate": (invoice.posting_date or invoice.billing_date).isoformat(),
    }
    if invoice.due_date:
        payload["DueDate"] = invoice.due_date.isoformat()
    kind = "Retainage release" if invoice.is_retainage_release else "Pay application"
    payload["PrivateNote"] = (
        f"{kind} {invoice.number} on {commitment.number} {commitment.title}, "
        f"period {invoice.period_start.isoformat()} to {invoice.period_end.isoformat()}"
    )
    payload["LinkedTxn"] = [{"TxnId": str(purchase_order_id), "TxnType": "PurchaseOrder"}]
    payload["Line"] = lines
    return payload


def with_purchase_tax(payload: dict[str, Any], tax_code_for) -> dict[str, Any]:
    """For a company outside the US: our amounts are before tax, and every line names the tax
    code `tax_code_for(item id)` chooses; lines read back from QuickBooks keep their own."""
    lines = []
    for line in payload["Line"]:
        detail = line[line["DetailType"]]
        if "TaxCodeRef" not in detail:
            item_id = (detail.get("ItemRef") or detail.get("AccountRef") or {}).get("value", "")
            detail = {**detail, "TaxCodeRef": _ref(tax_code_for(str(item_id)))}
        lines.append({**line, line["DetailType"]: detail})
    return {**payload, "GlobalTaxCalculation": "TaxExcluded", "Line": lines}


# Totals


def document_lines(document: dict) -> list[dict]:
    return [
        line for line in document.get("Line", []) if line.get("DetailType") in EXPENSE_LINE_DETAILS
    ]


def document_total(document: dict) -> Decimal:
    """Sum of a payload's (or a QuickBooks document's) expense lines, to the cent."""
    amounts = (cents(as_decimal(line["Amount"])) for line in document_lines(document))
    return sum(amounts, Decimal("0.00"))


def ensure_total_matches(document: dict, expected: Decimal) -> None:
    total = document_total(document)
    if total != cents(expected):
        raise TotalMismatchError(
            f"The QuickBooks Online document would total {plain_money(total)}, but the record "
            f"totals {plain_money(expected)}, so nothing was sent. Please report this problem.",
            code="total_mismatch",
        )


# Audit trail


def jsonable(value: Any) -> Any:
    """A copy safe for a JSONField (the audit trail): Decimals become their exact text."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return format(as_decimal(value), "f")
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value
