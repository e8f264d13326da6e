"""The requests waiting for the Web Connector, in the order they were queued, and what each
answer does: the reads bring the company's lists into the copy the workflow keeps (its accounts
and items' accounts here, its customers and jobs, vendors and items through approvals' inbound
entry), mark the entries deleted in QuickBooks, and bring its job costs
(integrations/quickbooks_desktop/job_cost_reads.py)."""

from __future__ import annotations

from django.db import DatabaseError, transaction
from django.utils import timezone

from approvals import inbound
from approvals.models import SyncKind
from integrations.quickbooks_desktop import job_cost_reads, lists, qbxml, reads
from integrations.quickbooks_desktop.models import (
    DesktopConnection,
    QueuedRequest,
    QuickBooksAccount,
    QuickBooksItem,
    RequestState,
    WebConnectorSession,
)
from integrations.quickbooks_desktop.xml import UnreadableXML, local_name

WAITING = reads.WAITING
# The company's lists, in the order they are read (accounts first: items post to them), each
# with the import whose interval (ERP_SYNC_INTERVAL_MINUTES) says how often it is read again.
LIST_READS = (
    ("AccountQueryRq", "Read the chart of accounts", SyncKind.COST_CODES),
    ("CustomerQueryRq", "Read customers and jobs", SyncKind.JOBS),
    ("VendorQueryRq", "Read vendors", SyncKind.VENDORS),
    ("ItemQueryRq", "Read items (the standard cost codes)", SyncKind.COST_CODES),
)
DELETED_LIST_ENTRIES = "ListDeletedQueryRq"
# What each ListDelType of a deleted entry is in the copy the workflow keeps.
DELETED_LIST_KINDS = {
    "Customer": SyncKind.JOBS,
    "Vendor": SyncKind.VENDORS,
    "ItemService": SyncKind.COST_CODES,
    "ItemNonInventory": SyncKind.COST_CODES,
    "ItemOtherCharge": SyncKind.COST_CODES,
}


class QueueLocked(Exception):
    """The next request is held by another call right now: ask the Web Connector to wait."""


def reads_queue(desktop: DesktopConnection, *, only_due: bool = False) -> int:
    """Queue the reads due (every read not already waiting, without `only_due`): the lists,
    then the job costs; how many requests were queued."""
    return list_reads_queue(desktop, only_due=only_due) + job_cost_reads.queue(
        desktop, only_due=only_due
    )


def list_reads_queue(
    desktop: DesktopConnection, *, only_due: bool = False, kinds: tuple[str, ...] | None = None
) -> int:
    """Queue a read of every list (of `kinds`, when given) not already waiting to be read (with
    `only_due`, of those last read longer ago than their import interval, or never), then of
    the entries deleted in QuickBooks since the lists were last read; how many were queued."""
    waiting = set(desktop.requests.filter(state__in=WAITING).values_list("operation", flat=True))
    queued = 0
    for operation, purpose, kind in LIST_READS:
        if kinds is not None and kind not in kinds:
            continue
        if operation not in waiting and (not only_due or _due(desktop, operation, kind)):
            QueuedRequest.objects.create(
                desktop=desktop,
                purpose=purpose,
                operation=operation,
                body=qbxml.list_query(operation),
            )
            queued += 1
    if queued and DELETED_LIST_ENTRIES not in waiting:
        queued += _deleted_entries_queue(desktop)
    return queued


def list_read_queue(desktop: DesktopConnection, operation: str) -> None:
    """Queue a read of the one list `operation` reads, unless one is waiting already."""
    if desktop.requests.filter(operation=operation, state__in=WAITING).exists():
        return
    purpose = next(purpose for name, purpose, _ in LIST_READS if name == operation)
    QueuedRequest.objects.create(
        desktop=desktop, purpose=purpose, operation=operation, body=qbxml.list_query(operation)
    )


def _due(desktop: DesktopConnection, operation: str, kind: str) -> bool:
    return reads.due(desktop, (operation,), kind)


