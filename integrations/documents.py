"""What every ERP's purchase orders and bills say the same way (pure: records in, text out).

A change order's lines are marked with the change order, so a purchase order read back tells
whether that change order is already on it; the lines changing one commitment line become one
line; a bill line says what it bills, and which change order added that line.
"""

from __future__ import annotations

from money import plain_money


def change_order_marker(change_order) -> str:
    """Starts the description of every line a change order adds: tells whether it is there."""
    return f"CCO {change_order.number}:"


def change_order_groups(change_order) -> list[list]:
    """The change order's lines as the purchase-order lines they become: the lines changing one
    commitment line summed into one, each new line on its own, in the change order's order."""
    groups: dict[object, list] = {}
    for line in change_order.lines.all():
        key = ("line", line.commitment_line_id) if line.commitment_line_id else ("new", line.pk)
        groups.setdefault(key, []).append(line)
    return list(groups.values())


def change_order_group_description(change_order, group: list) -> str:
    """The marked description of the purchase-order line one group of change-order lines
    becomes (change_order_groups)."""
    first = group[0]
    text = first.description.strip() or first.cost_code.name
    if first.commitment_line_id is not None:
        text = f"change to line {first.commitment_line.position}, {text}"
    return f"{change_order_marker(change_order)} {text}"


def invoice_line_description(line) -> str:
    billed = line.schedule_line
    text = billed.description.strip() or billed.cost_code.name
    if line.change_order_line is not None:
        text = f"{change_order_marker(billed.change_order)} {text}"
    if line.materials_stored:
        text += (
            f" (work completed {plain_money(line.work_completed)},"
            f" materials stored {plain_money(line.materials_stored)})"
        )
    return text
