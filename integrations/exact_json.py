"""JSON for the ERPs' HTTP APIs with amounts kept exact: every Decimal written as the number it
is, every non-integer number read as a Decimal, none passing through a float."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def parse_json(text: str) -> Any:
    """JSON with every non-integer number as Decimal: amounts never pass through float."""
    return json.loads(text, parse_float=Decimal)


def to_json(value: Any, *, erp_name: str) -> str:
    """JSON text with Decimal written exactly as a number (no float on the way); `erp_name` is
    the ERP the text goes to, named when an amount cannot go."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not an amount {erp_name} can store.")
        return format(value, "f")
    if isinstance(value, float):
        raise TypeError(f"Amounts sent to {erp_name} must be Decimal, never float.")
    if isinstance(value, dict):
        members = (
            f"{json.dumps(str(key))}:{to_json(item, erp_name=erp_name)}"
            for key, item in value.items()
        )
        return "{" + ",".join(members) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(to_json(item, erp_name=erp_name) for item in value) + "]"
    return json.dumps(value)
