"""The QuickBooks Desktop part of docs/reliability.md: its fault matrix and its soak."""

from __future__ import annotations

from tests.reliability import matrix_quickbooks_desktop as matrix
from tests.reliability.results import Results

SHORT_STATUS = {"synced": "synced", "export_failed": "failed"}


def desktop_section(results: Results) -> list[str]:
    return [*_grid(results), *_cells(results), *_soak(results)]


def _grid(results: Results) -> list[str]:
    by_cell = {(cell.export, cell.fault): cell for cell in results.desktop_cells}
    not_applicable = {(row.label, fault.label) for row, fault in matrix.NOT_APPLICABLE}
    lines = [
        "## QuickBooks Desktop: fault matrix",
        "",
        "Each record is sent and accepted with the approval services; the export worker hands "
        'its request to the outbox (the record waits, "Waiting for QuickBooks Desktop"), and '
        "the local QuickBooks Desktop's Web Connector runs against the live server over real "
        "sockets until the record settles. *Linked* means the next run looked the document up "
        "by our attempt id and linked it instead of adding a second. Every synced cell left "
        "exactly one document (a change order: its one set of lines) in the company file; every "
        "failed cell left none of ours. Each record has one audit event per state change.",
        "",
        "| Fault | " + " | ".join(row.label for row in matrix.ROWS) + " |",
        "|---|" + "---|" * len(matrix.ROWS),
    ]
    for fault in matrix.FAULTS:
        marks = []
        for row in matrix.ROWS:
            key = (row.label, fault.label)
            cell = by_cell.get(key)
            if key in not_applicable:
                marks.append("n/a")
            elif cell is None:
                marks.append("not run")
            else:
                mark = SHORT_STATUS.get(cell.status, cell.status)
                marks.append(f"{mark} (linked)" if cell.linked else mark)
        lines.append(f"| {fault.label} | " + " | ".join(marks) + " |")
    lines += ["", "How each fault is made:", ""]
    lines += [f"- {fault.label}: {fault.how}." for fault in matrix.FAULTS]
    lines += ["", "Not applicable:", ""]
    lines += [
        f"- {row.label}, {fault.label}: {fault.not_applicable}."
        for row, fault in matrix.NOT_APPLICABLE
    ]
    return [*lines, ""]


def _cells(results: Results) -> list[str]:
    lines = [
        "### Each QuickBooks Desktop cell",
        "",
        "*Told* is the record's message at the end (failures) or what it showed while it "
        "waited. *Requests* are the qbXML requests sent for the record; *runs* the Web "
        "Connector's runs after the accept.",
        "",
        "| Export | Fault | Status | Told | Documents | Requests | Runs |",
        "|---|---|---|---|---|---|---|",
    ]
    for cell in results.desktop_cells:
        told = cell.told or "; ".join(cell.told_while_retrying)
        lines.append(
            f"| {cell.export} | {cell.fault} | {SHORT_STATUS.get(cell.status, cell.status)} | "
            f"{_cell_text(told)} | {cell.documents} | {cell.requests} | {cell.worker_runs} |"
        )
    return [*lines, ""]


def _soak(results: Results) -> list[str]:
    soak = results.desktop_soak
    if soak is None:
        return ["## QuickBooks Desktop: soak", "", "Not run.", ""]
    return [
        "## QuickBooks Desktop: soak",
        "",
        f"For {soak.seconds:.0f} seconds companies, commitments and invoices (on synced "
        "commitments) were accepted continuously while the Web Connector polled from a thread "
        "of its own and a share of its runs was armed with a random fault (it strikes when the "
        "run reaches the request it is placed at; the runs' outcomes show which struck): an "
        "answer lost after "
        "QuickBooks stored the request, QuickBooks closed, or the run stopped part way "
        f"(seed {soak.seed}; rerun with QBD_SOAK_SEED to repeat the draw). Then the Web "
        "Connector ran until nothing waited, and every record was checked against the company "
        "file: one document each, the bills to the cent.",
        "",
        "| Figure | Value |",
        "|---|---|",
        f"| Duration | {soak.seconds:.0f} s |",
        *(f"| Accepted: {kind} | {count} |" for kind, count in sorted(soak.accepted.items())),
        f"| Synced | {soak.synced} |",
        f"| Documents in the company file, exactly one per record | {soak.documents} |",
        f"| Bills: our invoice nets = QuickBooks totals | {soak.bills_total} |",
        *(f"| Fault armed: {kind} | {count} |" for kind, count in soak.faults_armed.items()),
        *(
            f"| Web Connector runs ending {outcome} | {count} |"
            for outcome, count in soak.runs_by_outcome.items()
        ),
        "",
    ]


def _cell_text(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
