"""The project manager's project page with 5 and with 500 commitments (each with a change
order and an invoice)."""

from __future__ import annotations

from django.urls import reverse

from bench import scene
from bench.pages import page_cost, signed_in_client
from bench.table import Row, count, milliseconds, ratio, times

TITLE = "Project manager project page: SQL queries per page"
FULL = {"small": 5, "large": 500, "repeats": 15}
TOY = {"small": 2, "large": 6, "repeats": 2}


def _project_with(commitment_count: int, *, prefix: str, pm, vendors, codes):
    (project,) = scene.projects(1, prefix=prefix, members=[pm])
    project.companies.add(*vendors)
    commitments = scene.commitments(
        commitment_count, projects=[project], vendors=vendors, codes=codes
    )
    scene.change_orders(commitments, codes=codes)
    scene.invoices(commitment_count, commitments=commitments, sent_by=pm, prefix=prefix)
    scene.settle()
    return project


def run(*, small: int, large: int, repeats: int) -> list[Row]:
    pm = scene.project_manager()
    scene.offline_connection()
    codes = scene.cost_codes(20)
    vendors = scene.vendors(25)
    client = signed_in_client(pm)

    def cost(project):
        return page_cost(
            client, reverse("approvals:project_detail", args=[project.pk]), repeats=repeats
        )

    at_small = cost(_project_with(small, prefix="S", pm=pm, vendors=vendors, codes=codes))
    at_large = cost(_project_with(large, prefix="L", pm=pm, vendors=vendors, codes=codes))
    note = (
        f"each commitment has a change order and an invoice; median render "
        f"{milliseconds(at_small.median_seconds)} with {small}, "
        f"{milliseconds(at_large.median_seconds)} with {large} commitments"
    )
    return [
        Row(TITLE, f"{count(small)} commitments", f"{at_small.queries} queries"),
        Row(
            TITLE,
            f"{count(large)} commitments",
            f"{at_large.queries} queries",
            target=f"same as with {count(small)}",
            ratio=times(ratio(at_large.queries, at_small.queries)),
            met=at_large.queries == at_small.queries,
            note=note,
        ),
    ]
