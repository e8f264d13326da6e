"""Checks shared by the entity rules: text fields and their lengths, enumerations, ids."""

from __future__ import annotations

import uuid
from decimal import Decimal

from . import wire
from .faults import Invalid

# Amounts and quantities stay below one trillion: beyond any ledger this sandbox serves, and
# small enough that a quantity times a unit amount, and a sum of any number of lines, stay exact
# within Decimal's 28 digits (past them, rounding to the cent raises InvalidOperation).
NUMBER_LIMIT = Decimal(10) ** 12


def text(element: dict, name: str, maximum: int | None = None, *, required: bool = False):
    """The string `element[name]` (stripped), None when absent; Invalid when not a string or
    longer than `maximum`."""
    value = element.get(name)
    if value is None or value == "":
        if required:
            raise Invalid(f"{name} is required.")
        return None if value is None else ""
    if not isinstance(value, str):
        raise Invalid(f"{name} must be text.")
    value = value.strip()
    if maximum is not None and len(value) > maximum:
        raise Invalid(f"{name} must not be more than {maximum} characters long.")
    return value


def number(element: dict, name: str) -> Decimal | None:
    """The number `element[name]` (JSON number or numeric text), None when absent; Invalid when
    it is not a number or not below one trillion in size."""
    if element.get(name) is None:
        return None
    value = wire.decimal_or_none(element[name])
    if value is None:
        raise Invalid(f"{name} must be a number.")
    if abs(value) >= NUMBER_LIMIT:
        raise Invalid(f"{name} must be between -1,000,000,000,000 and 1,000,000,000,000.")
    return value


def choice(element: dict, name: str, allowed: tuple[str, ...], default: str | None = None):
    value = element.get(name)
    if value is None:
        return default
    if value not in allowed:
        raise Invalid(f"{name} must be one of {', '.join(allowed)}; {value!r} is not.")
    return value


def new_id() -> str:
    return str(uuid.uuid4())


def is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