def _deleted_entries_queue(desktop: DesktopConnection) -> int:
    """The entries deleted since the last read of them (all QuickBooks remembers the first
    time), once the lists were read whole: before that, the copy holds nothing to mark."""
    list_reads = [operation for operation, _purpose, _kind in LIST_READS]
    if not desktop.requests.filter(operation__in=list_reads, state=RequestState.DONE).exists():
        return 0
    since = reads.resume_from(desktop, DELETED_LIST_ENTRIES)
    QueuedRequest.objects.create(
        desktop=desktop,
        purpose="Read customers, jobs, vendors and items deleted in QuickBooks",
        operation=DELETED_LIST_ENTRIES,
        body=qbxml.deleted_query(
            DELETED_LIST_ENTRIES, tuple(DELETED_LIST_KINDS), deleted_from=since
        ),
        changed_since=since,
    )
    return 1


def waiting_count(desktop: DesktopConnection) -> int:
    return desktop.requests.filter(state__in=WAITING).count()


def next_request(session: WebConnectorSession) -> QueuedRequest | None:
    """The request to hand over now: the one this run is reading in pages, else the oldest
    queued. QueueLocked when another call holds it (it is never skipped: order matters)."""
    requests = QueuedRequest.objects.filter(desktop_id=session.desktop_id)
    reading = requests.filter(state=RequestState.READING, session=session)
    candidates = reading if reading.exists() else requests.filter(state=RequestState.QUEUED)
    try:
        with transaction.atomic():
            return candidates.order_by("pk").select_for_update(nowait=True).first()
    except DatabaseError:
        raise QueueLocked from None


def following(request: QueuedRequest, *, most: int) -> list[QueuedRequest]:
    """The queued requests after `request` that can go in the same message (at most `most`):
    the ones next in the queue, up to the first read in pages (an iterator travels alone).
    Those another call holds are left for it, and so are all after them: order matters."""
    if request.operation in qbxml.PAGED:
        return []
    found = []
    later = QueuedRequest.objects.filter(
        desktop_id=request.desktop_id, state=RequestState.QUEUED, pk__gt=request.pk
    ).order_by("pk")
    for candidate in later[:most]:
        if candidate.operation in qbxml.PAGED:
            break
        locked = (
            QueuedRequest.objects.select_for_update(skip_locked=True)
            .filter(pk=candidate.pk, state=RequestState.QUEUED)
            .first()
        )
        if locked is None:
            break
        found.append(locked)
    return found


def release_pages(session: WebConnectorSession) -> int:
    """Put back in the queue what this run was reading in pages: QuickBooks forgets its
    iterators when the session ends, so the next run reads those lists from the start."""
    return QueuedRequest.objects.filter(session=session, state=RequestState.READING).update(
        state=RequestState.QUEUED, session=None, iterator_id=""
    )


def handed_over(request: QueuedRequest, session: WebConnectorSession) -> tuple[str, str]:
    """(iterator, iteratorID) for handing `request` over in `session`, marking it read in pages
    by that session when it starts an iterator."""
    if request.operation not in qbxml.PAGED:
        return "", ""
    if request.state == RequestState.READING and request.session_id == session.pk:
        return "Continue", request.iterator_id
    request.state = RequestState.READING
    request.session = session
    request.iterator_id = ""
    request.save(update_fields=["state", "session", "iterator_id"])
    return "Start", ""


def put_back(request: QueuedRequest) -> None:
    """Back in the queue, from the start: its answer never came, or QuickBooks was busy."""
    request.state = RequestState.QUEUED
    request.session = None
    request.iterator_id = ""
    request.save(update_fields=["state", "session", "iterator_id"])


def failed(request: QueuedRequest, problem: str) -> None:
    """The request is over without its answer; a read's import says why (a job-cost read
    stops there: its later queries are not queued)."""
    request.state = RequestState.FAILED
    request.problem = problem
    request.finished_at = timezone.now()
    request.save(update_fields=["state", "problem", "finished_at"])
    kind = _import_of(request.operation)
    if kind is not None:
        inbound.import_stopped(connection=request.desktop.connection, kind=kind, problem=problem)


def _import_of(operation: str) -> SyncKind | None:
    if operation in job_cost_reads.OPERATIONS:
        return SyncKind.JOB_COSTS
    kinds = {read: kind for read, _purpose, kind in LIST_READS}
    return kinds.get(operation)


