"""docs/performance.md: the table, the machine it ran on, and which targets were met."""

from __future__ import annotations

from pathlib import Path

from bench.table import Row, as_markdown

HEADER = """# Performance

Measured with `make bench` (`python -m bench`). Each scenario runs in a fresh PostgreSQL
database of its own with production settings (DEBUG off); pages are rendered through Django's
test client, exports go through the local QuickBooks Online, Xero and QuickBooks Desktop
over real sockets. These are benchmarks, not tests: nothing fails when a figure misses its
target; this page says so.
"""


def _machine_section(machine: dict[str, str], elapsed_seconds: float) -> str:
    lines = ["## Machine", ""]
    lines += [f"- {name}: {value}" for name, value in machine.items()]
    lines.append(f"- Whole run: {elapsed_seconds:.0f} s")
    return "\n".join(lines)


def _targets_section(rows: list[Row]) -> str:
    judged = [row for row in rows if row.met is not None]
    met = [row for row in judged if row.met]
    missed = [row for row in judged if not row.met]
    pending = [row for row in rows if row.figure == "failed"]
    lines = ["## Targets", "", f"{len(met)} of {len(judged)} targets met."]
    for title, group in (("Met", met), ("Not met", missed)):
        if group:
            lines += ["", f"{title}:", ""]
            lines += [
                f"- {_label(row)}: {row.figure}, target {row.target}"
                + (f", ratio {row.ratio}" if row.ratio else "")
                for row in group
            ]
    if pending:
        lines += ["", "Not measured:", ""]
        lines += [f"- {row.scenario}: {row.figure}: {row.note}." for row in pending]
    return "\n".join(lines)


def _label(row: Row) -> str:
    return f"{row.scenario} ({row.size})" if row.size else row.scenario


def _notes_section(rows: list[Row]) -> str:
    notes = [f"- {_label(row)}: {row.note}" for row in rows if row.note and row.met is not None]
    return "\n".join(["## Notes", "", *notes]) if notes else ""


def render(rows: list[Row], *, machine: dict[str, str], elapsed_seconds: float) -> str:
    sections = [
        HEADER,
        "## Results\n\n" + as_markdown(rows),
        _targets_section(rows),
        _notes_section(rows),
        _machine_section(machine, elapsed_seconds),
    ]
    return "\n\n".join(section.strip() for section in sections if section) + "\n"


def write(path: str, rows: list[Row], *, machine: dict[str, str], elapsed_seconds: float) -> None:
    text = render(rows, machine=machine, elapsed_seconds=elapsed_seconds)
    Path(path).write_text(text, encoding="utf-8")
