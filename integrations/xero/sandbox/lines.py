"""Line items of purchase documents and the totals Xero computes from them.

Per line: `LineAmount` = Quantity * UnitAmount to the cent (or the missing one of the three
worked out from the others); the tax rate comes from the line's `TaxType` (else its account's);
tax is computed on each line and rounded to the cent there, half away from zero, as Xero does:
  Exclusive: tax = LineAmount * rate / 100; SubTotal = Σ LineAmount; Total = SubTotal + tax.
  Inclusive: tax = LineAmount * rate / (100 + rate); Total = Σ LineAmount; SubTotal = Total - tax.
  NoTax:     no tax; SubTotal = Total = Σ LineAmount.
A `TaxAmount` the client sends on a line overrides the computed one (the spec allows it).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from . import wire
from .books import Books
from .faults import Invalid
from .fields import NUMBER_LIMIT, is_uuid, new_id, number, text

LINE_AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")
QUANTITY_PLACES = Decimal("0.0001")
MAX_TRACKING_PER_LINE = 2
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Totals:
    sub_total: Decimal
    total_tax: Decimal
    total: Decimal


def _round(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _amounts(
    books: Books, given: dict, base: dict
) -> tuple[Decimal | None, Decimal | None, Decimal]:
    """(Quantity, UnitAmount, LineAmount) of a line: given values over the line's old ones,
    with the missing one of the three worked out from the other two."""
    quantity = number(given, "Quantity")
    unit = number(given, "UnitAmount")
    amount = number(given, "LineAmount")
    if quantity is None and "Quantity" not in given:
        quantity = base.get("Quantity")
    if unit is None and "UnitAmount" not in given:
        unit = base.get("UnitAmount")
    places = books.unit_decimals
    if unit is not None:
        unit = _round(unit, places)
    if quantity is not None:
        quantity = quantity.quantize(QUANTITY_PLACES, rounding=ROUND_HALF_UP)
    if amount is not None:
        amount = wire.money(amount)
        if "Quantity" not in given and "UnitAmount" not in given:
            # A new LineAmount alone: the line's quantity stays, its unit amount follows.
            quantity = quantity or Decimal("1.0000")
            unit = _round(amount / quantity, places)
        elif "UnitAmount" not in given:
            if not quantity:
                raise Invalid("Quantity cannot be zero when only LineAmount is given.")
            unit = _round(amount / quantity, places)
        elif "Quantity" not in given:
            if not unit:
                raise Invalid("UnitAmount cannot be zero when only LineAmount is given.")
            quantity = (amount / unit).quantize(QUANTITY_PLACES, rounding=ROUND_HALF_UP)
        elif wire.money(quantity * unit) != amount:
            raise Invalid(
                f"The line total {amount} does not match the expected line total "
                f"{wire.money(quantity * unit)}."
            )
        return quantity, unit, amount
    if unit is not None and quantity is None:
        quantity = Decimal("1.0000")
    if unit is None or quantity is None:
        return quantity, unit, ZERO
    amount = wire.money(quantity * unit)
    if abs(amount) >= NUMBER_LIMIT:
        raise Invalid("Quantity times UnitAmount must be less than 1,000,000,000,000.")
    return quantity, unit, amount


def _account(books: Books, given: dict, base: dict, item: dict | None) -> dict | None:
    code = text(given, "AccountCode")
    account_id = given.get("AccountID")
    if not code and not account_id:
        if (
            item
            and item.get("PurchaseDetails", {}).get("AccountCode")
            and not base.get("AccountCode")
        ):
            code = item["PurchaseDetails"]["AccountCode"]
        elif base.get("AccountCode"):
            code = base["AccountCode"]
        else:
            return None
    if account_id and not is_uuid(account_id):
        raise Invalid(f"AccountID {account_id} is not valid.")
    account = books.account(code=code, account_id=account_id)
    shown = code or account_id
    if account is None or account["Type"] == "BANK":
        raise Invalid(f"Account code '{shown}' is not a valid code for this document.")
    if account["Status"] != "ACTIVE":
        raise Invalid(
            f"Account code '{account['Code']}' has been archived, or has been deleted. Each line "
            "item must reference a valid account."
        )
    return account


def _tax_rate(books: Books, given: dict, base: dict, account: dict | None, item: dict | None):
    tax_type = text(given, "TaxType") or (
        item.get("PurchaseDetails", {}).get("TaxType") if item and not base else None
    )
    tax_type = tax_type or base.get("TaxType") or (account["TaxType"] if account else None)
    if tax_type is None:
        return None
    rate = books.tax_rate(tax_type)
    where = f" with account code '{account['Code']}'" if account else ""
    if rate is None or rate["Status"] != "ACTIVE":
        raise Invalid(f"The TaxType code '{tax_type}' does not exist or cannot be used{where}.")
    if not rate["CanApplyToExpenses"]:
        raise Invalid(f"The TaxType code '{tax_type}' cannot be used{where}.")
    return rate


def line_tax(amount: Decimal, rate: Decimal, amount_types: str) -> Decimal:
    if amount_types == "NoTax" or not rate:
        return ZERO
    if amount_types == "Inclusive":
        return wire.money(amount * rate / (Decimal(100) + rate))
    return wire.money(amount * rate / Decimal(100))


def _tracking(books: Books, given) -> list[dict]:
    if given is None:
        return []
    if not isinstance(given, list) or not all(isinstance(t, dict) for t in given):
        raise Invalid("Tracking must be a list of tracking categories and options.")
    if len(given) > MAX_TRACKING_PER_LINE:
        raise Invalid(f"A line item can have at most {MAX_TRACKING_PER_LINE} tracking categories.")
    categories = books.tracking_categories()
    resolved = []
    for tracking in given:
        category_id = str(tracking.get("TrackingCategoryID") or "").lower()
        name = str(tracking.get("Name") or "")
        category = next(
            (
                c
                for c in categories
                if c["Status"] != "DELETED"
                and (
                    c["TrackingCategoryID"] == category_id
                    if category_id
                    else c["Name"].casefold() == name.casefold()
                )
            ),
            None,
        )
        if category is None:
            raise Invalid(f"The tracking category {category_id or name} does not exist.")
        if category["Status"] != "ACTIVE":
            raise Invalid(f"The tracking category {category['Name']} is archived.")
        option_id = str(tracking.get("TrackingOptionID") or "").lower()
        option_name = str(tracking.get("Option") or "")
        option = next(
            (
                o
                for o in category["Options"]
                if o["Status"] != "DELETED"
                and (
                    o["TrackingOptionID"] == option_id
                    if option_id
                    else o["Name"].casefold() == option_name.casefold()
                )
            ),
            None,
        )
        if option is None:
            raise Invalid(
                f"The tracking option {option_id or option_name} does not exist in tracking "
                f"category {category['Name']}."
            )
        if option["Status"] != "ACTIVE":
            raise Invalid(f"The tracking option {option['Name']} is archived.")
        if any(r["TrackingCategoryID"] == category["TrackingCategoryID"] for r in resolved):
            raise Invalid(f"A line item can use tracking category {category['Name']} only once.")
        resolved.append(
            {
                "Name": category["Name"],
                "Option": option["Name"],
                "TrackingCategoryID": category["TrackingCategoryID"],
                "TrackingOptionID": option["TrackingOptionID"],
            }
        )
    return resolved


def _line(books: Books, given: dict, base: dict, amount_types: str) -> dict:
    if given.get("DiscountRate") is not None or given.get("DiscountAmount") is not None:
        raise Invalid("Discounts are only supported on sales invoices and quotes.")
    item = None
    item_code = text(given, "ItemCode") or base.get("ItemCode")
    if item_code:
        item = books.item_by_code(item_code)
        if item is None:
            raise Invalid(f"Item code '{item_code}' is not valid.")
    defaults = {}
    if item is not None and not base:
        purchase = item.get("PurchaseDetails", {})
        if purchase.get("UnitPrice") is not None:
            defaults["UnitAmount"] = purchase["UnitPrice"]
        description = item.get("PurchaseDescription") or item.get("Description")
        if description:
            defaults["Description"] = description
    quantity, unit, amount = _amounts(books, {**defaults, **given}, base)
    account = _account(books, given, base, item)
    rate = _tax_rate(books, given, base, account, item)
    line = {"LineItemID": base.get("LineItemID") or new_id()}
    description = text(given, "Description")
    description = description if description is not None else defaults.get("Description")
    if description is None:
        description = base.get("Description")
    if description:
        line["Description"] = description
    if quantity is not None:
        line["Quantity"] = quantity
    if unit is not None:
        line["UnitAmount"] = unit
    if item is not None:
        line["ItemCode"] = item["Code"]
        line["Item"] = {
            "ItemID": item["ItemID"],
            "Name": item.get("Name", ""),
            "Code": item["Code"],
        }
    if account is not None:
        line["AccountCode"] = account["Code"]
        line["AccountID"] = account["AccountID"]
    tax = ZERO
    if rate is not None:
        line["TaxType"] = rate["TaxType"]
        override = number(given, "TaxAmount")
        tax = (
            wire.money(override)
            if override is not None and amount_types != "NoTax"
            else line_tax(amount, rate["EffectiveRate"], amount_types)
        )
    line["TaxAmount"] = tax
    line["LineAmount"] = amount
    tracking = given["Tracking"] if "Tracking" in given else base.get("Tracking")
    line["Tracking"] = _tracking(books, tracking)
    return line


def build(books: Books, given, existing: list[dict], amount_types: str) -> list[dict]:
    """The document's new lines. A line with a `LineItemID` of the document updates that line
    (fields it leaves out are kept); one without is added; lines left out are deleted."""
    if not isinstance(given, list) or not all(isinstance(line, dict) for line in given):
        raise Invalid("LineItems must be a list of line items.")
    old = {line["LineItemID"]: line for line in existing}
    lines, kept = [], set()
    for line in given:
        line_id = str(line.get("LineItemID") or "").lower()
        if line_id and line_id not in old:
            raise Invalid(f"The line item {line_id} is not a line of this document.")
        if line_id in kept:
            # Two lines with one id would leave the document with a LineItemID no update can name.
            raise Invalid(f"The line item {line_id} is given more than once.")
        if line_id:
            kept.add(line_id)
        lines.append(_line(books, line, old.get(line_id, {}), amount_types))
    return lines


def recompute(books: Books, lines: list[dict], amount_types: str) -> list[dict]:
    """The same lines under other `LineAmountTypes`: each line's tax computed again."""
    return [_line(books, {"LineItemID": line["LineItemID"]}, line, amount_types) for line in lines]


def totals(lines: list[dict], amount_types: str) -> Totals:
    amounts = sum((line["LineAmount"] for line in lines), ZERO)
    tax = sum((line["TaxAmount"] for line in lines), ZERO)
    if amount_types == "Inclusive":
        return Totals(amounts - tax, tax, amounts)
    return Totals(amounts, tax, amounts + tax)


def require_accounts(lines: list[dict]) -> None:
    """An approved document posts every line with an amount to an account."""
    for line in lines:
        if line["LineAmount"] and not line.get("AccountCode"):
            raise Invalid("Every line item with an amount must have an account code.")
