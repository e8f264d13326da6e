from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from approvals.models import AuditEvent, CommitmentStatus, SubcontractorInvoice
from approvals.services import (
    invoices_send_bulk,
    record_send,
    records_accept_bulk,
    records_reject_bulk,
)
from approvals.services.importing.job_costs import job_costs_sync
from approvals.states import Action, SyncStatus
from integrations.data import BillSummary, JobCostBatch
from tests.factories import make_commitment, make_company, make_invoice, make_project, make_user

pytestmark = pytest.mark.django_db


def sent_commitments(project, pm, count):
    commitments = [make_commitment(project=project) for _ in range(count)]
    for commitment in commitments:
        record_send(record=commitment, actor=pm)
    return commitments


def test_one_failure_does_not_stop_the_others(project, pm, approver):
    good, bad, also_good = sent_commitments(project, pm, 3)
    type(bad).objects.filter(pk=bad.pk).update(status=CommitmentStatus.VOID)
    bad.refresh_from_db()

    outcomes = records_accept_bulk(records=[good, bad, also_good], actor=approver)

    assert [outcome.ok for outcome in outcomes] == [True, False, True]
    assert outcomes[0].message.endswith("accepted; the export is queued.")
    assert f"Commitment {bad.number} is not approved yet (it is Void)." in outcomes[1].message
    assert outcomes[1].record is bad
    assert bad.sync_status == SyncStatus.READY_TO_EXPORT
    assert good.sync_status == also_good.sync_status == SyncStatus.EXPORTING


def test_bulk_reject_reports_each_item(project, pm, approver):
    first, second = sent_commitments(project, pm, 2)
    records_reject_bulk(records=[first], actor=approver, reason="Duplicate.")
    outcomes = records_reject_bulk(records=[first, second], actor=approver, reason="Duplicate.")
    assert [outcome.ok for outcome in outcomes] == [False, True]
    assert "cannot be rejected" in outcomes[0].message


def test_bulk_send_of_invoices_mentions_possible_duplicates(project, pm):
    commitment = make_commitment(project=project, synced=True)
    make_invoice(commitment=commitment, number="10")
    twin = make_invoice(commitment=commitment, number="10", lines=[{"work_completed": "1"}])
    unique = make_invoice(commitment=commitment, number="11", lines=[{"work_completed": "2"}])
    outcomes = invoices_send_bulk(invoices=[twin, unique], actor=pm)
    assert all(outcome.ok for outcome in outcomes)
    assert "Possible duplicate of invoice 10" in outcomes[0].message
    assert outcomes[1].message.endswith("sent to the approvers.")


def test_bulk_accept_costs_the_same_few_queries_per_item(project, pm, approver):
    def queries_for(count):
        records = sent_commitments(make_project(synced=True, members=[pm]), pm, count)
        pm.__dict__.pop("_approvals_project_ids", None)
        with CaptureQueriesContext(connection) as captured:
            outcomes = records_accept_bulk(records=records, actor=approver)
        assert all(outcome.ok for outcome in outcomes)
        return len(captured)

    queries_for(1)  # warms the per-user permission and content-type caches
    one, two, six = queries_for(1), queries_for(2), queries_for(6)
    per_item = two - one
    assert six == one + 5 * per_item
    # 21: one more since an accept also asks whether the company ever switched accounting
    # systems (links through an earlier connection are refused).
    assert per_item <= 21


def sent_invoices(commitment, pm, count, *, first_amount=100):
    invoices = [
        make_invoice(commitment=commitment, lines=[{"work_completed": str(first_amount + n)}])
        for n in range(count)
    ]
    for invoice in invoices:
        record_send(record=invoice, actor=pm)
    return invoices


def test_bulk_accept_of_invoices_takes_the_same_statements_whatever_the_count(
    project, pm, approver
):
    commitment = make_commitment(project=project, synced=True)

    def statements_for(count, first_amount):
        invoices = sent_invoices(commitment, pm, count, first_amount=first_amount)
        with CaptureQueriesContext(connection) as captured:
            outcomes = records_accept_bulk(records=invoices, actor=approver)
        assert all(outcome.ok for outcome in outcomes), outcomes
        return len(captured)

    statements_for(1, 10)  # warms the per-user permission and content-type caches
    two, six = statements_for(2, 20), statements_for(6, 30)
    assert six == two


def test_bulk_accept_of_invoices_moves_each_once_with_its_event_and_task(project, pm, approver):
    commitment = make_commitment(project=project, synced=True)
    first, taken, third = sent_invoices(commitment, pm, 3)
    other_approver = make_user(role="approver", username="bob", first_name="Bob")
    records_accept_bulk(
        records=[SubcontractorInvoice.objects.get(pk=taken.pk)], actor=other_approver
    )

    outcomes = records_accept_bulk(records=[first, taken, third], actor=approver)

    assert [outcome.ok for outcome in outcomes] == [True, False, True]
    assert outcomes[1].record is taken
    assert "This invoice was already accepted by Bob at" in outcomes[1].message
    assert outcomes[0].message == (
        f"Invoice {first.number} ({commitment.vendor.name}): accepted; the export is queued."
    )
    for invoice in (first, taken, third):
        stored = SubcontractorInvoice.objects.get(pk=invoice.pk)
        assert stored.sync_status == SyncStatus.EXPORTING
        assert stored.export_attempt == 1
        assert stored.export_started_at is not None
        events = AuditEvent.objects.filter(object_id=invoice.pk, action=Action.ACCEPT)
        assert events.count() == 1
    assert first.sync_status == SyncStatus.EXPORTING and first.export_attempt == 1
    assert first.decided_by == approver
    queued = sorted(task.args_kwargs["args"][1] for task in DBTaskResult.objects.all())
    assert queued == sorted([first.pk, taken.pk, third.pk])


