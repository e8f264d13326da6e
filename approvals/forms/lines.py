"""Line formsets as the page shows them: lines numbered as the person sees them (removed lines
skipped), a blank line added on request, and running totals of what is typed.

The page's script (static/approvals/lines.js) keeps both up to date while typing; what is
computed here is the same, for the first view and for browsers without the script.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from money import MAX_MONEY, ZERO, cents

ADD_LINE = "add_line"


def with_added_line(data, prefix: str):
    """The posted data with one more (blank) line: the no-script way to add a line."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    data[key] = str(int(typed_number(data.get(key)) or 0) + 1)
    return data


def adding_line(request) -> bool:
    return request.method == "POST" and ADD_LINE in request.POST


def number_lines(forms) -> None:
    """Sets `line_number` on each form: its place among the lines not removed (None if removed)."""
    number = 0
    for form in forms:
        if is_removed(form):
            form.line_number = None
        else:
            number += 1
            form.line_number = number


def is_removed(form) -> bool:
    return "DELETE" in form.fields and bool(form["DELETE"].value())


def typed_number(raw) -> Decimal | None:
    """What was typed as a number ("1,200.50"), or None when it is empty or not a number."""
    if raw is None:
        return None
    text = str(raw).replace(",", "").strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    # Past what any amount, quantity or unit cost may hold: not a figure to total.
    return number if number.is_finite() and abs(number) <= MAX_MONEY else None


def commitment_line_amount(form) -> Decimal | None:
    """The amount typed, or quantity times unit cost when the amount is left empty."""
    amount = typed_number(form["amount"].value())
    if amount is not None:
        return cents(amount)
    quantity = typed_number(form["quantity"].value())
    unit_cost = typed_number(form["unit_cost"].value())
    if quantity is None or unit_cost is None or abs(quantity * unit_cost) > MAX_MONEY:
        return None
    return cents(quantity * unit_cost)


def change_line_amount(form) -> Decimal | None:
    amount = typed_number(form["amount"].value())
    return None if amount is None else cents(amount)


def lines_total(forms, amount_of) -> Decimal:
    """The sum over the lines not removed of amount_of(form); lines without one count nothing."""
    return sum((amount_of(form) or ZERO for form in forms if not is_removed(form)), ZERO)


def invoice_totals_typed(invoice_form, forms, retainage_percent: Decimal) -> dict[str, Decimal]:
    """Work completed, materials stored, retainage withheld (the default percentage where it is
    left empty), retainage released, gross and net of what is typed on an invoice."""
    totals = dict.fromkeys(("work_completed", "materials_stored", "retainage_withheld"), ZERO)
    for form in forms:
        work = cents(typed_number(form["work_completed"].value()))
        materials = cents(typed_number(form["materials_stored"].value()))
        retainage = typed_number(form["retainage_withheld"].value())
        if retainage is None:
            retainage = max(work + materials, ZERO) * retainage_percent / 100
        totals["work_completed"] += work
        totals["materials_stored"] += materials
        totals["retainage_withheld"] += cents(retainage)
    released = ZERO
    if invoice_form["is_retainage_release"].value():
        released = cents(typed_number(invoice_form["retainage_released"].value()))
    gross = totals["work_completed"] + totals["materials_stored"]
    net = gross - totals["retainage_withheld"] + released
    return {**totals, "retainage_released": released, "gross": gross, "net": net}


class LineInputsNamed:
    """Each input of a line is named by its column heading and the line's number cell, which
    the line table gives these ids (a table row has no room for a visible label per input)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        table = self.prefix.rsplit("-", 1)[0]
        for name, field in self.fields.items():
            if not field.widget.is_hidden:
                field.widget.attrs["aria-labelledby"] = f"{table}-head-{name} {self.prefix}-number"
