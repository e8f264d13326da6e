"""Edits of what the ERP would receive: each save that changes it is one audit event, with every
field's old → new value, and a new review version, so a decision page opened before the edit
cannot approve what it never showed.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F

from approvals.locking import erp_fields
from approvals.models import (
    AuditEvent,
    Commitment,
    CommitmentChangeOrder,
    SubcontractorInvoice,
)
from approvals.services.workflow.audit import AuditEntry, audit_write
from approvals.states import Note
from money import format_money


def exported_values(record) -> dict[str, str]:
    """What the ERP depends on, as people read it: field label → value, one entry per line."""
    model = type(record)
    values = {}
    for name in sorted(erp_fields(model)):
        field = model._meta.get_field(name)
        label = str(field.verbose_name).capitalize()
        values[label] = _shown(record, field)
    values.update(_lines(record))
    return values


def record_edited(
    *, record, before: dict[str, str], actor=None, system_actor: str = ""
) -> AuditEvent | None:
    """Record an edit of `record` (saved, in the caller's transaction) against `before`, its
    exported_values read before the save, by `actor` or, when no person edited it, by
    `system_actor` (an import). Nothing is written when nothing the ERP sees changed."""
    after = exported_values(type(record).objects.get(pk=record.pk))
    changes = [
        {"field": label, "old": before.get(label, ""), "new": after.get(label, "")}
        for label in [*before, *(label for label in after if label not in before)]
        if before.get(label, "") != after.get(label, "")
    ]
    if not changes:
        return None
    model = type(record)
    model.objects.filter(pk=record.pk).update(review_version=F("review_version") + 1)
    record.review_version = model.objects.values_list("review_version", flat=True).get(pk=record.pk)
    return audit_write(
        AuditEntry(
            model=model,
            record_id=record.pk,
            actor=actor,
            actor_label=system_actor,
            action=Note.EDIT,
            reason=(
                f"{len(changes)} change{'s' if len(changes) != 1 else ''} to what the ERP receives."
            ),
            changes=changes,
        )
    )


def _shown(record, field) -> str:
    value = getattr(record, field.name)
    if value is None or value == "":
        return ""
    if field.choices:
        return str(getattr(record, f"get_{field.name}_display")())
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if field.decimal_places == 2 else f"{value.normalize():f}"
    return str(value)


def _lines(record) -> dict[str, str]:
    if isinstance(record, Commitment):
        return {
            f"Line {line.position}": _joined(
                line.cost_code,
                line.description,
                _quantity(line.quantity, line.unit_cost),
                format_money(line.amount, record.currency),
            )
            for line in record.lines.select_related("cost_code")
        }
    if isinstance(record, CommitmentChangeOrder):
        return {
            f"Line {number}": _joined(
                line.cost_code,
                f"changes line {line.commitment_line.position}" if line.commitment_line else "",
                line.description,
                format_money(line.amount),
            )
            for number, line in enumerate(
                record.lines.select_related("cost_code", "commitment_line"), start=1
            )
        }
    if isinstance(record, SubcontractorInvoice):
        return {
            f"Line {line.label} ({line.schedule_line.cost_code})": _joined(
                f"work completed {format_money(line.work_completed)}",
                f"materials stored {format_money(line.materials_stored)}",
                f"retainage {format_money(line.retainage_withheld)}",
            )
            for line in record.lines.select_related(
                "commitment_line__cost_code",
                "change_order_line__cost_code",
                "change_order_line__change_order",
            )
        }
    return {}


def _quantity(quantity, unit_cost) -> str:
    if quantity is None or unit_cost is None:
        return ""
    return f"{quantity.normalize():f} at {format_money(unit_cost)}"


def _joined(*parts) -> str:
    return " · ".join(str(part) for part in parts if str(part or "").strip())
