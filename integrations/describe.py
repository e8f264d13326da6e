"""What a connector says of the document it would create, in an accountant's words.

A connector builds a DocumentDescription from the record and what is kept here (imported lists,
the connection's settings), never by asking the ERP: the decision pages show it while a person
waits, and an accept's fingerprint covers it, so what the accountant read is what is exported.
It is kept with the accept as plain data (`as_data`) and read back (`from_data`) for a retry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Reference:
    """A vendor, customer, job, item or account the document points at: its name, and its id
    in the ERP ("" while it is not linked, or while the export will find or create it)."""

    name: str
    erp_id: str = ""

    def __str__(self) -> str:
        return f"{self.name} (id {self.erp_id})" if self.erp_id else self.name


@dataclass(frozen=True)
class DescribedLine:
    description: str
    amount: Decimal
    cost_code: str = ""
    """The record's cost code the line comes from ("09-250 Drywall"); "" for a line of the
    ERP's own, such as retainage."""
    item_or_account: Reference | None = None
    job: Reference | None = None
    tax_code: str = ""
    quantity: Decimal | None = None
    unit_cost: Decimal | None = None


@dataclass(frozen=True)
class DocumentDescription:
    """One document as the ERP will receive it.

    `kind` is the ERP's own noun ("bill", "purchase order", "vendor", "job"); `name` the name a
    vendor or job will carry; `party` the vendor (or, for a job, the customer it belongs to)
    under `party_label`; `details` further facts in reading order (("Due", "2025-06-30"), ...).
    `lines` and `total` are what the export sends: for a change to an existing document (a
    change order), the lines it adds and their sum, and then `before_lines` and `before_total`
    are that document before it, as exported from here (context: the export changes whatever
    the ERP holds, so they are not part of what an accept approves).
    """

    kind: str
    erp_name: str
    name: str = ""
    party_label: str = ""
    party: Reference | None = None
    job: Reference | None = None
    number: str = ""
    date: date | None = None
    currency: str = ""
    details: tuple[tuple[str, str], ...] = ()
    lines: tuple[DescribedLine, ...] = ()
    retainage_withheld: Decimal | None = None
    retainage_released: Decimal | None = None
    tax: str = ""
    """How tax is booked, in a sentence ("" when the document carries no tax)."""
    total: Decimal | None = None
    before_lines: tuple[DescribedLine, ...] = ()
    before_total: Decimal | None = None

    @property
    def changes_a_document(self) -> bool:
        return self.before_total is not None

    @property
    def after_lines(self) -> tuple[DescribedLine, ...]:
        return self.before_lines + self.lines

    @property
    def after_total(self) -> Decimal | None:
        if self.before_total is None or self.total is None:
            return None
        return self.before_total + self.total

    def facts(self) -> dict[str, str]:
        """What the document says, label → text, in reading order: what an accept approves of
        it (the lines before a change are context, not part of it)."""
        said = {"Document": f"{self.erp_name} {self.kind}"}
        for label, value in (
            ("Name", self.name),
            (self.party_label, _reference_text(self.party) if self.party_label else ""),
            ("Job", _reference_text(self.job) if self.job else ""),
            ("Number", self.number),
            ("Date", self.date.isoformat() if self.date else ""),
            ("Currency", self.currency),
            *self.details,
        ):
            if label and value:
                said[label] = value
        for position, line in enumerate(self.lines, start=1):
            said.update(_line_facts(f"Line {position}", line))
        for label, amount in (
            ("Retainage withheld", self.retainage_withheld),
            ("Retainage released", self.retainage_released),
            ("Total", self.total),
        ):
            if amount is not None:
                said[label] = _amount_text(amount)
        if self.tax:
            said["Tax"] = self.tax
        return said

    def as_data(self) -> dict[str, Any]:
        """Plain data for the audit trail; amounts stay Decimal (kept as exact text)."""
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> DocumentDescription:
        """A description read back from `as_data` (amounts and dates may come back as text)."""
        values = {field.name: data[field.name] for field in fields(cls) if field.name in data}
        for name in ("party", "job"):
            values[name] = _reference(values.get(name))
        for name in ("retainage_withheld", "retainage_released", "total", "before_total"):
            values[name] = _decimal(values.get(name))
        for name in ("lines", "before_lines"):
            values[name] = tuple(_line(line) for line in values.get(name) or ())
        values["details"] = tuple(tuple(detail) for detail in values.get("details") or ())
        day = values.get("date")
        values["date"] = date.fromisoformat(day) if isinstance(day, str) else day
        return cls(**values)


def _reference_text(reference: Reference | None) -> str:
    return "(none)" if reference is None else str(reference)


def _amount_text(amount: Decimal) -> str:
    return format(amount, "f")


def _line_facts(prefix: str, line: DescribedLine) -> dict[str, str]:
    said = {f"{prefix} description": line.description}
    for label, value in (
        ("cost code", line.cost_code),
        ("item or account", _reference_text(line.item_or_account) if line.item_or_account else ""),
        ("job", _reference_text(line.job) if line.job else ""),
        ("quantity", _amount_text(line.quantity) if line.quantity is not None else ""),
        ("unit cost", _amount_text(line.unit_cost) if line.unit_cost is not None else ""),
        ("tax code", line.tax_code),
    ):
        if value:
            said[f"{prefix} {label}"] = value
    said[f"{prefix} amount"] = _amount_text(line.amount)
    return said


def _reference(data: dict | None) -> Reference | None:
    return Reference(**data) if data else None


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _line(data: dict) -> DescribedLine:
    return DescribedLine(
        **{
            **data,
            "amount": _decimal(data["amount"]),
            "item_or_account": _reference(data.get("item_or_account")),
            "job": _reference(data.get("job")),
            "quantity": _decimal(data.get("quantity")),
            "unit_cost": _decimal(data.get("unit_cost")),
        }
    )
