"""The QuickBooks Desktop fault matrix, through the public path: send and accept with the
services, the export worker hands the request to the outbox, and the local QuickBooks Desktop's
Web Connector runs against the live server over real sockets until the record settles.

Each cell asserts the record's final status, what the accountant is told, the audit trail (one
event per state change) and what the company file holds: exactly the record's one document (for
a change order, its one set of lines), or none of ours where the export rightly failed.
"""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from approvals.models import AuditEvent, CommitmentChangeOrder
from approvals.services import record_accept, record_send
from approvals.states import SyncStatus
from integrations.quickbooks_desktop.models import Exchange, QueuedRequest, RequestState
from tests.approvals.admin.helpers import run_queued_exports
from tests.integrations.quickbooks_desktop.conftest import ENDPOINT, PASSWORD, live_server  # noqa: F401
from tests.integrations.quickbooks_desktop.test_purchase_orders_and_bills import USERNAME, Books
from tests.reliability import matrix_quickbooks_desktop as matrix
from tests.reliability.results import RESULTS, CellOutcome

MOST_RUNS = 4
WAITING = "Waiting for QuickBooks Desktop"


@pytest.fixture
def quickbooks(qbd_sandbox, live_server, settings):  # noqa: F811
    qbd_sandbox.settings(
        app_url=f"{live_server.url}{ENDPOINT}", username=USERNAME, password=PASSWORD
    )
    settings.QBWC_BUSY_SECONDS = 0  # a run cut short is over by the time the next one starts
    return qbd_sandbox


def fresh(record):
    record.refresh_from_db()
    return record


def accept_and_hand_off(cell: matrix.Cell) -> None:
    books, record = cell.books, cell.record
    record_send(record=record, actor=books.pm)
    record_accept(record=record, actor=books.approver, choices=cell.row.choices(cell) or None)
    assert run_queued_exports() == ["handed off"]
    record = fresh(record)
    assert record.sync_status == SyncStatus.AWAITING_ERP
    cell.told_while_waiting.append(record.sync_status_label)


def run_until_settled(cell: matrix.Cell) -> None:
    while fresh(cell.record).sync_status == SyncStatus.AWAITING_ERP:
        assert len(cell.runs) < MOST_RUNS, f"still waiting after the runs {cell.runs}"
        cell.told_while_waiting.append(cell.record.sync_status_label)
        cell.run()


def state_changes(record) -> list[tuple[str, str, str]]:
    events = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk
    ).order_by("created_at", "pk")
    return [(e.action, e.from_status, e.to_status) for e in events]


def assert_one_event_per_state_change(record) -> None:
    changes = state_changes(record)
    assert [(frm, to) for _, frm, to in changes] == [
        (SyncStatus.NOT_SENT, SyncStatus.READY_TO_EXPORT),
        (SyncStatus.READY_TO_EXPORT, SyncStatus.EXPORTING),
        (SyncStatus.EXPORTING, SyncStatus.AWAITING_ERP),
        (SyncStatus.AWAITING_ERP, record.sync_status),
    ], changes


def requests_of(record):
    return QueuedRequest.objects.filter(record_id=record.pk, model_label=record._meta.label_lower)


def answer_statuses(record) -> list[int | None]:
    """QuickBooks' status code of each request sent for the record (None: no answer heard)."""
    exchanges = Exchange.objects.filter(request__in=requests_of(record)).order_by("pk")
    return list(exchanges.values_list("status_code", flat=True))


def ours_of(record, documents: list[dict]) -> list[dict]:
    """The documents the record is linked to (a change order is linked to its purchase order,
    and its documents are the lines it added there)."""
    if not record.erp_id:
        return []
    if isinstance(record, CommitmentChangeOrder):
        return documents
    return [d for d in documents if record.erp_id in (d.get("ListID"), d.get("TxnID"))]


def _order_memo(cell: matrix.Cell) -> str:
    (order,) = cell.quickbooks.records("PurchaseOrder")
    return order.get("Memo", "")


def run_cell(cell: matrix.Cell, fault: matrix.Fault) -> CellOutcome:
    row = cell.row
    cell.record = row.make(cell)
    if fault.before_accept:
        fault.play(cell)
    accept_and_hand_off(cell)
    if not fault.before_accept:
        fault.play(cell)
    run_until_settled(cell)

    record = fresh(cell.record)
    told = record.last_export_error
    documents = row.documents(cell)
    ours = ours_of(record, documents)
    assert set(cell.told_while_waiting) == {WAITING}, cell.told_while_waiting
    if fault.synced:
        assert record.sync_status == SyncStatus.SYNCED, told
        assert told == ""
        assert len(documents) == (2 if row.label == "change order" else 1), documents
        assert ours == documents
    else:
        assert record.sync_status == SyncStatus.EXPORT_FAILED
        assert fault.told[row.label] in told, told
        assert told[0].isupper() and told.rstrip().endswith((".", ")")), told
        assert "Traceback" not in told
        assert ours == []
        # Only what QuickBooks held before: the job of that name someone else had added (the
        # vendor's name was taken by a customer, which is not among the vendors).
        held_before = fault.before_accept and row.label == "job"
        assert len(documents) == (1 if held_before else 0), documents
    assert_one_event_per_state_change(record)
    assert requests_left(record) == 0
    statuses = answer_statuses(record)
    if fault.linked:
        assert statuses.count(None) == 1, statuses  # the answer never heard
    if fault.label.startswith("stale EditSequence"):
        assert statuses.count(3200) == 1, statuses
        assert _order_memo(cell) == "Checked by Dana"
    return CellOutcome(
        erp="QuickBooks Desktop",
        export=row.label,
        fault=fault.label,
        status=record.sync_status,
        told=told,
        told_while_retrying=sorted(set(cell.told_while_waiting)),
        linked=fault.linked,
        documents=1 if ours else 0,
        requests=len(statuses),
        faults_fired=1,
        worker_runs=len(cell.runs),
    )


def requests_left(record) -> int:
    """Requests of the record still waiting for the Web Connector once it settled."""
    return requests_of(record).filter(state=RequestState.QUEUED).count()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("row", "fault"),
    matrix.CELLS,
    ids=[f"{row.label}-{fault.label}".replace(" ", "_") for row, fault in matrix.CELLS],
)
def test_export_under_fault(row, fault, quickbooks):
    books = Books(quickbooks, retainage_item=row.label == "bill")
    cell = matrix.Cell(quickbooks=quickbooks, books=books, row=row)
    RESULTS.desktop_cells.append(run_cell(cell, fault))
