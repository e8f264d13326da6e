"""The fault matrix's rows of people: an edit between two attempts, a page left open while the
record changed, a second project manager, a cost code relinked. Each scenario runs in a
QuickBooks company of its own and ends with exactly one document per record, or none."""

from __future__ import annotations

import pytest

from approvals.states import SyncStatus
from tests.reliability import matrix, people, scene
from tests.reliability.results import RESULTS


def run_scenario(cell: matrix.Cell, scenario: people.Scenario) -> people.PeopleOutcome:
    record, told = scenario.run(cell)
    record.refresh_from_db()
    documents = people.documents_of(cell)
    assert record.sync_status == SyncStatus.SYNCED, record.last_export_error
    assert len(documents) == 1, documents
    assert record.erp_id == documents[0]["Id"]
    return people.PeopleOutcome(
        scenario=scenario.label,
        export=scenario.export,
        status=record.sync_status,
        documents=len(documents),
        history=people.history(record),
        told=told,
    )


@pytest.mark.django_db(transaction=True)
def test_people_between_the_tries(qbo_sandbox, qbo_sandbox_server, fast_exports, machine_noted):
    pm, approver = scene.people()
    problems = []
    for number, scenario in enumerate(people.SCENARIOS, start=901):
        qbo_sandbox.clear_faults()
        books = scene.open_books(qbo_sandbox, pm=pm, approver=approver, tag=number)
        row = next(row for row in matrix.ROWS if row.label == scenario.export)
        cell = matrix.Cell(sandbox=qbo_sandbox, server=qbo_sandbox_server, books=books, row=row)
        try:
            RESULTS.people.append(run_scenario(cell, scenario))
        except Exception as problem:
            problems.append(
                f"{scenario.label} ({scenario.export}): {type(problem).__name__}: {problem}"
            )
    assert not problems, "\n\n".join(problems)
