"""The accountant's Ready to Export list of invoices at 1,000 and at 100,000 waiting records."""

from __future__ import annotations

from django.urls import reverse

from bench import scene
from bench.pages import page_cost, signed_in_client
from bench.table import Row, count, milliseconds, ratio, times

TITLE = "Accountant queue (Ready to Export invoices)"
FULL = {"small": 1_000, "large": 100_000, "repeats": 15}
TOY = {"small": 10, "large": 40, "repeats": 2}
TIME_TARGET = 2.0


def run(*, small: int, large: int, repeats: int) -> list[Row]:
    pm = scene.project_manager()
    approver = scene.approver()
    scene.offline_connection()
    codes = scene.cost_codes(20)
    projects = scene.projects(max(1, large // 2_000), members=[pm])
    vendors = scene.vendors(max(1, large // 500))
    commitments = scene.commitments(
        max(1, large // 100), projects=projects, vendors=vendors, codes=codes
    )
    client = signed_in_client(approver)
    url = reverse("admin:approvals_subcontractorinvoice_changelist") + "?queue=ready"

    scene.invoices(small, commitments=commitments, sent_by=pm)
    scene.settle()
    at_small = page_cost(client, url, repeats=repeats)
    scene.invoices(large - small, commitments=commitments, sent_by=pm, prefix="LATE")
    scene.settle()
    at_large = page_cost(client, url, repeats=repeats)

    time_ratio = ratio(at_large.median_seconds, at_small.median_seconds)
    return [
        Row(TITLE + ": SQL queries per page", count(small), f"{at_small.queries} queries"),
        Row(
            TITLE + ": SQL queries per page",
            count(large),
            f"{at_large.queries} queries",
            target=f"same as at {count(small)}",
            ratio=times(ratio(at_large.queries, at_small.queries)),
            met=at_large.queries == at_small.queries,
        ),
        Row(TITLE + ": median render", count(small), milliseconds(at_small.median_seconds)),
        Row(
            TITLE + ": median render",
            count(large),
            milliseconds(at_large.median_seconds),
            target=f"≤ {TIME_TARGET:g} x at {count(small)}",
            ratio=times(time_ratio),
            met=time_ratio <= TIME_TARGET,
            note=f"median of {repeats} renders of the 50-row page after one warm-up",
        ),
    ]
