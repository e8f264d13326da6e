"""Job-cost transactions, bill payments and every vendor's bills from the ERP.

The ERP's reader hands over, batch by batch, what changed since the last run (or everything,
when it must read all): job-cost documents (bills, expenses, credits) with their lines, bill
summaries, payments, documents our exports created that changed since, deletions, and after a
full read of a kind the ids of every document of it the ERP holds, so what we keep of any other
is removed. A project just enabled has its whole history read.

Lines are kept only for projects with job-cost syncing enabled (by the job on the line). Payments
are kept for every bill and shown on the invoice exported as that bill. Every vendor's bills are
kept too (number, date, total, balance), whatever the projects' setting: the duplicate-bill check
of a send or an accept reads them, never the ERP.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from approvals.models import (
    BillPaymentAllocation,
    CostCode,
    JobCostTransaction,
    Project,
    SubcontractorInvoice,
    SyncKind,
)
from approvals.services import erp
from approvals.services.importing import drift, erp_bills, sync_runs
from approvals.services.workflow import posting
from integrations.data import (
    JOB_COST_KINDS,
    DocumentKind,
    FullListing,
    ImportedPayment,
    JobCostBatch,
    JobCostDocument,
)
from integrations.models import ERPConnection

_LINE_FIELDS = (
    "project_id",
    "txn_date",
    "doc_number",
    "vendor_erp_id",
    "vendor_name",
    "cost_code_id",
    "account_name",
    "description",
    "amount",
)
DELETE_CHUNK = 1000
READ_EVERYTHING = ""  # the resume token that makes a reader start from nothing


class _Context:
    def __init__(self, connection: ERPConnection, reader, summary, project: Project | None):
        self.connection = connection
        self.reader = reader
        self.summary = summary
        projects = Project.objects.filter(erp_connection=connection, job_cost_sync_enabled=True)
        if project is not None:
            projects = projects.filter(pk=project.pk)
        self.projects = dict(projects.exclude(erp_id="").values_list("erp_id", "pk"))
        self.cost_codes = dict(
            CostCode.objects.filter(erp_connection=connection)
            .exclude(erp_id="")
            .values_list("erp_id", "pk")
        )
        self.paid_bills: set[str] = set()


def job_costs_sync(
    *, connection: ERPConnection, project: Project | None = None, progress=None
) -> sync_runs.SyncSummary:
    """Bring job costs and bill payments up to date for every project with syncing enabled.

    With `project`, re-read that project's job costs in full and leave the others, and the
    point the next run starts from, as they are.
    """
    summary = sync_runs.SyncSummary(kind=SyncKind.JOB_COSTS, progress=progress)
    started_at = timezone.now()
    with sync_runs.leased(connection, SyncKind.JOB_COSTS) as lease:
        reader = erp.reader_for(connection)
        context = _Context(connection, reader, summary, project)
        enabled = Project.objects.filter(erp_connection=connection, job_cost_sync_enabled=True)
        token = lease.cursor.resume_token
        if project is not None or enabled.filter(job_costs_synced_at=None).exists():
            token = READ_EVERYTHING
        try:
            sync_runs.run_batches(
                lease=lease,
                summary=summary,
                batches=reader.job_cost_batches(token),
                store=lambda batch: _store(context, batch),
                save_token=project is None,
            )
            _recompute_invoices(connection, context.paid_bills)
        finally:
            reader.close()
        if project is not None:
            Project.objects.filter(pk=project.pk).update(job_costs_synced_at=started_at)
            lease.save(last_summary=summary.as_dict())
            return summary
        enabled.update(job_costs_synced_at=started_at)
        # Sends and accepts check posting dates against it without asking the ERP.
        posting.closing_date_refresh(connection)
        return sync_runs.finish(lease, summary)


def job_costs_brought(
    *, connection: ERPConnection, batch: JobCostBatch, starts: bool, finished: bool
) -> sync_runs.SyncSummary:
    """Store one batch of job costs, bills, payments and deletions that the ERP's own agent
    brought back (it answers our queued queries when it runs; no reader can be asked while we
    wait), and what the read did so far: `starts` says this batch begins a job-cost read,
    `finished` that it ends one. The projects with syncing enabled are then up to date, and the
    import counts as done; a project whose job costs were never read only when the read was of
    everything (`batch.full_read`), not of changes.

    Documents our exports created are not compared here: that needs the reader's judgement.
    """
    summary = sync_runs.SyncSummary(kind=SyncKind.JOB_COSTS, full_read=batch.full_read)
    with transaction.atomic():
        context = _Context(connection, None, summary, None)
        _store(context, batch)
        _recompute_invoices(connection, context.paid_bills)
        cursor = sync_runs.cursor_for(connection, SyncKind.JOB_COSTS)
        if not starts:
            summary.add(cursor.last_summary or {})
        now = timezone.now()
        fields = {"last_run_at": now, "last_summary": summary.as_dict(), "last_error": ""}
        if finished:
            fields.update(last_success_at=now, requested_at=None)
            enabled = Project.objects.filter(erp_connection=connection, job_cost_sync_enabled=True)
            if not batch.full_read:
                enabled = enabled.exclude(job_costs_synced_at=None)
            enabled.update(job_costs_synced_at=now)
        type(cursor).objects.filter(pk=cursor.pk).update(**fields)
    return summary


def _store(context: _Context, batch: JobCostBatch) -> None:
    connection, reader, summary = context.connection, context.reader, context.summary
    _store_documents(context, batch.documents)
    erp_bills.bills_store(connection=connection, bills=batch.bills)
    _store_payments(context, batch.payments)
    deleted = defaultdict(list)
    for deletion in batch.deletions:
        deleted[deletion.kind].append(deletion.erp_id)
    for kind, erp_ids in deleted.items():
        _forget(context, kind, erp_ids)
        if reader is not None:
            summary.drifted += drift.check_deleted(
                connection=connection, reader=reader, kind=kind, erp_ids=erp_ids
            )
    if reader is not None:
        summary.drifted += drift.check_documents(
            connection=connection, reader=reader, documents=batch.exported
        )
    for listing in batch.listings:
        _forget(context, listing.kind, sorted(_held(context, listing) - listing.erp_ids))
        if reader is not None:
            summary.drifted += drift.check_missing(
                connection=connection, reader=reader, kind=listing.kind, seen_ids=listing.erp_ids
            )


def _forget(context: _Context, kind: DocumentKind, erp_ids: list[str]) -> None:
    """What we keep of the documents of `kind` with these ids, gone from the ERP."""
    if kind in JOB_COST_KINDS:
        _delete_documents(context, kind, erp_ids)
    if kind == DocumentKind.BILL:
        erp_bills.bills_forget(connection=context.connection, erp_ids=erp_ids)
    if kind == DocumentKind.PAYMENT:
        _delete_payments(context, erp_ids)


def _held(context: _Context, listing: FullListing) -> set[str]:
    """The ids of the documents of the listing's kind we keep anything of."""
    connection = context.connection
    held: set[str] = set()
    if listing.kind in JOB_COST_KINDS:
        held |= _held_ids(
            JobCostTransaction,
            connection,
            "txn_id",
            txn_type=listing.kind,
            project__in=list(context.projects.values()),
        )
    if listing.kind == DocumentKind.BILL:
        held |= erp_bills.bills_held(connection=connection)
    if listing.kind == DocumentKind.PAYMENT:
        held |= _held_ids(BillPaymentAllocation, connection, "payment_id")
    return held


