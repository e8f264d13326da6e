"""The scenarios in the order the table lists them, and those that cannot be measured yet."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

SCENARIOS = {
    "queue": "bench.scenarios.queue",
    "project": "bench.scenarios.project_page",
    "accept": "bench.scenarios.bulk_accept",
    "export": "bench.scenarios.export_throughput",
    "xero": "bench.scenarios.xero_export",
    "matching": "bench.scenarios.vendor_matching",
    "matchquality": "bench.scenarios.vendor_matching_quality",
    "import": "bench.scenarios.vendor_import",
    "jobcosts": "bench.scenarios.job_cost_sync",
    "qbd": "bench.scenarios.quickbooks_desktop_runs",
}


def scenario(name: str) -> ModuleType:
    return import_module(SCENARIOS[name])
