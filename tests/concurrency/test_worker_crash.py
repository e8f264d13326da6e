"""A worker is killed (SIGKILL) while QuickBooks is creating the bills of its batch. After the
stuck-export recovery and new workers, every invoice is one bill: none stuck, none twice."""

import threading
import time
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django_tasks_db.models import DBTaskResult

from approvals.models import AuditEvent, CostCode, SubcontractorInvoice
from approvals.services import exports_recover_stuck, record_accept, record_send
from approvals.states import Action, SyncStatus
from integrations.quickbooks_online.connector import QuickBooksOnlineConnector
from integrations.quickbooks_online.sandbox.chaos import FaultRule
from tests.concurrency.conftest import wait_until_settled
from tests.factories import (
    linking_connection,
    make_commitment,
    make_company,
    make_invoice,
    make_project,
    make_user,
)
from tests.reliability.sandbox_faults import add_fault

INVOICES = 24
LATENCY_SECONDS = 1.0
EXPORT_TASK = "approvals.tasks.export_run"


def linked(record, erp_id: str):
    """Set the scene: `record` was exported earlier as `erp_id`."""
    type(record).objects.filter(pk=record.pk).update(
        sync_status=SyncStatus.SYNCED, erp_id=erp_id, erp_connection=linking_connection()
    )
    record.refresh_from_db()
    return record


@pytest.fixture
def commitment_in_quickbooks(qbo_sandbox, qbo_connection):
    """A project (job), vendor and purchase order already in QuickBooks, with one cost code."""
    connector = QuickBooksOnlineConnector(qbo_connection)
    expense = next(
        account
        for account in qbo_sandbox.entities("Account")
        if account["AccountType"] in ("Expense", "Cost of Goods Sold")
    )
    item = qbo_sandbox.create_entity(
        "Item",
        {"Name": "Framing", "Type": "NonInventory", "ExpenseAccountRef": {"value": expense["Id"]}},
    )
    owner = qbo_sandbox.create_entity("Customer", {"DisplayName": "Harbor Point Developers"})
    project = make_project(number="P-2040", erp_parent_customer_id=owner["Id"])
    linked(project, connector.export(project, idempotency_key="crash-job").erp_id)
    vendor = make_company(name="Star Framing LLC")
    linked(vendor, connector.export(vendor, idempotency_key="crash-vendor").erp_id)
    cost_code = CostCode.objects.create(
        erp_connection=linking_connection(), code="06-1000", name="Framing", erp_id=item["Id"]
    )
    commitment = make_commitment(
        project=project, vendor=vendor, number="SC-2040-01", lines=[(cost_code, "500000.00")]
    )
    result = connector.export(commitment, idempotency_key="crash-po")
    # As the export service keeps them: the bills link these lines from their creation.
    for line_pk, erp_line_id in result.line_ids.items():
        commitment.lines.filter(pk=line_pk).update(erp_line_id=erp_line_id)
    return linked(commitment, result.erp_id)


class HeldBatch(FaultRule):
    """The next batch sits at QuickBooks for a while; `arrived` is set once it is there."""

    def __init__(self):
        super().__init__(kind="latency", entity="batch", seconds=LATENCY_SECONDS)
        self.arrived = threading.Event()

    def matches(self, method: str, resources: tuple[str, ...]) -> bool:
        if not super().matches(method, resources):
            return False
        self.arrived.set()
        return True


def wait_for(condition, *, timeout: float = 30.0, what: str):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for {what}")
        time.sleep(0.02)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_export_leaves_nothing_stuck_and_nothing_twice(
    qbo_sandbox, qbo_sandbox_server, commitment_in_quickbooks, workers
):
    project = commitment_in_quickbooks.project
    pm = make_user(role="project_manager", projects=[project])
    approver = make_user(role="approver")
    invoices = []
    for number in range(INVOICES):
        invoice = make_invoice(
            commitment=commitment_in_quickbooks,
            number=f"PA-{number:03d}",
            lines=[{"work_completed": f"{1000 + number}.00"}],
        )
        record_send(record=invoice, actor=pm)
        record_accept(record=invoice, actor=approver)
        invoices.append(invoice)
    qbo_sandbox.clear_request_log()
    # QuickBooks takes a while over the batch, as on a slow day.
    held = add_fault(qbo_sandbox_server, HeldBatch())

    [doomed] = workers.start(1)
    assert held.arrived.wait(timeout=60), workers.logs()
    time.sleep(LATENCY_SECONDS / 4)
    workers.kill(doomed)

    claimed = SubcontractorInvoice.objects.filter(
        pk__in=[invoice.pk for invoice in invoices], sync_status=SyncStatus.EXPORTING
    ).exclude(export_claimed_by="")
    assert claimed.count() == INVOICES
    [orphan] = DBTaskResult.objects.filter(task_path=EXPORT_TASK, status="RUNNING")
    # QuickBooks finishes the batch nobody is waiting for any more.
    wait_for(
        lambda: any(entry["path"].endswith("/batch") for entry in qbo_sandbox.request_log()),
        what="QuickBooks to finish the orphaned batch",
    )
    orphaned_bills = {
        bill["DocNumber"]: bill["Id"]
        for bill in qbo_sandbox.entities("Bill")
        if bill["DocNumber"].startswith("PA-")
    }
    assert len(orphaned_bills) == INVOICES

    requeued = exports_recover_stuck(older_than=timedelta(milliseconds=100))
    assert requeued == INVOICES
    assert not claimed.exists()
    qbo_sandbox.clear_faults()
    workers.start(2)

    query = SubcontractorInvoice.objects.filter(pk__in=[invoice.pk for invoice in invoices])
    statuses = wait_until_settled(query, workers)
    assert statuses == {SyncStatus.SYNCED: INVOICES}, workers.logs()

    bills = [bill for bill in qbo_sandbox.entities("Bill") if bill["DocNumber"].startswith("PA-")]
    assert sorted(bill["DocNumber"] for bill in bills) == sorted(i.number for i in invoices)
    by_id = {bill["Id"]: bill for bill in bills}
    for invoice in query:
        bill = by_id[invoice.erp_id]
        assert bill["DocNumber"] == invoice.number
        assert orphaned_bills[invoice.number] == invoice.erp_id
        assert Decimal(str(bill["TotalAmt"])) == Decimal(1000 + int(invoice.number[3:]))
        assert invoice.export_attempt == 1

    trails = defaultdict(list)
    for event in AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(SubcontractorInvoice)
    ).order_by("created_at", "pk"):
        trails[event.object_id].append((event.action, event.reason))
    for invoice in invoices:
        assert trails[invoice.pk] == [
            (Action.SEND, ""),
            (Action.ACCEPT, trails[invoice.pk][1][1]),
            (Action.EXPORT_SUCCEEDED, "Linked to an existing document in the ERP."),
        ]

    # The queued tasks and the re-queued ones ran: the first of them linked every bill, in
    # batches; the others found their invoice synced and did nothing.
    tasks = DBTaskResult.objects.filter(task_path=EXPORT_TASK).exclude(pk=orphan.pk)
    wait_for(lambda: not tasks.exclude(status="SUCCESSFUL").exists(), what="the queue to drain")
    outcomes = Counter(tasks.values_list("return_value", flat=True))
    linked = sum(
        int(outcome.split(": ")[1].split()[0]) * count
        for outcome, count in outcomes.items()
        if outcome.startswith("batch of ")
    ) + outcomes.pop("synced", 0)
    assert linked == INVOICES
    assert {outcome for outcome in outcomes if not outcome.startswith("batch of ")} <= {
        "skipped: not exporting",
        "skipped: another worker is exporting it",
    }