def _held_ids(model, connection, field: str, **filters) -> set[str]:
    return set(
        model.objects.filter(erp_connection=connection, **filters)
        .values_list(field, flat=True)
        .distinct()
    )


def _store_documents(context: _Context, documents: tuple[JobCostDocument, ...]) -> None:
    by_kind = defaultdict(list)
    for document in documents:
        by_kind[document.kind].append(document)
    for kind, of_kind in by_kind.items():
        _store_documents_of_kind(context, kind, of_kind)


def _store_documents_of_kind(context: _Context, kind: DocumentKind, documents: list) -> None:
    connection = context.connection
    wanted: dict[tuple[str, str], JobCostTransaction] = {}
    for document in documents:
        for line in document.lines:
            project_id = context.projects.get(line.job_erp_id)
            if project_id is None:
                continue
            wanted[(document.erp_id, line.line_id)] = JobCostTransaction(
                erp_connection=connection,
                project_id=project_id,
                txn_type=kind,
                txn_id=document.erp_id,
                line_id=line.line_id,
                txn_date=document.date,
                doc_number=document.number,
                vendor_erp_id=document.vendor_erp_id,
                vendor_name=document.vendor_name,
                cost_code_id=context.cost_codes.get(line.cost_code_erp_id),
                account_name=line.account_name,
                description=line.description,
                amount=line.amount,
            )
    held = {
        (row["txn_id"], row["line_id"]): row
        for row in JobCostTransaction.objects.filter(
            erp_connection=connection,
            txn_type=kind,
            txn_id__in=[document.erp_id for document in documents],
        ).values("pk", "txn_id", "line_id", *_LINE_FIELDS)
    }
    writes = []
    for key, line in wanted.items():
        before = held.get(key)
        if before is None:
            context.summary.created += 1
        elif any(before[name] != getattr(line, name) for name in _LINE_FIELDS):
            context.summary.updated += 1
        else:
            context.summary.unchanged += 1
            continue
        writes.append(line)
    if writes:
        JobCostTransaction.objects.bulk_create(
            writes,
            update_conflicts=True,
            unique_fields=["erp_connection", "txn_type", "txn_id", "line_id"],
            update_fields=list(_LINE_FIELDS),
        )
    stale = [row["pk"] for key, row in held.items() if key not in wanted]
    if stale:
        context.summary.deleted += JobCostTransaction.objects.filter(pk__in=stale).delete()[0]


