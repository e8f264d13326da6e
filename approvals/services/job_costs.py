"""Job-cost transactions and bill payments from the ERP.

One change-data-capture request asks for every changed bill, expense, vendor credit and bill
payment since the last successful sync, so a sync with nothing new costs one request. A full
re-read (every document, page by page) happens on the first sync, when a project has just been
enabled, when the last sync is older than the ERP's change window, or when the ERP may have cut
its list of changes short; after a full read, documents we hold that the ERP no longer has are
removed.

Lines are kept only for projects with job-cost syncing enabled (by the job in the line's
customer reference). Payments are kept for every bill and shown on the invoice exported as
that bill. Every vendor's bills are kept too (number, date, total, balance), whatever the
projects' setting: the duplicate-bill check of a send or an accept reads them, never the ERP.
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
from approvals.services import drift, erp_bills, posting, sync_runs
from integrations.models import ERPConnection

BILL_ENTITY = "Bill"
COST_ENTITIES = (BILL_ENTITY, "Purchase", "VendorCredit")
PAYMENT_ENTITY = "BillPayment"
ALL_ENTITIES = [*COST_ENTITIES, PAYMENT_ENTITY]
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


class _Context:
    def __init__(self, connection: ERPConnection, reader, summary, project: Project | None):
        self.connection = connection
        self.reader = reader
        self.summary = summary
        projects = Project.objects.filter(erp_connection=connection, job_cost_sync_enabled=True)
        if project is not None:
            projects = projects.filter(pk=project.pk)
        self.project = project
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
    point the next incremental sync starts from, as they are.
    """
    summary = sync_runs.SyncSummary(kind=SyncKind.JOB_COSTS, progress=progress)
    started_at = timezone.now()
    with sync_runs.leased(connection, SyncKind.JOB_COSTS) as lease:
        reader = sync_runs.reader_for(connection)
        context = _Context(connection, reader, summary, project)
        if project is not None:
            try:
                summary.full_read = True
                _full_read(context, lease)
            finally:
                reader.close()
            Project.objects.filter(pk=project.pk).update(job_costs_synced_at=started_at)
            lease.save(last_summary=summary.as_dict())
            return summary
        try:
            full = sync_runs.needs_full_read(lease.cursor, now=started_at) or (
                Project.objects.filter(
                    erp_connection=connection, job_cost_sync_enabled=True, job_costs_synced_at=None
                ).exists()
            )
            if not full:
                entities = _entities_read(reader)
                changes = reader.changes(entities, sync_runs.changes_start(lease.cursor))
                full = not changes.complete
                if not full:
                    with transaction.atomic():
                        _apply_changes(context, changes)
            if full:
                sync_runs.begin_full_read(lease, summary, started_at=started_at)
                _full_read(context, lease)
            _recompute_invoices(connection, context.paid_bills)
        finally:
            reader.close()
        Project.objects.filter(erp_connection=connection, job_cost_sync_enabled=True).update(
            job_costs_synced_at=started_at
        )
        # Sends and accepts check posting dates against it without asking the ERP.
        posting.closing_date_refresh(connection)
        return sync_runs.finish(lease, summary, started_at=started_at)


def _entities_read(reader) -> list[str]:
    """Job-cost documents and payments, and the documents our exports created, whose changes
    after the export are flagged on their records."""
    return [*ALL_ENTITIES, *(e for e in reader.exported_entities() if e not in ALL_ENTITIES)]


def _apply_changes(context: _Context, changes) -> None:
    _store_bills(context, changes.changed.get(BILL_ENTITY, []))
    erp_bills.bills_forget(
        connection=context.connection, erp_ids=changes.deleted.get(BILL_ENTITY, [])
    )
    for entity in COST_ENTITIES:
        documents = changes.changed.get(entity, [])
        _store_cost_documents(context, entity, documents)
        _delete_documents(context, entity, changes.deleted.get(entity, []))
    _store_payments(context, changes.changed.get(PAYMENT_ENTITY, []))
    _delete_payments(context, changes.deleted.get(PAYMENT_ENTITY, []))
    for entity in context.reader.exported_entities():
        context.summary.drifted += drift.check_documents(
            connection=context.connection,
            reader=context.reader,
            entity=entity,
            documents=changes.changed.get(entity, []),
        )
        context.summary.drifted += drift.check_deleted(
            connection=context.connection,
            reader=context.reader,
            entity=entity,
            erp_ids=changes.deleted.get(entity, []),
        )


