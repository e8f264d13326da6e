"""The requests waiting for the Web Connector, in the order they were queued, and what each
answer does: the first ones read the company's lists into the copy the workflow keeps (its
accounts here, its customers and jobs, vendors and items through approvals' inbound entry)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from approvals import inbound
from approvals.models import SyncKind
from integrations.quickbooks_desktop import lists, qbxml
from integrations.quickbooks_desktop.models import (
    DesktopConnection,
    QueuedRequest,
    QuickBooksAccount,
    RequestState,
    WebConnectorSession,
)
from integrations.quickbooks_desktop.xml import local_name

WAITING = (RequestState.QUEUED, RequestState.READING)
# The company's lists, in the order they are read (accounts first: items post to them), each
# with the import whose interval (ERP_SYNC_INTERVAL_MINUTES) says how often it is read again.
LIST_READS = (
    ("AccountQueryRq", "Read the chart of accounts", SyncKind.COST_CODES),
    ("CustomerQueryRq", "Read customers and jobs", SyncKind.JOBS),
    ("VendorQueryRq", "Read vendors", SyncKind.VENDORS),
    ("ItemQueryRq", "Read items (the standard cost codes)", SyncKind.COST_CODES),
)


class QueueLocked(Exception):
    """The next request is held by another call right now: ask the Web Connector to wait."""


def list_reads_queue(desktop: DesktopConnection, *, only_due: bool = False) -> int:
    """Queue a read of every list not already waiting to be read (with `only_due`, of those
    last read longer ago than their import interval, or never); how many were queued."""
    waiting = set(desktop.requests.filter(state__in=WAITING).values_list("operation", flat=True))
    queued = 0
    for operation, purpose, kind in LIST_READS:
        if operation not in waiting and (not only_due or _due(desktop, operation, kind)):
            QueuedRequest.objects.create(
                desktop=desktop,
                purpose=purpose,
                operation=operation,
                body=qbxml.list_query(operation),
            )
            queued += 1
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
    last = (
        desktop.requests.filter(operation=operation, finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    interval = timedelta(minutes=settings.ERP_SYNC_INTERVAL_MINUTES[kind])
    return last is None or last <= timezone.now() - interval


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
    request.state = RequestState.FAILED
    request.problem = problem
    request.finished_at = timezone.now()
    request.save(update_fields=["state", "problem", "finished_at"])


def answered(request: QueuedRequest, answer: qbxml.Answer) -> None:
    """Store what QuickBooks answered; the request is done after its last page."""
    finished = answer.remaining <= 0 or not answer.iterator_id
    _STORES[request.operation](request.desktop, answer.rets, finished)
    request.pages_read += 1
    if finished:
        request.state = RequestState.DONE
        request.finished_at = timezone.now()
        request.iterator_id = ""
        request.session = None
        request.problem = ""
    else:
        request.iterator_id = answer.iterator_id
    request.save(
        update_fields=["pages_read", "state", "finished_at", "iterator_id", "session", "problem"]
    )


def _accounts_store(desktop: DesktopConnection, rets, finished: bool) -> None:
    """The whole chart in one answer (AccountQuery has no pages): accounts it no longer lists
    were deleted in QuickBooks."""
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
    def store(desktop: DesktopConnection, rets, finished: bool) -> None:
        rows = [row for ret in rets for row in convert(desktop, ret) if row.erp_id]
        inbound.list_rows_brought(
            connection=desktop.connection, kind=kind, rows=rows, finished=finished
        )

    return store


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
    "ItemQueryRq": _brought(SyncKind.COST_CODES, lambda desktop, ret: lists.cost_code(ret)),
}