def _delete_documents(context: _Context, kind: DocumentKind, txn_ids: list[str]) -> None:
    for start in range(0, len(txn_ids), DELETE_CHUNK):
        chunk = txn_ids[start : start + DELETE_CHUNK]
        context.summary.deleted += JobCostTransaction.objects.filter(
            erp_connection=context.connection, txn_type=kind, txn_id__in=chunk
        ).delete()[0]


def _store_payments(context: _Context, payments: tuple[ImportedPayment, ...]) -> None:
    if not payments:
        return
    connection = context.connection
    wanted = {}
    for payment in payments:
        for allocation in payment.allocations:
            wanted[(allocation.payment_id, allocation.bill_id)] = allocation
    payment_ids = [payment.erp_id for payment in payments]
    held = {
        (row.payment_id, row.bill_id): row
        for row in BillPaymentAllocation.objects.filter(
            erp_connection=connection, payment_id__in=payment_ids
        )
    }
    writes = []
    for key, allocation in wanted.items():
        before = held.get(key)
        if before is not None and (before.amount, before.paid_on, before.method) == (
            allocation.amount,
            allocation.paid_on,
            allocation.method,
        ):
            continue
        context.paid_bills.add(allocation.bill_id)
        writes.append(
            BillPaymentAllocation(
                erp_connection=connection,
                payment_id=allocation.payment_id,
                bill_id=allocation.bill_id,
                amount=allocation.amount,
                paid_on=allocation.paid_on,
                method=allocation.method,
            )
        )
    if writes:
        BillPaymentAllocation.objects.bulk_create(
            writes,
            update_conflicts=True,
            unique_fields=["erp_connection", "payment_id", "bill_id"],
            update_fields=["amount", "paid_on", "method"],
        )
    stale = [row for key, row in held.items() if key not in wanted]
    if stale:
        context.paid_bills.update(row.bill_id for row in stale)
        BillPaymentAllocation.objects.filter(pk__in=[row.pk for row in stale]).delete()


def _delete_payments(context: _Context, payment_ids: list[str]) -> None:
    for start in range(0, len(payment_ids), DELETE_CHUNK):
        rows = BillPaymentAllocation.objects.filter(
            erp_connection=context.connection,
            payment_id__in=payment_ids[start : start + DELETE_CHUNK],
        )
        context.paid_bills.update(rows.values_list("bill_id", flat=True))
        rows.delete()


def _recompute_invoices(connection: ERPConnection, bill_ids: set[str]) -> None:
    """Paid to date, last payment date and method of the invoices exported as these bills."""
    if not bill_ids:
        return
    invoices = SubcontractorInvoice.objects.filter(erp_connection=connection, erp_id__in=bill_ids)
    allocations = defaultdict(list)
    for row in BillPaymentAllocation.objects.filter(
        erp_connection=connection, bill_id__in=bill_ids
    ).order_by("paid_on", "payment_id"):
        allocations[row.bill_id].append(row)
    with transaction.atomic():
        for invoice in invoices:
            rows = allocations.get(invoice.erp_id, [])
            last = rows[-1] if rows else None
            SubcontractorInvoice.objects.filter(pk=invoice.pk).update(
                amount_paid=sum((row.amount for row in rows), Decimal("0.00")),
                last_paid_on=last.paid_on if last else None,
                last_payment_method=last.method if last else "",
            )


def commitment_paid_to_date(commitment) -> dict:
    """What the ERP has paid on a commitment's invoices: total and the latest payment."""
    totals = SubcontractorInvoice.objects.filter(commitment=commitment).aggregate(
        paid=Sum("amount_paid"), last=Max("last_paid_on")
    )
    return {"paid": totals["paid"] or Decimal("0.00"), "last_paid_on": totals["last"]}