def _full_read(context: _Context, lease) -> None:
    entities = ALL_ENTITIES if context.project else _entities_read(context.reader)
    exported = set(context.reader.exported_entities())
    for entity in entities:
        seen: set[str] = set()
        for page in context.reader.transaction_pages(entity):
            seen.update(str(document["Id"]) for document in page.rows)
            with transaction.atomic():
                if entity == BILL_ENTITY:
                    _store_bills(context, page.rows)
                if entity == PAYMENT_ENTITY:
                    _store_payments(context, page.rows)
                elif entity in COST_ENTITIES:
                    _store_cost_documents(context, entity, page.rows)
                if entity in exported:
                    context.summary.drifted += drift.check_documents(
                        connection=context.connection,
                        reader=context.reader,
                        entity=entity,
                        documents=page.rows,
                    )
            lease.renew()
            context.summary.page_done()
        if entity in exported and context.project is None:
            context.summary.drifted += drift.check_missing(
                connection=context.connection, reader=context.reader, entity=entity, seen_ids=seen
            )
        if entity == BILL_ENTITY:
            erp_bills.bills_forget_unseen(connection=context.connection, seen_ids=seen)
        if entity not in ALL_ENTITIES:
            continue
        with transaction.atomic():
            if entity == PAYMENT_ENTITY:
                held = _held_ids(BillPaymentAllocation, context.connection, "payment_id")
                _delete_payments(context, sorted(held - seen))
            else:
                mine = {"project__in": list(context.projects.values())}
                held = _held_ids(
                    JobCostTransaction, context.connection, "txn_id", txn_type=entity, **mine
                )
                _delete_documents(context, entity, sorted(held - seen))


def _store_bills(context: _Context, documents: list[dict]) -> None:
    erp_bills.bills_store(
        connection=context.connection,
        bills=[context.reader.bill(document) for document in documents],
    )


def _held_ids(model, connection, field: str, **filters) -> set[str]:
    return set(
        model.objects.filter(erp_connection=connection, **filters)
        .values_list(field, flat=True)
        .distinct()
    )


def _store_cost_documents(context: _Context, entity: str, documents: list[dict]) -> None:
    if not documents:
        return
    connection = context.connection
    wanted: dict[tuple[str, str], JobCostTransaction] = {}
    for document in documents:
        for line in context.reader.job_cost_lines(entity, document):
            project_id = context.projects.get(line.job_erp_id)
            if project_id is None:
                continue
            wanted[(line.txn_id, line.line_id)] = JobCostTransaction(
                erp_connection=connection,
                project_id=project_id,
                txn_type=entity,
                txn_id=line.txn_id,
                line_id=line.line_id,
                txn_date=line.txn_date,
                doc_number=line.doc_number,
                vendor_erp_id=line.vendor_erp_id,
                vendor_name=line.vendor_name,
                cost_code_id=context.cost_codes.get(line.item_erp_id),
                account_name=line.account_name,
                description=line.description,
                amount=line.amount,
            )
    txn_ids = [str(document["Id"]) for document in documents]
    held = {
        (row["txn_id"], row["line_id"]): row
        for row in JobCostTransaction.objects.filter(
            erp_connection=connection, txn_type=entity, txn_id__in=txn_ids
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


def _delete_documents(context: _Context, entity: str, txn_ids: list[str]) -> None:
    for start in range(0, len(txn_ids), DELETE_CHUNK):
        chunk = txn_ids[start : start + DELETE_CHUNK]
        context.summary.deleted += JobCostTransaction.objects.filter(
            erp_connection=context.connection, txn_type=entity, txn_id__in=chunk
        ).delete()[0]


def _store_payments(context: _Context, documents: list[dict]) -> None:
    if not documents:
        return
    connection = context.connection
    wanted = {}
    for document in documents:
        for allocation in context.reader.payment_allocations(document):
            wanted[(allocation.payment_id, allocation.bill_id)] = allocation
    payment_ids = [str(document["Id"]) for document in documents]
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
