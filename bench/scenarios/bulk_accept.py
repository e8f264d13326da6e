"""Accepting 500 invoices at once against accepting 5, with QuickBooks Online connected.

Each accept asks QuickBooks (the sandbox, over a socket) for bills the invoice may duplicate,
as the accountant's Accept does; the window of QuickBooks' limits is scaled down to seconds.
"""

from __future__ import annotations

import time

from approvals.services import records_accept_bulk
from bench import quickbooks, scene
from bench.statements import counting_statements
from bench.table import Row, count, ratio, seconds, times

TITLE = "Bulk accept of invoices"
FULL = {"small": 5, "large": 500, "window_seconds": 3.0}
TOY = {"small": 2, "large": 6, "window_seconds": 1.0}
TIME_TARGET = 10.0


class AcceptRefused(Exception):
    """An invoice of the scene was not accepted: the figures would not be about accepting."""


def _accept(invoices, approver) -> tuple[int, float]:
    """(SQL statements, seconds) of one bulk accept."""
    with counting_statements() as statements:
        started = time.perf_counter()
        outcomes = records_accept_bulk(records=invoices, actor=approver)
        elapsed = time.perf_counter() - started
    refused = [outcome.message for outcome in outcomes if not outcome.ok]
    if refused:
        raise AcceptRefused(f"{len(refused)} invoices were not accepted, e.g. {refused[0]}")
    return statements.count, elapsed


def run(*, small: int, large: int, window_seconds: float) -> list[Row]:
    limits = quickbooks.Limits(window_seconds=window_seconds)
    with quickbooks.sandbox(limits) as handle, quickbooks.pointed_at(handle, limits):
        quickbooks.connection_to(handle)
        pm = scene.project_manager()
        approver = scene.approver()
        codes = scene.cost_codes(5)
        projects = scene.projects(1, members=[pm])

        def ready_invoices(number: int, prefix: str):
            vendors = scene.vendors(1, prefix=prefix)
            commitments = scene.commitments(
                1, projects=projects, vendors=vendors, codes=codes, prefix=prefix
            )
            return scene.invoices(number, commitments=commitments, sent_by=pm, prefix=prefix)

        warm_up, few, many = (
            ready_invoices(1, "Warm"),
            ready_invoices(small, "Few"),
            ready_invoices(large, "Many"),
        )
        scene.settle()
        # The first accept fills the per-process caches (permissions, content types, tokens).
        _accept(warm_up, approver)
        handle.clear_request_log()
        small_statements, small_time = _accept(few, approver)
        small_requests = len(handle.request_log())
        handle.clear_request_log()
        large_statements, large_time = _accept(many, approver)
        large_requests = len(handle.request_log())

    time_ratio = ratio(large_time, small_time)
    note = (
        f"requests to QuickBooks (duplicate look-ups): {small_requests} for {small}, "
        f"{large_requests} for {large} invoices, under {limits.requests_per_window} requests "
        f"per {window_seconds:g} s window; {large_statements / large:.1f} SQL statements per "
        "invoice"
    )
    return [
        Row(TITLE + ": SQL statements", count(small), count(small_statements)),
        Row(
            TITLE + ": SQL statements",
            count(large),
            count(large_statements),
            target="independent of the count",
            ratio=times(ratio(large_statements, small_statements)),
            met=large_statements == small_statements,
        ),
        Row(TITLE + ": time", count(small), seconds(small_time)),
        Row(
            TITLE + ": time",
            count(large),
            seconds(large_time),
            target=f"≤ {TIME_TARGET:g} x the time for {count(small)}",
            ratio=times(time_ratio),
            met=time_ratio <= TIME_TARGET,
            note=note,
        ),
    ]
