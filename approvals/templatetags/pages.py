"""What the project-manager pages say the same way everywhere: amounts with their currency,
people by name, and one sign for an empty cell."""

from django import template

from approvals.people import person_name
from money import format_money

register = template.Library()

EMPTY = "—"


@register.filter
def money(amount, currency: str = "USD") -> str:
    """ "$1,234.50"; an amount that is not there is the empty sign, not "$0.00"."""
    if amount is None or amount == "":
        return EMPTY
    return format_money(amount, currency or "USD")


@register.filter
def person(user) -> str:
    return person_name(user) if user is not None else EMPTY


@register.filter
def or_empty(value):
    """The value, or the empty sign when there is nothing to show (0 is something)."""
    if value is None or value == "":
        return EMPTY
    return value
