"""`python -m bench.import_probe`: one vendor import in a fresh process, with its memory.

Run by the vendor import scenario, so the peak resident memory it reports belongs to the import
alone and not to whatever the benchmark process built before. Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time


def _peak_megabytes() -> float:
    # Linux reports ru_maxrss in kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _resident_megabytes() -> float:
    """Resident memory now: the peak so far may be a passing one from start-up."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return _peak_megabytes()


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from approvals.models import ERPVendor
    from approvals.services.imports_vendors import vendors_sync
    from integrations.registry import active_connection

    connection = active_connection()
    before = _resident_megabytes()
    started = time.perf_counter()
    summary = vendors_sync(connection=connection)
    elapsed = time.perf_counter() - started
    after = _peak_megabytes()
    json.dump(
        {
            "resident_before_mb": before,
            "peak_after_mb": after,
            "seconds": elapsed,
            "created": summary.created,
            "stored": ERPVendor.objects.filter(erp_connection=connection).count(),
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
