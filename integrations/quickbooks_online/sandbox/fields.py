"""Field checks shared by the entity rules: lengths, characters, money, dates and references."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from . import faults
from .records import Unit
from .storage import Row

FORBIDDEN_NAME_CHARACTERS = (":", "\t", "\n")
_AMOUNT_INTEGER_DIGITS = 10
_AMOUNT_FRACTION_DIGITS = 5
# How QuickBooks names each list in a 2500 Detail about an id it does not have ("Names" holds
# vendors, customers and employees; "Items" is inferred, the others are seen in the wild).
MISSING_REFERENCE_LIST = {
    "Account": "Accounts",
    "Class": "Klasses",
    "Customer": "Names",
    "Item": "Items",
    "TaxCode": "TaxCodes",
    "Vendor": "Names",
}
DELETED_REFERENCE_LABEL = {"Customer": "Customer", "Item": "Product/Service", "Vendor": "Vendor"}


def text(data: dict, name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise faults.invalid_value(name, f"{name} must be a string")
    return value


def check_lengths(data: dict, limits: dict[str, int]) -> None:
    for name, maximum in limits.items():
        value = text(data, name)
        if value is not None and len(value) > maximum:
            raise faults.string_too_long(name, maximum, len(value))


def check_name_characters(data: dict, names) -> None:
    for name in names:
        value = text(data, name)
        if value and any(character in value for character in FORBIDDEN_NAME_CHARACTERS):
            raise faults.business_rule(
                f"{name} cannot contain a colon (:), a tab or a newline. Supplied value:{value!r}"
            )


def require(data: dict, name: str):
    value = data.get(name)
    if value is None or value == "" or value == []:
        raise faults.required_param(name)
    return value


def money(value, name: str) -> Decimal:
    """A JSON number or numeric string, at most 15 digits in 10.5 format."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise faults.invalid_value(name, f"Invalid Number : {name} is not a number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise faults.invalid_value(name, f"Invalid Number : {name} is not a number") from None
    if not amount.is_finite():
        raise faults.invalid_value(name, f"Invalid Number : {name} is not a number")
    _sign, digits, exponent = amount.as_tuple()
    fraction = max(0, -exponent)
    integer = max(0, len(digits) + exponent)
    if fraction > _AMOUNT_FRACTION_DIGITS or integer > _AMOUNT_INTEGER_DIGITS:
        raise faults.invalid_value(
            name, f"Invalid Number : {name} supports at most 10 digits and 5 decimals: {value}"
        )
    return amount


def date_field(data: dict, name: str, default: str | None = None) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        return default
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise faults.invalid_value(name, f"Invalid Date : {name} must be yyyy-MM-dd: {value}")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise faults.invalid_value(
            name, f"Invalid Date : {name} must be yyyy-MM-dd: {value}"
        ) from None
    return value


def boolean(data: dict, name: str, default: bool) -> bool:
    value = data.get(name, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise faults.invalid_value(name, f"{name} must be true or false")
    return value


def choice(data: dict, name: str, allowed, default: str | None = None) -> str | None:
    value = data.get(name)
    if value is None:
        return default
    if value not in allowed:
        raise faults.invalid_value(
            name, f"Invalid Enumeration : {value} is not one of {', '.join(allowed)}"
        )
    return value


def _ref_value(ref, name: str) -> str | None:
    """The text of a `{"value": "42"}` reference; None when the reference is absent."""
    if ref is None:
        return None
    value = ref.get("value") if isinstance(ref, dict) else None
    if value is None or value == "":
        raise faults.required_param(f"{name}.value")
    return str(value).strip()


def ref_id(ref, name: str) -> int | None:
    """The record id a `{"value": "42"}` reference points at; None when absent."""
    text_value = _ref_value(ref, name)
    if text_value is None:
        return None
    if not text_value.isdigit():
        raise faults.object_not_found(name)
    return int(text_value)


def referenced(unit: Unit, ref, name: str, entities: tuple[str, ...]) -> Row | None:
    """The active record a name-list record's reference points at, or the 610 fault."""
    id_ = ref_id(ref, name)
    if id_ is None:
        return None
    for entity in entities:
        row = unit.live(entity, id_)
        if row is not None:
            if not row.active:
                raise faults.object_not_found(name)
            return row
    raise faults.object_not_found(name)


def used_by_transaction(unit: Unit, ref, element: str, entity: str) -> Row | None:
    """The active record a transaction refers to, or QuickBooks' 2500 Invalid Reference Id
    worded as it words it for a record it never had, a deleted one and an inactive one."""
    text_value = _ref_value(ref, element)
    if text_value is None:
        return None
    row = unit.live(entity, int(text_value)) if text_value.isdigit() else None
    if row is None:
        raise faults.invalid_reference(
            element, f"{MISSING_REFERENCE_LIST[entity]} element id {text_value} not found"
        )
    if not row.active:
        raise faults.invalid_reference(element, _inactive_reason(row))
    return row


def _inactive_reason(row: Row) -> str:
    """Vendors, customers and items made inactive are 'deleted' in QuickBooks' own words."""
    label = DELETED_REFERENCE_LABEL.get(row.entity)
    if label is None:
        return faults.INACTIVE_REFERENCE_REASON
    name = row.data.get("DisplayName") or row.data.get("Name")
    return (
        f"{label} assigned to this transaction has been deleted. Before you can modify this "
        f"transaction, you must restore {name} (deleted)"
    )


def required_ref(unit: Unit, data: dict, name: str, entity: str, element: str = "") -> Row:
    """A reference a transaction must carry, checked as `used_by_transaction` does."""
    ref = data.get(name)
    if ref is None:
        raise faults.required_param(name)
    row = used_by_transaction(unit, ref, element or name, entity)
    assert row is not None
    return row


def ref_of(row: Row, name_field: str = "DisplayName") -> dict:
    """A reference as QuickBooks writes it back: the id plus the current name."""
    ref = {"value": str(row.id)}
    name = row.data.get("FullyQualifiedName") or row.data.get(name_field) or row.data.get("Name")
    if name:
        ref["name"] = name
    return ref


def casefold_key(prefix: str, name: str) -> str:
    return f"{prefix}:{name.strip().casefold()}"
