"""Decimal helpers for form input: cents, explicit rounding, never float."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
# DecimalField(max_digits=14, decimal_places=2) holds at most this.
MAX_MONEY = Decimal("999999999999.99")


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Decimal) -> str:
    return f"{value:,.2f}"
