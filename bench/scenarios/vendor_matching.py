"""Suggesting links between QuickBooks vendors and our companies, 10,000 by 10,000 against
1,000 by 1,000: both lists read from PostgreSQL, as the accountant's matching page does."""

from __future__ import annotations

import statistics
import time

from approvals.models import Company, ERPVendor
from approvals.services.importing.imports_vendors import vendor_suggestions
from bench import scene
from bench.table import Row, count, ratio, seconds, times

TITLE = "Vendor matching"
FULL = {"small": 1_000, "large": 10_000, "repeats": 3}
TOY = {"small": 20, "large": 200, "repeats": 1}
RATIO_TARGET = 15.0
# How the two lists overlap: one in four by e-mail, one in four by name with a legal suffix,
# one in four by name only spelt differently, the rest unmatched.
SPELLINGS = (
    lambda key: (f"Acme Drywall Services {key}", f"AP{key}@acme.example"),
    lambda key: (f"Acme Drywall {key}, LLC", ""),
    lambda key: (f"ACME DRYWALL {key} INC.", ""),
    lambda key: (f"Northwind Supply {key}", ""),
)


def _lists(size: int, *, connection, prefix: str) -> None:
    Company.objects.bulk_create(
        (
            Company(name=f"Acme Drywall {prefix}{n:06d}", email=f"ap{prefix}{n:06d}@acme.example")
            for n in range(size)
        ),
        batch_size=scene.BATCH,
    )
    vendors = []
    for n in range(size):
        name, email = SPELLINGS[n % len(SPELLINGS)](f"{prefix}{n:06d}")
        vendors.append(
            ERPVendor(
                erp_connection=connection, erp_id=f"{prefix}{n}", display_name=name, email=email
            )
        )
    ERPVendor.objects.bulk_create(vendors, batch_size=scene.BATCH)


def _timed(connection, repeats: int) -> tuple[float, int]:
    durations, found = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        found = len(vendor_suggestions(connection=connection))
        durations.append(time.perf_counter() - started)
    return statistics.median(durations), found


def run(*, small: int, large: int, repeats: int) -> list[Row]:
    few_connection = scene.offline_connection("bench-matching-small")
    _lists(small, connection=few_connection, prefix="S")
    scene.settle()
    small_time, small_found = _timed(few_connection, repeats)
    # The larger lists replace the smaller ones: matching reads every unlinked company.
    Company.objects.all().delete()
    few_connection.is_active = False
    few_connection.save(update_fields=["is_active"])
    many_connection = scene.offline_connection("bench-matching-large")
    _lists(large, connection=many_connection, prefix="L")
    scene.settle()
    large_time, large_found = _timed(many_connection, repeats)
    growth = ratio(large_time, small_time)
    return [
        Row(TITLE, f"{count(small)} x {count(small)}", seconds(small_time)),
        Row(
            TITLE,
            f"{count(large)} x {count(large)}",
            seconds(large_time),
            target=f"near-linear: ≤ {RATIO_TARGET:g} x the time at {count(small)}",
            ratio=times(growth),
            met=growth <= RATIO_TARGET,
            note=(
                f"vendor_suggestions over vendors only in QuickBooks and unlinked companies, "
                f"median of {repeats}; {count(small_found)} and {count(large_found)} "
                "suggestions (3 in 4 vendors match by e-mail or by name)"
            ),
        ),
    ]
