"""Export throughput against the sandbox under QuickBooks' limits, windows scaled to seconds.

One request per document: vendors accepted in the admin's service, exported by `db_worker`
processes through the connector and client (accept → worker → connector → client). Batching:
our export path has no batched mode yet, so QuickBooksClient.batch is measured directly, 30
vendor creations a call from as many threads as QuickBooks lets run at once.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

from approvals.models import Company
from approvals.services import records_accept_bulk
from approvals.states import SyncStatus
from bench import quickbooks, scene
from bench.table import Row, count, percent
from bench.windows import per_window
from bench.workers import drain_exports
from integrations.quickbooks_online.client import MAX_BATCH_ITEMS, QuickBooksClient

TITLE = "Export throughput to QuickBooks Online"
# A window long enough that QuickBooks' ceiling (500 requests) is below what two cores can
# send, so the figure measures our rate limiting, not the CPU; the note gives the CPU's pace.
FULL = {"windows": 3, "window_seconds": 15.0, "workers": 4}
TOY = {
    "windows": 1,
    "window_seconds": 1.0,
    "workers": 1,
    "requests_per_window": 20,
    "batch_requests_per_window": 2,
    "concurrent": 2,
}
SHARE_TARGET = 0.9
THROTTLE_MESSAGE = "too many requests"
# The export looks each vendor up before creating it; the backlog is sized for that.
EXPECTED_REQUESTS_PER_DOCUMENT = 2


def _is_vendor_create(request: dict) -> bool:
    return request["method"] == "POST" and request["path"].endswith("/vendor")


def _is_batch(request: dict) -> bool:
    return request["method"] == "POST" and request["path"].endswith("/batch")


def _answered(request: dict) -> bool:
    return request["status"] == 200


def _export_one_per_request(handle, limits, *, windows: int, workers: int, approver):
    backlog = math.ceil(windows * limits.requests_per_window / EXPECTED_REQUESTS_PER_DOCUMENT * 1.2)
    companies = scene.vendors(
        backlog,
        prefix="Export",
        sync_status=SyncStatus.READY_TO_EXPORT,
        sent_by=scene.project_manager(),
    )
    outcomes = records_accept_bulk(records=companies, actor=approver)
    refused = [outcome.message for outcome in outcomes if not outcome.ok]
    if refused:
        raise RuntimeError(f"{len(refused)} vendors were not accepted, e.g. {refused[0]}")
    handle.clear_request_log()
    drain_exports(
        processes=workers,
        environment=quickbooks.client_environment(handle, limits),
        timeout_seconds=windows * limits.window_seconds * 20 + 120,
    )
    return backlog, handle.request_log()


def _create_in_batches(connection, limits, *, batches: int) -> int:
    """Vendors created by `batches` batch calls from `limits.concurrent` threads."""
    local = threading.local()

    def send(number: int) -> int:
        if not hasattr(local, "client"):
            local.client = QuickBooksClient(connection)
        operations = [
            {"operation": "create", "Vendor": {"DisplayName": f"Batch {number:05d}-{item:02d}"}}
            for item in range(1, MAX_BATCH_ITEMS + 1)
        ]
        answers = local.client.batch(operations, request_id=f"bench-batch-{number}")
        return sum(1 for answer in answers if "Vendor" in answer)

    with ThreadPoolExecutor(max_workers=limits.concurrent) as pool:
        return sum(pool.map(send, range(batches)))


def run(
    *,
    windows: int,
    window_seconds: float,
    workers: int,
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
    with quickbooks.sandbox(limits) as handle:
        connection = quickbooks.connection_to(handle)
        approver = scene.approver()
        backlog, single_log = _export_one_per_request(
            handle, limits, windows=windows, workers=workers, approver=approver
        )
        exported = Company.objects.filter(sync_status=SyncStatus.SYNCED).count()
        failed = Company.objects.filter(sync_status=SyncStatus.EXPORT_FAILED)
        throttle_failures = failed.filter(last_export_error__icontains=THROTTLE_MESSAGE).count()
        in_quickbooks = sum(
            1 for vendor in handle.entities("Vendor") if vendor["DisplayName"].startswith("Export")
        )

        handle.clear_request_log()
        batches = math.ceil(windows * batch_requests_per_window * 1.2)
        with quickbooks.pointed_at(handle, limits):
            batch_created = _create_in_batches(connection, limits, batches=batches)
        batch_log = handle.request_log()

    def succeeded(test):
        return lambda request: test(request) and _answered(request)

    single = per_window(
        single_log, window_seconds=window_seconds, matches=succeeded(_is_vendor_create)
    )
    batched = per_window(batch_log, window_seconds=window_seconds, matches=succeeded(_is_batch))
    single_ceiling = requests_per_window
    batch_ceiling = batch_requests_per_window * MAX_BATCH_ITEMS
    single_share = single.matching / single_ceiling
    request_share = single.requests / requests_per_window
    batch_documents = batched.matching * batch_created / max(batches, 1)
    batch_share = batch_documents / batch_ceiling
    speed_up = batch_documents / single.matching if single.matching else float("inf")
    single_429 = quickbooks.throttled(single_log)
    batch_429 = quickbooks.throttled(batch_log)
    scale = f"{requests_per_window} requests, {batch_requests_per_window} batch requests per {window_seconds:g} s window, {concurrent} at once"
    return [
        Row(
            TITLE + ": one request per document",
            f"{count(backlog)} vendors",
            f"{single.matching:.0f} documents per window",
            target=f"≥ 90 % of {count(single_ceiling)}",
            ratio=percent(single_share),
            met=single_share >= SHARE_TARGET,
            note=(
                f"{workers} db_worker processes sharing {scale}; averaged over "
                f"{single.windows:.1f} windows ({single.matching / window_seconds:.1f} documents "
                f"per second); {single.requests / max(single.matching, 1e-9):.1f} "
                f"requests per document (a vendor is created at once; QuickBooks refuses a "
                f"taken name and the export then links it); "
                f"{count(exported)} of {count(backlog)} vendors synced, {count(in_quickbooks)} "
                "vendors in QuickBooks (no duplicates when equal)"
            ),
        ),
        Row(
            TITLE + ": requests the export path made",
            f"{count(backlog)} vendors",
            f"{single.requests:.0f} requests per window",
            target=f"≥ 90 % of {count(requests_per_window)}",
            ratio=percent(request_share),
            met=request_share >= SHARE_TARGET,
        ),
        Row(
            TITLE + ": batches of 30 (QuickBooksClient.batch)",
            f"{count(batches)} batches",
            f"{batch_documents:.0f} documents per window",
            target=f"≥ 90 % of {count(batch_ceiling)}",
            ratio=percent(batch_share),
            met=batch_share >= SHARE_TARGET,
            note=(
                f"the export path has no batched mode yet: the client's batch call is measured "
                f"directly from {concurrent} threads; {count(batch_created)} of "
                f"{count(batches * MAX_BATCH_ITEMS)} vendors created; averaged over "
                f"{batched.windows:.1f} windows"
            ),
        ),
        Row(
            TITLE + ": speed-up of batching",
            "",
            f"{speed_up:.2f}x the documents per window",
            target=(
                f"each ≥ 90 % of its ceiling ({batch_ceiling / single_ceiling:.2f}x between "
                "the ceilings)"
            ),
            ratio=f"{percent(batch_share)} vs {percent(single_share)}",
            met=min(batch_share, single_share) >= SHARE_TARGET,
        ),
        Row(
            TITLE + ": throttled requests that failed an export",
            f"{count(backlog)} vendors",
            count(throttle_failures),
            target="0",
            met=throttle_failures == 0,
            note=(
                f"the sandbox answered 429 to {single_429} requests of the exports and "
                f"{batch_429} of the batches; {failed.count()} exports failed in all"
            ),
        ),
    ]