def test_bulk_accept_refuses_local_twins_unless_confirmed(project, pm, approver):
    commitment = make_commitment(project=project, synced=True)
    twin, also_twin = (
        make_invoice(commitment=commitment, number="1043", period_start=date(2026, 5, 1)),
        make_invoice(commitment=commitment, number=" 1043", period_start=date(2026, 7, 1)),
    )
    unique, not_approved = sent_invoices(commitment, pm, 2)
    for invoice in (twin, also_twin):
        record_send(record=invoice, actor=pm)
    type(not_approved).objects.filter(pk=not_approved.pk).update(status="draft")

    refused = records_accept_bulk(records=[twin, also_twin, unique, not_approved], actor=approver)

    # As in record_accept, the number typed with a space is the twin of the first, not both ways.
    assert [outcome.ok for outcome in refused] == [True, False, True, False]
    assert f"invoice 1043 ({commitment.vendor.name}" in refused[1].message
    assert f"Invoice {not_approved.number} is not approved yet" in refused[3].message
    assert (
        SubcontractorInvoice.objects.get(pk=also_twin.pk).sync_status == SyncStatus.READY_TO_EXPORT
    )

    confirmed = records_accept_bulk(records=[also_twin], actor=approver, confirm_duplicates=True)

    assert [outcome.ok for outcome in confirmed] == [True]
    stored = SubcontractorInvoice.objects.get(pk=also_twin.pk)
    assert stored.duplicate_of_id == twin.pk
    assert stored.duplicate_confirmed_by == approver
    event = AuditEvent.objects.get(object_id=also_twin.pk, action=Action.ACCEPT)
    assert event.reason.startswith("accepted despite possible duplicate of invoice 1043 (")


def test_bulk_accept_flags_imported_bills_without_asking_the_erp(
    erp_connection, erp_books, scripted_connector, pm, approver, project
):
    vendor = make_company(name="Acme Drywall", synced=True)
    commitment = make_commitment(project=project, vendor=vendor, synced=True)
    same_number, same_total, clean = (
        make_invoice(commitment=commitment, number="PA-07", lines=[{"work_completed": "5"}]),
        make_invoice(commitment=commitment, lines=[{"work_completed": "900.00"}]),
        make_invoice(commitment=commitment, lines=[{"work_completed": "321.00"}]),
    )
    for invoice in (same_number, same_total, clean):
        record_send(record=invoice, actor=pm)
    keyed_in_the_erp = [
        BillSummary(
            erp_id=erp_id,
            vendor_erp_id=vendor.erp_id,
            number=number,
            billed_on=day,
            total=Decimal(total),
            pre_tax_total=Decimal(total),
            balance=Decimal(total),
            is_voided=False,
        )
        for erp_id, number, total, day in (
            ("701", "PA-07", "1.00", date(2026, 1, 15)),
            ("702", "OTHER", "900.00", date(2026, 5, 20)),
        )
    ]
    erp_books.job_cost_runs.append(
        [JobCostBatch(resume_token="1", full_read=True, bills=tuple(keyed_in_the_erp))]
    )
    job_costs_sync(connection=erp_connection)
    reads = len(erp_books.tokens)

    outcomes = records_accept_bulk(records=[same_number, same_total, clean], actor=approver)

    assert len(erp_books.tokens) == reads and scripted_connector.CALLS == []
    assert [outcome.ok for outcome in outcomes] == [False, False, True]
    assert "bill PA-07 in Xero from Acme Drywall dated 2026-01-15" in outcomes[0].message
    assert "bill OTHER in Xero from Acme Drywall dated 2026-05-20" in outcomes[1].message


def test_bulk_queued_exports_are_the_rows_the_task_backend_writes_itself():
    """The bulk accept writes its task rows in one INSERT; they must be what enqueue writes."""
    from django_tasks_db.models import DBTaskResult

    from approvals.services.exporting.exports import export_enqueue, export_enqueue_many

    first, second = make_invoice(), make_invoice()
    export_enqueue(record=first)
    export_enqueue_many(records=[second])
    fields = ("status", "priority", "task_path", "queue_name", "run_after", "backend_name")
    single, bulk = (
        DBTaskResult.objects.get(args_kwargs__args__1=invoice.pk) for invoice in (first, second)
    )
    assert [getattr(bulk, name) for name in fields] == [getattr(single, name) for name in fields]
    assert bulk.args_kwargs == {
        "args": ["approvals.subcontractorinvoice", second.pk, second.export_attempt, 1],
        "kwargs": {},
    }
    assert bulk.task_result.task.func is single.task_result.task.func
