"""Importing QuickBooks' vendor list of 100,000 vendors: time and peak memory growth.

The import (`vendors_sync`, what `manage.py erp_sync vendors` runs) reads the list page by page
from the sandbox and stores it; it runs in a fresh process (bench/import_probe.py) so its peak
memory is its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bench import quickbooks
from bench.database import current_database_url
from bench.table import Row, count, seconds

TITLE = "Import of vendors from QuickBooks Online"
FULL = {"vendors": 100_000}
TOY = {"vendors": 50}
MEMORY_TARGET_MB = 150
# QuickBooks' real window: 100,000 vendors are 100 pages, far below 500 requests a minute.
LIMITS = quickbooks.Limits(window_seconds=60.0)


class ImportFailed(Exception):
    pass


def run(*, vendors: int) -> list[Row]:
    with quickbooks.sandbox(LIMITS) as handle:
        handle.seed_vendors(vendors, prefix="Imported Vendor")
        quickbooks.connection_to(handle)
        env = {
            **os.environ,
            **quickbooks.client_environment(handle, LIMITS),
            "DATABASE_URL": current_database_url(),
        }
        probe = subprocess.run(
            [sys.executable, "-m", "bench.import_probe"],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    if probe.returncode != 0:
        raise ImportFailed(f"The import process failed:\n{probe.stderr[-2000:]}")
    result = json.loads(probe.stdout)
    growth = result["peak_mb"] - result["resident_before_mb"]
    peak_from = (
        "reset just before the import"
        if result["peak_reset"]
        else "since start-up, so the growth is an upper bound"
    )
    size = f"{count(vendors)} vendors"
    return [
        Row(
            TITLE + ": peak memory growth",
            size,
            f"{growth:.1f} MB",
            target=f"≤ {MEMORY_TARGET_MB} MB",
            ratio=f"{growth / MEMORY_TARGET_MB * 100:.0f} % of the target",
            met=growth <= MEMORY_TARGET_MB,
            note=(
                f"a fresh process: {result['resident_before_mb']:.0f} MB resident before the "
                f"import, {result['peak_mb']:.0f} MB at its peak (VmHWM, {peak_from}); "
                f"{count(result['stored'])} vendors stored"
            ),
        ),
        Row(TITLE + ": time", size, seconds(result["seconds"])),
    ]
