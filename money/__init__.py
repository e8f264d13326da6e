"""Money, one way everywhere: Decimal amounts rounded half up to the cent, shown one way, and an
invoice's totals computed once (approvals.models.SubcontractorInvoice.totals and its SQL twin
InvoiceQuerySet.with_totals use these)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The largest amount a money column (14 digits, 2 after the point) holds.
MAX_MONEY = Decimal("999999999999.99")


def cents(amount: Decimal | int | str | None) -> Decimal:
    """Round half up to the cent: the one rounding rule for every amount kept, shown or sent."""
    return Decimal(amount or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount, currency: str = "USD") -> str:
    """ "$1,234.50", "-$80.00", "CAD 1,234.50"."""
    sign = "-" if amount < 0 else ""
    symbol = "$" if currency == "USD" else f"{currency} "
    return f"{sign}{symbol}{abs(cents(amount)):,.2f}"


def plain_money(amount) -> str:
    """ "1,234.50": an amount without its currency, for sentences that name it elsewhere."""
    return f"{cents(amount):,.2f}"


@dataclass(frozen=True)
class InvoiceTotals:
    """A pay application's money: work and materials billed (gross), retainage withheld on its
    lines, retainage it releases, and what it asks to be paid (net = gross - withheld + released)."""

    gross: Decimal
    withheld: Decimal
    released: Decimal

    @property
    def retainage(self) -> Decimal:
        """Retainage kept by this invoice: negative when it releases more than it withholds."""
        return cents(self.withheld - self.released)

    @property
    def net(self) -> Decimal:
        return cents(self.gross - self.retainage)

    def __iter__(self):
        return iter((self.gross, self.retainage, self.net))


def invoice_totals(*, gross, withheld, released) -> InvoiceTotals:
    return InvoiceTotals(gross=cents(gross), withheld=cents(withheld), released=cents(released))
