"""What list and transaction requests share: references, fields, identity, date filters."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from . import rules
from .books import ITEM_KINDS, NAME_KINDS, Books, name_space_of, stamp
from .status import Status, invalid_reference

# References to lists this company file keeps empty (classes, terms, sales reps...): QuickBooks
# answers 3140 for them as for any reference to a record that is not there.
UNKEPT_LISTS = {
    "ClassRef": "Class",
    "CustomerTypeRef": "CustomerType",
    "VendorTypeRef": "VendorType",
    "TermsRef": "Terms",
    "SalesRepRef": "SalesRep",
    "SalesTaxCodeRef": "SalesTaxCode",
    "ItemSalesTaxRef": "ItemSalesTax",
    "PreferredPaymentMethodRef": "PaymentMethod",
    "JobTypeRef": "JobType",
    "PriceLevelRef": "PriceLevel",
    "CurrencyRef": "Currency",
    "BillingRateRef": "BillingRate",
    "SalesTaxReturnRef": "SalesTaxReturn",
    "TemplateRef": "Template",
    "ShipMethodRef": "ShipMethod",
    "InventorySiteRef": "InventorySite",
    "InventorySiteLocationRef": "InventorySite",
    "UnitOfMeasureSetRef": "UnitOfMeasureSet",
    "OverrideUOMSetRef": "UnitOfMeasureSet",
    "PurchaseTaxCodeRef": "SalesTaxCode",
    "ItemGroupRef": "ItemGroup",
    "ShipToEntityRef": "Entity",
    "TaxOnPurchasesAccountRef": "Account",
    "TaxOnSalesAccountRef": "Account",
}
# Where each kind of reference looks: (record kinds, the list's name in QuickBooks' message).
REFERENCE_TARGETS = {
    "VendorRef": (("Vendor",), "Vendor"),
    "PrefVendorRef": (("Vendor",), "Vendor"),
    "CustomerRef": (("Customer",), "Customer"),
    "PayeeEntityRef": (NAME_KINDS, "Entity"),
    "ItemRef": (ITEM_KINDS, "Item"),
    "AccountRef": (("Account",), "Account"),
    "APAccountRef": (("Account",), "Account"),
    "IncomeAccountRef": (("Account",), "Account"),
    "ExpenseAccountRef": (("Account",), "Account"),
    "BankAccountRef": (("Account",), "Account"),
    "CreditCardAccountRef": (("Account",), "Account"),
    "OverrideItemAccountRef": (("Account",), "Account"),
    "PrefillAccountRef": (("Account",), "Account"),
}


class Refused(Exception):
    """A request QuickBooks answers with an error status; nothing it did is kept."""

    def __init__(self, status: Status):
        super().__init__(status.message)
        self.status = status


def text(element, name: str) -> str | None:
    found = element.find(name)
    return None if found is None else (found.text or "")


def ref_of(record: dict) -> dict:
    identity = record.get("ListID")
    return {"ListID": identity, "FullName": record["FullName"]}


def resolve(
    books: Books,
    ref,
    kinds: tuple[str, ...],
    list_name: str,
    where: str,
    *,
    inactive_too: bool = False,
) -> dict:
    """The record a `...Ref` names (by ListID, else FullName), or Refused with 3140: a request
    cannot name an inactive entry either (unless `inactive_too`: a record written as it was
    entered before the entry was made inactive)."""
    list_id = text(ref, "ListID")
    full_name = text(ref, "FullName")
    found = None
    if list_id:
        found = books.get(list_id)
    elif full_name:
        for kind in kinds:
            found = books.by_name(name_space_of(kind), full_name)
            if found:
                break
    if found is None or found["kind"] not in kinds:
        raise Refused(invalid_reference(list_name, list_id or full_name or "", where))
    if full_name and list_id and found["FullName"].upper() != full_name.upper():
        raise Refused(invalid_reference(list_name, full_name, where))
    if not inactive_too and found.get("IsActive", "true") == "false":
        raise Refused(invalid_reference(list_name, list_id or full_name or "", where))
    return found


def field_values(
    books: Books, element, ret_tag: str, where: str, skip=(), *, inactive_too: bool = False
) -> dict:
    """The children of an Add or Mod as a Ret's fields: references resolved (to active entries
    only, unless `inactive_too`), values kept as written. Children the Ret has no place for are
    dropped, as QuickBooks keeps no such data."""
    keep = set(rules.children_in_order(ret_tag))
    values: dict = {}
    for child in element:
        name = child.tag
        if name in skip or name not in keep:
            continue
        if name in UNKEPT_LISTS:
            value_name = text(child, "FullName") or text(child, "ListID") or ""
            raise Refused(invalid_reference(UNKEPT_LISTS[name], value_name, where))
        if REFERENCE_TARGETS.get(name):
            kinds, list_name = REFERENCE_TARGETS[name]
            value = ref_of(
                resolve(books, child, kinds, list_name, where, inactive_too=inactive_too)
            )
        elif rules.has_model(name):
            value = field_values(books, child, name, where, inactive_too=inactive_too)
        else:
            value = child.text or ""
        if name in values:
            existing = values[name]
            values[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            values[name] = value
    return values


def identity(books: Books, family: str) -> dict:
    now = stamp(time.time())
    key = "ListID" if family == "list" else "TxnID"
    return {
        key: books.new_id(family),
        "TimeCreated": now,
        "TimeModified": now,
        "EditSequence": books.edit_sequence(),
    }


def touched(books: Books, record: dict) -> dict:
    return {**record, "TimeModified": stamp(time.time()), "EditSequence": books.edit_sequence()}


_DATETIME = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:T(\d{1,2})(?::(\d{1,2})(?::(\d{1,2})"
    r"(?:([+-])(\d{1,2}):(\d{1,2}))?)?)?)?"
)


def _unreadable_date(value: str) -> Status:
    return Status(3020, "Error", f'There was an error when converting the date value "{value}".')


def moment(value: str, end_of_day: bool = False) -> float:
    """A DATETIMETYPE (parts optional from the right) as seconds; a date alone means the start
    (or, for the end of a range, the end) of that day. Without an offset: the company's clock."""
    parts = _DATETIME.fullmatch(value.strip())
    if parts is None:
        raise Refused(_unreadable_date(value))
    year, month, day, hour, minute, second, sign, off_hours, off_minutes = parts.groups()
    try:
        when = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=UTC,
        )
    except ValueError:
        raise Refused(_unreadable_date(value)) from None
    if hour is None and end_of_day:
        when += timedelta(days=1, seconds=-1)
    if sign:
        offset = timedelta(hours=int(off_hours), minutes=int(off_minutes))
        when -= offset if sign == "+" else -offset
    return when.timestamp()


def within(record_time: str, start: str | None, end: str | None) -> bool:
    when = moment(record_time)
    if start and when < moment(start):
        return False
    return not (end and when > moment(end, end_of_day=True))
