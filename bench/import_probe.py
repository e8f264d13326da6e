"""`python -m bench.import_probe`: one vendor import in a fresh process, with its memory.

Run by the vendor import scenario, so the peak resident memory it reports belongs to the import
alone. Prints one JSON object.

The peak is read from /proc/self/status (VmHWM), reset just before the import through
/proc/self/clear_refs. Not from getrusage's ru_maxrss: Linux carries the parent's resident size
at fork into the child's ru_maxrss across exec, so a child of a large benchmark process would
report its parent's memory as its own peak.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")
RESET_PEAK = "5"


def _status_megabytes(field: str) -> float:
    for line in STATUS.read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"{STATUS} has no {field}.")


def _reset_peak() -> bool:
    try:
        CLEAR_REFS.write_text(RESET_PEAK)
    except OSError:
        return False
    return True


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from approvals.models import ERPVendor
    from approvals.services.importing.imports_vendors import vendors_sync
    from integrations.registry import active_connection

    connection = active_connection()
    peak_reset = _reset_peak()
    before = _status_megabytes("VmRSS")
    started = time.perf_counter()
    summary = vendors_sync(connection=connection)
    elapsed = time.perf_counter() - started
    json.dump(
        {
            "resident_before_mb": before,
            "peak_mb": _status_megabytes("VmHWM"),
            "peak_reset": peak_reset,
            "seconds": elapsed,
            "created": summary.created,
            "stored": ERPVendor.objects.filter(erp_connection=connection).count(),
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