def answered(request: QueuedRequest, answer: qbxml.Answer) -> None:
    """Store what QuickBooks answered; the request is done after its last page."""
    finished = answer.remaining <= 0 or not answer.iterator_id
    try:
        _STORES[request.operation](request, answer.rets, finished)
    except UnreadableXML as error:
        # Read before anything is stored: the answer left nothing behind.
        failed(
            request,
            f"QuickBooks' answer to the request to {request.purpose.lower()} could not be "
            f"read: {error}",
        )
        return
    request.pages_read += 1
    newest = qbxml.newest_change(answer.rets)
    if newest is not None and (request.newest_seen is None or newest > request.newest_seen):
        request.newest_seen = newest
    if finished:
        request.state = RequestState.DONE
        request.finished_at = timezone.now()
        request.iterator_id = ""
        request.session = None
        request.problem = ""
    else:
        request.iterator_id = answer.iterator_id
    request.save(
        update_fields=[
            "pages_read",
            "newest_seen",
            "state",
            "finished_at",
            "iterator_id",
            "session",
            "problem",
        ]
    )


def _accounts_store(request: QueuedRequest, rets, finished: bool) -> None:
    """The whole chart in one answer (AccountQuery has no pages): accounts it no longer lists
    were deleted in QuickBooks."""
    desktop = request.desktop
    accounts = [lists.account(ret) for ret in rets if local_name(ret) == "AccountRet"]
    seen = []
    for account in accounts:
        if not account.list_id:
            continue
        seen.append(account.list_id)
        QuickBooksAccount.objects.update_or_create(
            desktop=desktop,
            list_id=account.list_id,
            defaults={
                "full_name": account.full_name[:159],
                "account_type": account.account_type[:40],
                "account_number": account.account_number[:7],
                "is_active": account.is_active,
            },
        )
    if finished:
        desktop.accounts.exclude(list_id__in=seen).delete()


def _brought(kind: SyncKind, convert):
    def store(request: QueuedRequest, rets, finished: bool) -> None:
        desktop = request.desktop
        rows = [row for ret in rets for row in convert(desktop, ret) if row.erp_id]
        inbound.list_rows_brought(
            connection=desktop.connection, kind=kind, rows=rows, finished=finished
        )

    return store


def _items_store(request: QueuedRequest, rets, finished: bool) -> None:
    """The item list's cost codes go to approvals; every item's account is kept here, so a job
    line on an item posting to the balance sheet is told apart from a cost."""
    desktop = request.desktop
    items = [lists.item(ret) for ret in rets if local_name(ret).startswith("Item")]
    for item in items:
        if item.list_id:
            QuickBooksItem.objects.update_or_create(
                desktop=desktop,
                list_id=item.list_id,
                defaults={
                    "full_name": item.full_name[:159],
                    "account_list_id": item.account_list_id[:36],
                },
            )
    _cost_codes_store(request, rets, finished)


def _deleted_entries_store(request: QueuedRequest, rets, finished: bool) -> None:
    desktop = request.desktop
    deleted: dict[str, list[str]] = {}
    for ret in rets:
        kind = DELETED_LIST_KINDS.get(qbxml.ret_text(ret, "ListDelType"))
        list_id = qbxml.ret_text(ret, "ListID")
        if local_name(ret) == "ListDeletedRet" and kind is not None and list_id:
            deleted.setdefault(kind, []).append(list_id)
    for kind, list_ids in deleted.items():
        inbound.list_entries_deleted(connection=desktop.connection, kind=kind, erp_ids=list_ids)
    desktop.items.filter(list_id__in=deleted.get(SyncKind.COST_CODES, [])).delete()


_cost_codes_store = _brought(SyncKind.COST_CODES, lambda desktop, ret: lists.cost_code(ret))
_STORES = {
    "AccountQueryRq": _accounts_store,
    "CustomerQueryRq": _brought(
        SyncKind.JOBS,
        lambda desktop, ret: (
            lists.customer_or_job(ret, customer_type=desktop.customer_type)
            if local_name(ret) == "CustomerRet"
            else []
        ),
    ),
    "VendorQueryRq": _brought(
        SyncKind.VENDORS,
        lambda desktop, ret: [lists.vendor(ret)] if local_name(ret) == "VendorRet" else [],
    ),
    "ItemQueryRq": _items_store,
    DELETED_LIST_ENTRIES: _deleted_entries_store,
    **job_cost_reads.STORES,
}
