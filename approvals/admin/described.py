"""A connector's description of a document, laid out for a decision page: its facts, its lines
and its totals as text, amounts to the cent in the document's currency."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from integrations.describe import DescribedLine, DocumentDescription, Reference
from money import format_money


@dataclass(frozen=True)
class ShownLine:
    description: str
    cost_code: str
    item_or_account: str
    job: str
    quantity: str
    tax_code: str
    amount: str


@dataclass(frozen=True)
class ShownDocument:
    heading: str
    facts: list[tuple[str, str]]
    lines: list[ShownLine]
    totals: list[tuple[str, str]]
    tax: str
    before_lines: list[ShownLine]
    before_totals: list[tuple[str, str]]
    shows_tax_codes: bool
    shows_jobs: bool


NOT_CHOSEN = "not chosen yet"


def shown(description: DocumentDescription) -> ShownDocument:
    currency = description.currency or "USD"

    def money(amount: Decimal) -> str:
        return format_money(amount, currency)

    facts = [
        (label, value)
        for label, value in (
            ("Name", description.name),
            (
                description.party_label,
                _reference(description.party) or NOT_CHOSEN if description.party_label else "",
            ),
            ("Job", _reference(description.job)),
            ("Number", description.number),
            ("Date", description.date.isoformat() if description.date else ""),
            *description.details,
        )
        if label and value
    ]
    totals = [
        (label, money(amount))
        for label, amount in (
            ("Retainage withheld", description.retainage_withheld),
            ("Retainage released", description.retainage_released),
            ("Change" if description.changes_a_document else "Total", description.total),
            ("Total after the change", description.after_total),
        )
        if amount is not None
    ]
    every_line = [*description.before_lines, *description.lines]
    return ShownDocument(
        heading=f"{description.erp_name} {description.kind}",
        facts=facts,
        lines=[_line(line, money) for line in description.lines],
        totals=totals,
        tax=description.tax,
        before_lines=[_line(line, money) for line in description.before_lines],
        before_totals=(
            [("Total before", money(description.before_total))]
            if description.before_total is not None
            else []
        ),
        shows_tax_codes=any(line.tax_code for line in every_line),
        shows_jobs=any(line.job for line in every_line),
    )


def _line(line: DescribedLine, money) -> ShownLine:
    quantity = ""
    if line.quantity is not None and line.unit_cost is not None:
        quantity = f"{line.quantity:f} x {line.unit_cost:f}"
    return ShownLine(
        description=line.description,
        cost_code=line.cost_code,
        item_or_account=_reference(line.item_or_account),
        job=_reference(line.job),
        quantity=quantity,
        tax_code=line.tax_code,
        amount=money(line.amount),
    )


def _reference(reference: Reference | None) -> str:
    return "" if reference is None else str(reference)
