"""Every export x every fault, for each ERP, through the public path: send and accept with the
services, then the real export worker against the ERP's sandbox over a real socket.

Each cell asserts the record's final status, what the accountant is told, the audit trail (one
event per state change), and what the ERP holds: exactly the record's one document, or none
where the export rightly failed, with anything that was there before left as it was.
"""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from approvals.models import AuditEvent, SubcontractorInvoice
from approvals.services import PossibleDuplicate, record_accept, record_send
from approvals.states import Action, SyncStatus
from tests.reliability import matrix, matrix_xero, scene
from tests.reliability.results import RESULTS, CellOutcome
from tests.reliability.worker import run_exports_until_settled, settled_request_log

ERPS = (matrix.QUICKBOOKS_ONLINE, matrix_xero.XERO)

WORDS_NO_ACCOUNTANT_SHOULD_READ = ("Traceback", "Exception", "Error:", "None", "{", "ERPError")


def send_and_accept(cell: matrix.Cell) -> None:
    books, record = cell.books, cell.record
    record_send(record=record, actor=books.pm)
    choices = cell.row.choices(books)
    try:
        record_accept(record=record, actor=books.approver, choices=choices)
    except PossibleDuplicate as warning:
        # The accountant is warned first, and here decides to go ahead anyway.
        assert isinstance(record, SubcontractorInvoice)
        assert f"Bill {record.number} from Acme Drywall" in warning.message
        record_accept(record=record, actor=books.approver, choices=choices, confirm_duplicate=True)


def assert_said_like_an_accountant(message: str) -> None:
    assert message.strip(), "the accountant is told nothing"
    assert message[0].isupper() and message.rstrip().endswith("."), message
    for word in WORDS_NO_ACCOUNTANT_SHOULD_READ:
        assert word not in message, message


def assert_one_event_per_state_change(record, *, final: Action, reason: str) -> None:
    events = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk
    ).order_by("created_at", "pk")
    assert [(e.action, e.from_status, e.to_status) for e in events] == [
        (Action.SEND, SyncStatus.NOT_SENT, SyncStatus.READY_TO_EXPORT),
        (Action.ACCEPT, SyncStatus.READY_TO_EXPORT, SyncStatus.EXPORTING),
        (final, SyncStatus.EXPORTING, record.sync_status),
    ]
    assert events.last().reason == reason


def assert_documents(erp: matrix.ErpMatrix, cell: matrix.Cell, fault: matrix.Fault) -> list[dict]:
    row, record = cell.row, cell.record
    documents = row.documents(cell)
    ours = [d for d in documents if record.erp_id and erp.belongs(cell, d)]
    foreign = matrix.foreign_documents(fault, row)
    if fault.synced:
        assert len(ours) == (2 if row.label == "change order" else 1), documents
        assert len(documents) == len(ours), documents
    else:
        assert record.erp_id == ""
        assert ours == []
        assert len(documents) == foreign, documents
    return ours


def run_cell(erp: matrix.ErpMatrix, cell: matrix.Cell, fault: matrix.Fault) -> CellOutcome:
    row, books, sandbox = cell.row, cell.books, cell.sandbox
    cell.record = row.make(books)
    if fault.before_send:
        fault.arm(cell)
    sandbox.clear_request_log()
    send_and_accept(cell)
    if not fault.before_send:
        fault.arm(cell)

    settled = run_exports_until_settled(cell.record)
    for thread in cell.background:
        thread.join(timeout=30)
    record = cell.record
    log = settled_request_log(sandbox)

    told = record.last_export_error
    linked = fault.linked and row.looks_up_first
    if fault.synced:
        assert record.sync_status == SyncStatus.SYNCED, told
        assert told == ""
        if fault.told:
            assert any(fault.told in message for message in settled.interim_messages), (
                settled.interim_messages
            )
            for message in settled.interim_messages:
                assert_said_like_an_accountant(message)
        linked_reason = "Linked to an existing document in the ERP."
        assert_one_event_per_state_change(
            record, final=Action.EXPORT_SUCCEEDED, reason=linked_reason if linked else ""
        )
    else:
        assert record.sync_status == SyncStatus.EXPORT_FAILED
        assert erp.expected_message(fault, row, books) in told
        assert_said_like_an_accountant(told)
        assert_one_event_per_state_change(record, final=Action.EXPORT_FAILED, reason=told)

    ours = assert_documents(erp, cell, fault)
    if fault.synced:
        erp.assert_money_to_the_cent(cell, ours)
    erp.after_checks(cell, fault, log)

    return CellOutcome(
        erp=erp.name,
        export=row.label,
        fault=fault.label,
        status=record.sync_status,
        told=told,
        told_while_retrying=settled.interim_messages,
        linked=linked,
        documents=len(ours),
        requests=len(erp.api_requests(log)),
        faults_fired=sum(erp.faults_fired(log).values()),
        worker_runs=settled.worker_runs,
    )


# One test per ERP and export, each cell in a company (organisation) of its own: emptying the
# database between cells would cost more than all the cells together.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("erp", "row"),
    [(erp, row) for erp in ERPS for row in erp.rows],
    ids=lambda value: getattr(value, "name", getattr(value, "label", "")).replace(" ", "_"),
)
def test_export_under_every_fault(erp, row, request, machine_noted):
    sandbox = request.getfixturevalue(erp.sandbox_fixture)
    server = request.getfixturevalue(erp.server_fixture)
    request.getfixturevalue(erp.settings_fixture)
    pm, approver = scene.people()
    problems = []
    for number, (cell_row, fault) in enumerate(erp.cells, start=1):
        if cell_row is not row:
            continue
        sandbox.clear_faults()
        books = erp.open_books(sandbox, pm=pm, approver=approver, tag=number)
        cell = matrix.Cell(sandbox=sandbox, server=server, books=books, row=row)
        try:
            RESULTS.cells.append(run_cell(erp, cell, fault))
        except Exception as problem:
            problems.append(
                f"{erp.name}: {row.label} x {fault.label}: {type(problem).__name__}: {problem}"
            )
    assert not problems, "\n\n".join(problems)
