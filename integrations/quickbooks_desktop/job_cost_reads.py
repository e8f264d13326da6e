"""The job-cost read through the Web Connector: bills, checks, card charges and vendor credits
with their job lines, bill payments, then the transactions deleted in QuickBooks, each query
queued when the one before it is done, and each answer handed to approvals' inbound entry.

One query at a time, in that order: a query QuickBooks refuses ends the read there, so a read
counts as finished (the projects' job costs up to date) only when every query of it was read.
Each query asks for what changed since the latest change the previous read of that same query
saw (reads.py); a project whose job costs were never read makes every
query of the read ask for everything (decided when the read starts, so a project enabled while
it runs waits for the next one).
"""

from __future__ import annotations

from dataclasses import replace

from approvals import inbound
from approvals.models import Project, SyncKind
from integrations.data import JobCostBatch
from integrations.quickbooks_desktop import purchases, qbxml, reads, transactions
from integrations.quickbooks_desktop.models import DesktopConnection, QueuedRequest
from integrations.quickbooks_desktop.xml import local_name

DELETED_TRANSACTIONS = "TxnDeletedQueryRq"
JOB_COST_READS = (
    ("BillQueryRq", "Read bills (job costs and the duplicate-bill check)"),
    ("CheckQueryRq", "Read checks charged to jobs"),
    ("CreditCardChargeQueryRq", "Read credit-card charges charged to jobs"),
    ("VendorCreditQueryRq", "Read vendor credits charged to jobs"),
    ("BillPaymentCheckQueryRq", "Read bill payments by check"),
    ("BillPaymentCreditCardQueryRq", "Read bill payments by credit card"),
    (DELETED_TRANSACTIONS, "Read transactions deleted in QuickBooks"),
)
OPERATIONS = tuple(operation for operation, _purpose in JOB_COST_READS)


def waiting(desktop: DesktopConnection):
    return desktop.requests.filter(state__in=reads.WAITING, operation__in=OPERATIONS)


def queue(desktop: DesktopConnection, *, only_due: bool = False) -> int:
    """Start a job-cost read (its first query) unless one is under way; with `only_due` (the
    Web Connector's log-in), only when the last one ended longer ago than the job-cost import's
    interval and a project syncs its job costs (the import schedule and "Sync now" request the
    read whatever the projects, for the duplicate-bill check and payments). How many requests
    were queued."""
    if waiting(desktop).exists() or (only_due and not (_due(desktop) and _wanted(desktop))):
        return 0
    _queue_step(desktop, 0, whole=_whole_history_wanted(desktop))
    return 1


def _due(desktop: DesktopConnection) -> bool:
    return reads.due(desktop, OPERATIONS, SyncKind.JOB_COSTS)


def _wanted(desktop: DesktopConnection) -> bool:
    return Project.objects.filter(
        erp_connection=desktop.connection, job_cost_sync_enabled=True
    ).exists()


def _queue_step(desktop: DesktopConnection, step: int, *, whole: bool) -> QueuedRequest:
    operation, purpose = JOB_COST_READS[step]
    since = None if whole else reads.resume_from(desktop, operation)
    if operation == DELETED_TRANSACTIONS:
        body = qbxml.deleted_query(operation, tuple(transactions.DELETED_KINDS), deleted_from=since)
    else:
        body = qbxml.transaction_query(operation, modified_from=since)
    return QueuedRequest.objects.create(
        desktop=desktop,
        purpose=purpose,
        operation=operation,
        body=body,
        changed_since=since,
        whole_history=whole,
    )


def _whole_history_wanted(desktop: DesktopConnection) -> bool:
    """A project with job-cost syncing enabled whose job costs were never read."""
    return Project.objects.filter(
        erp_connection=desktop.connection, job_cost_sync_enabled=True, job_costs_synced_at=None
    ).exists()


def _balance_sheet(desktop: DesktopConnection) -> transactions.BalanceSheet:
    """Also the Retainage item by name: our bill exports add it on the retainage-payable
    account, possibly after the last item read, and its lines are retainage held."""
    accounts = frozenset(
        desktop.accounts.filter(
            account_type__in=transactions.BALANCE_SHEET_ACCOUNT_TYPES
        ).values_list("list_id", flat=True)
    )
    items = desktop.items.filter(account_list_id__in=accounts).values_list("list_id", flat=True)
    return transactions.BalanceSheet(
        accounts=accounts,
        items=frozenset(items),
        item_names=frozenset({purchases.RETAINAGE_ITEM.upper()}),
    )


def _batch(desktop: DesktopConnection, rets) -> JobCostBatch:
    balance_sheet = _balance_sheet(desktop)
    documents, bills, payments, deletions = [], [], [], []
    for ret in rets:
        tag = local_name(ret)
        if tag in transactions.JOB_COST_RETS:
            documents.append(transactions.job_cost_document(ret, balance_sheet=balance_sheet))
        if tag == "BillRet":
            bills.append(transactions.bill_summary(ret))
        if tag in transactions.PAYMENT_RETS:
            payments.append(transactions.payment(ret))
        if tag == "TxnDeletedRet":
            found = transactions.deletion(ret)
            if found is not None:
                deletions.append(found)
    return JobCostBatch(
        resume_token="",
        documents=tuple(document for document in documents if document.erp_id),
        bills=tuple(bill for bill in bills if bill.erp_id),
        payments=tuple(payment for payment in payments if payment.erp_id),
        deletions=tuple(deletions),
    )


def store(operation: str):
    """What an answer (one page) to `operation` does: its documents go to approvals; after its
    last page the next query of the read is queued (reading everything when this one did), and
    after the last query the read is finished."""
    step = OPERATIONS.index(operation)

    def stored(request: QueuedRequest, rets, finished: bool) -> None:
        desktop = request.desktop
        last_step = step == len(OPERATIONS) - 1
        batch = _batch(desktop, rets)
        inbound.job_costs_brought(
            connection=desktop.connection,
            batch=replace(batch, full_read=request.whole_history),
            starts=step == 0 and request.pages_read == 0,
            finished=finished and last_step,
        )
        if finished and not last_step:
            _queue_step(desktop, step + 1, whole=request.whole_history)

    return stored


STORES = {operation: store(operation) for operation in OPERATIONS}
