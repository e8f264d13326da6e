"""Export throughput to the sandbox under QuickBooks' limits (500 requests, 40 batch requests
a window, 10 at once), windows scaled to seconds, through the export path: records accepted
with the approvals service, exported by `db_worker` processes (accept → worker → connector →
client), the limits shared by every worker through PostgreSQL. Side by side in one run:

- Shared limits: the workers export vendors one request per document (batches of one), so the
  requests, not the documents, are what the limits hold back; a daily budget is set below what
  the run would make. The sandbox's request log shows that together they never exceeded the
  limit per window, the limit at once or the budget, and how close they came to the first.
- Batches: a bulk accept of vendors, then of invoices (pay applications spread over purchase
  orders, as many bills on each), exported by the same workers in QuickBooks' batches of 30.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from approvals.models import Company, SubcontractorInvoice
from approvals.services import records_accept_bulk
from approvals.states import SyncStatus
from bench import books, quickbooks, scene
from bench.table import Row, count, percent
from bench.windows import company_api, per_window
from bench.workers import drain_exports
from integrations.quickbooks_online.client import MAX_BATCH_ITEMS

TITLE = "Export throughput to QuickBooks Online"
# QuickBooks' own minute: the targets are documents and requests a minute. A window scaled
# down to seconds multiplies the pace asked of the machine by as much (a 15 s window asks 80
# documents a second of two cores), and the figure would measure the CPU, not the limits.
FULL = {"windows": 3, "window_seconds": 60.0, "workers": 4, "documents": 900, "orders": 30}
TOY = {
    "windows": 2,
    "window_seconds": 1.0,
    "workers": 2,
    "documents": 12,
    "orders": 2,
    "requests_per_window": 20,
    "batch_requests_per_window": 4,
    "concurrent": 2,
}
SHARE_TARGET = 0.9
THROTTLE_MESSAGE = "too many requests"
# The daily budget: this many windows' worth of requests, less than the run asks for.
BUDGET_WINDOWS_SHORT = 0.5
# A try rescheduled further out than this waits for the budget of another day.
LATER_THAN_THE_RUN = timedelta(hours=1)
# Each bulk accept in a company of its own: QuickBooks allows 40 batch requests a window per
# company, and the 30 the vendors' accept spends would otherwise hold back the invoices' until
# that window passed, so the invoice figure would measure the vendors' leftover budget.
BATCHED_VENDORS_COMPANY = "9341453050000002"
BATCHED_INVOICES_COMPANY = "9341453050000003"


class AcceptRefused(Exception):
    """A record of the scene was not accepted: the figures would not be about exporting."""


@dataclass(frozen=True)
class Drained:
    """What the workers did with one bulk accept."""

    what: str
    accepted: int
    synced: int
    failed: int
    failed_by_throttling: int
    left_for_later: int
    log: list[dict]


def _accepted(records: list, approver) -> None:
    outcomes = records_accept_bulk(records=records, actor=approver)
    refused = [outcome.message for outcome in outcomes if not outcome.ok]
    if refused:
        raise AcceptRefused(f"{len(refused)} records were not accepted, e.g. {refused[0]}")


def _exported(
    model, records: list, what: str, handle, limits, *, workers: int, environment: dict, approver
) -> Drained:
    _accepted(records, approver)
    handle.clear_request_log()
    drain_exports(
        processes=workers,
        environment={**quickbooks.client_environment(handle, limits), **environment},
        timeout_seconds=len(records) * limits.window_seconds + 300,
        due_within=limits.window_seconds * 2,
    )
    ours = model.objects.filter(pk__in=[record.pk for record in records])
    failed = ours.filter(sync_status=SyncStatus.EXPORT_FAILED)
    later = timezone.now() + LATER_THAN_THE_RUN
    return Drained(
        what=what,
        accepted=len(records),
        synced=ours.filter(sync_status=SyncStatus.SYNCED).count(),
        failed=failed.count(),
        failed_by_throttling=failed.filter(last_export_error__icontains=THROTTLE_MESSAGE).count(),
        left_for_later=ours.filter(
            Q(export_started_at__gt=later), sync_status=SyncStatus.EXPORTING
        ).count(),
        log=handle.request_log(),
    )


def _arrival(request: dict) -> float:
    return float(request["started"])


def _answer(request: dict) -> float:
    return float(request["time"])


def most_in_any_window(requests: list[dict], window_seconds: float) -> int:
    """The most requests that arrived within any span of one window."""
    arrivals = sorted(_arrival(request) for request in company_api(requests))
    most, first = 0, 0
    for last, arrived in enumerate(arrivals):
        while arrived - arrivals[first] >= window_seconds:
            first += 1
        most = max(most, last - first + 1)
    return most


def most_at_once(requests: list[dict]) -> int:
    """The most requests the sandbox was answering at the same time."""
    events = sorted(
        [(_arrival(request), 1) for request in company_api(requests)]
        + [(_answer(request), -1) for request in company_api(requests)],
        key=lambda event: (event[0], event[1]),
    )
    most = running = 0
    for _, step in events:
        running += step
        most = max(most, running)
    return most


def _busy_seconds(requests: list[dict]) -> float:
    calls = company_api(requests)
    if not calls:
        return 0.0
    return max(map(_answer, calls)) - min(map(_arrival, calls))


def _is_vendor_create(request: dict) -> bool:
    return request["method"] == "POST" and request["path"].endswith("/vendor")


def _answered(test: Callable[[dict], bool]) -> Callable[[dict], bool]:
    return lambda request: test(request) and request["status"] == 200


def _is_batch(request: dict) -> bool:
    return request["method"] == "POST" and request["path"].endswith("/batch")


def _shared_limits(
    handle, limits, *, windows: int, workers: int, approver, pm
) -> tuple[Drained, int]:
    """Vendors one request each, more than the daily budget allows: (what happened, budget)."""
    budget = int(limits.requests_per_window * (windows - BUDGET_WINDOWS_SHORT))
    backlog = limits.requests_per_window * windows
    quickbooks.connection_to(handle)
    companies = scene.vendors(
        backlog, prefix="Shared", sync_status=SyncStatus.READY_TO_EXPORT, sent_by=pm
    )
    drained = _exported(
        Company,
        companies,
        "vendors",
        handle,
        limits,
        workers=workers,
        environment={"QBO_BATCH_SIZE": "1", "QBO_REQUESTS_PER_DAY": str(budget)},
        approver=approver,
    )
    return drained, budget


def _batched(handle, limits, *, workers: int, documents: int, orders: int, approver, pm):
    """A bulk accept of vendors, then one of invoices, each in a QuickBooks company of its own
    (whose limits no other part used)."""
    quickbooks.connection_to(handle, realm_id=BATCHED_VENDORS_COMPANY, name="Sandbox Vendors Co")
    companies = scene.vendors(
        documents, prefix="Batch", sync_status=SyncStatus.READY_TO_EXPORT, sent_by=pm
    )
    vendors = _exported(
        Company,
        companies,
        "vendors",
        handle,
        limits,
        workers=workers,
        environment={},
        approver=approver,
    )
    connection = quickbooks.connection_to(
        handle, realm_id=BATCHED_INVOICES_COMPANY, name="Sandbox Bills Co"
    )
    codes = scene.cost_codes(1)
    projects = scene.projects(1, members=[pm])
    subcontractors = scene.vendors(orders, prefix="Sub")
    commitments = scene.commitments(
        orders, projects=projects, vendors=subcontractors, codes=codes, prefix="PO"
    )
    books.purchase_orders(handle, connection, orders=commitments, codes=codes)
    invoices = scene.invoices(documents, commitments=commitments, sent_by=pm, prefix="PA")
    bills = _exported(
        SubcontractorInvoice,
        invoices,
        f"invoices ({count(orders)} purchase orders, {documents // orders} bills each)",
        handle,
        limits,
        workers=workers,
        environment={},
        approver=approver,
    )
    return vendors, bills


def _batch_row(drained: Drained, limits, *, workers: int) -> Row:
    ceiling = limits.batch_requests_per_window * MAX_BATCH_ITEMS
    seconds = _busy_seconds(drained.log)
    per_window_figure = drained.synced / seconds * limits.window_seconds if seconds else 0.0
    share = per_window_figure / ceiling
    batches = [request for request in company_api(drained.log) if _is_batch(request)]
    items = sum(int(request.get("items") or 0) for request in batches)
    requests = len(company_api(drained.log))
    return Row(
        f"{TITLE}: bulk accept, batches of 30",
        f"{count(drained.accepted)} {drained.what}",
        f"{per_window_figure:.0f} documents per window",
        target=f"≥ 90 % of {count(ceiling)}",
        ratio=percent(share),
        met=share >= SHARE_TARGET and drained.synced == drained.accepted,
        note=(
            f"{workers} db_worker processes, the export path; {count(drained.synced)} of "
            f"{count(drained.accepted)} synced in {seconds:.1f} s "
            f"({seconds / limits.window_seconds:.2f} windows of {limits.window_seconds:g} s, "
            f"{drained.synced / max(seconds, 1e-9):.1f} documents per second); "
            f"{len(batches)} batch requests carrying {count(items)} documents "
            f"({items / max(len(batches), 1):.1f} each), {requests} requests in all "
            f"({requests / max(drained.synced, 1):.2f} per document); most batch requests in "
            f"any window {most_in_any_window([*filter(_is_batch, drained.log)], limits.window_seconds)} "
            f"of {limits.batch_requests_per_window}"
        ),
    )


def run(
    *,
    windows: int,
    window_seconds: float,
    workers: int,
    documents: int,
    orders: int,
    requests_per_window: int = 500,
    batch_requests_per_window: int = 40,
    concurrent: int = 10,
) -> list[Row]:
    limits = quickbooks.Limits(
        requests_per_window=requests_per_window,
        batch_requests_per_window=batch_requests_per_window,
        concurrent=concurrent,
        window_seconds=window_seconds,
    )
    pm = scene.project_manager()
    approver = scene.approver()
    with quickbooks.sandbox(limits) as handle, quickbooks.pointed_at(handle, limits):
        shared, budget = _shared_limits(
            handle, limits, windows=windows, workers=workers, approver=approver, pm=pm
        )
        vendors, bills = _batched(
            handle,
            limits,
            workers=workers,
            documents=documents,
            orders=orders,
            approver=approver,
            pm=pm,
        )

    pace = per_window(
        shared.log, window_seconds=window_seconds, matches=_answered(_is_vendor_create)
    )
    share = pace.requests / requests_per_window
    busiest = most_in_any_window(shared.log, window_seconds)
    at_once = most_at_once(shared.log)
    made = len(company_api(shared.log))
    scale = (
        f"{requests_per_window} requests, {batch_requests_per_window} batch requests per "
        f"{window_seconds:g} s window, {concurrent} at once"
    )
    size = f"{count(shared.accepted)} vendors"
    logs = [shared.log, vendors.log, bills.log]
    throttled = sum(quickbooks.throttled(log) for log in logs)
    throttle_failures = sum(d.failed_by_throttling for d in (shared, vendors, bills))
    failed = sum(d.failed for d in (shared, vendors, bills))
    return [
        Row(
            f"{TITLE}: {workers} workers sharing the limits, requests per window",
            size,
            f"{pace.requests:.0f} requests per window",
            target=f"≥ 90 % of {count(requests_per_window)}",
            ratio=percent(share),
            met=share >= SHARE_TARGET,
            note=(
                f"{workers} db_worker processes, one request per document (batches of one), "
                f"sharing {scale} and a daily budget of {count(budget)} requests, counted in "
                f"PostgreSQL; averaged over the {pace.windows:.1f} full windows before the "
                f"budget ran out ({pace.matching:.0f} vendors created per window); "
                f"{count(shared.synced)} synced, {count(shared.left_for_later)} waiting for the "
                "next day's budget (rescheduled, not failed)"
            ),
        ),
        Row(
            f"{TITLE}: {workers} workers sharing the limits, most requests in any window",
            size,
            f"{busiest} requests",
            target=f"≤ {count(requests_per_window)}",
            met=busiest <= requests_per_window,
        ),
        Row(
            f"{TITLE}: {workers} workers sharing the limits, most requests at once",
            size,
            f"{at_once} requests",
            target=f"≤ {concurrent}",
            met=at_once <= concurrent,
        ),
        Row(
            f"{TITLE}: {workers} workers sharing the limits, requests in the day",
            size,
            f"{count(made)} requests",
            target=f"≤ the budget of {count(budget)}",
            met=made <= budget,
        ),
        _batch_row(vendors, limits, workers=workers),
        _batch_row(bills, limits, workers=workers),
        Row(
            f"{TITLE}: throttled requests that failed an export",
            f"{count(shared.accepted + vendors.accepted + bills.accepted)} records",
            count(throttle_failures),
            target="0",
            met=throttle_failures == 0,
            note=(
                f"the sandbox answered 429 to {throttled} requests; {failed} exports failed in all"
            ),
        ),
    ]
