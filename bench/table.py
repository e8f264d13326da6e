"""One line of the result table, and the table as text for the terminal and as Markdown."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    scenario: str
    size: str
    figure: str
    target: str = ""
    ratio: str = ""
    met: bool | None = None
    """True or False when the line has a target; None for a baseline or a note."""
    note: str = ""


COLUMNS = ("Scenario", "Size", "Figure", "Target", "Ratio", "Met")


def verdict(row: Row) -> str:
    if row.met is None:
        return ""
    return "yes" if row.met else "NO"


def _cells(row: Row) -> tuple[str, ...]:
    return (row.scenario, row.size, row.figure, row.target, row.ratio, verdict(row))


def as_text(rows: list[Row]) -> str:
    lines = [COLUMNS, *(_cells(row) for row in rows)]
    widths = [max(len(line[column]) for line in lines) for column in range(len(COLUMNS))]
    rule = "  ".join("-" * width for width in widths)
    text = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]
    text.insert(1, rule)
    notes = [f"- {row.scenario}, {row.size}: {row.note}" for row in rows if row.note]
    if notes:
        text += ["", "Notes:", *notes]
    return "\n".join(text)


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|")


def as_markdown(rows: list[Row]) -> str:
    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(_markdown_cell(c) for c in _cells(row)) + " |" for row in rows]
    return "\n".join(lines)


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else float("inf")


def times(value: float) -> str:
    return f"{value:.2f}x"


def count(value: int) -> str:
    return f"{value:,}"


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def seconds(value: float) -> str:
    return f"{value:,.2f} s"


def percent(share: float) -> str:
    return f"{share * 100:.1f} %"
