"""Fixtures of the reliability tests, and the hook that writes docs/reliability.md from them.

The doc is written only when RELIABILITY_REPORT=1 (`make reliability`) and the whole matrix,
the soak and the database restart ran in this process, so a normal test run never rewrites it.
"""

from __future__ import annotations

import os

import pytest

from tests.reliability import matrix, matrix_quickbooks_desktop, matrix_xero, people
from tests.reliability.results import RESULTS

ERPS = (matrix.QUICKBOOKS_ONLINE, matrix_xero.XERO)
ERP_NAMES = [erp.name for erp in ERPS]


@pytest.fixture
def fast_exports(qbo_settings, settings):
    """Export retries and QuickBooks' rate window scaled down to fractions of a second; same
    logic, less wait."""
    return _fast(settings, "QUICKBOOKS_ONLINE")


@pytest.fixture
def fast_xero_exports(xero_settings, settings):
    """The same for Xero."""
    return _fast(settings, "XERO")


def _fast(settings, erp_settings: str):
    setattr(
        settings,
        erp_settings,
        {
            **getattr(settings, erp_settings),
            "RATE_WINDOW_SECONDS": 0.2,
            "TIMEOUT_SECONDS": matrix.TIMEOUT_SECONDS,
            "CONNECT_TIMEOUT_SECONDS": matrix.TIMEOUT_SECONDS,
        },
    )
    settings.EXPORT_MAX_TRIES = 4
    settings.EXPORT_RETRY_BASE_SECONDS = 0.05
    settings.EXPORT_RETRY_MAX_SECONDS = 0.5
    return settings


@pytest.fixture
def books(qbo_sandbox, qbo_connection, fast_exports):
    from tests.reliability import scene

    return scene.open_books(qbo_sandbox, qbo_connection)


@pytest.fixture
def machine_noted(django_db_setup, django_db_blocker):
    """The machine and versions the figures were measured on, for the report."""
    from tests.reliability.report import describe_machine

    if not RESULTS.machine:
        with django_db_blocker.unblock():
            RESULTS.machine = describe_machine()


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("RELIABILITY_REPORT") != "1" or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    from tests.reliability.report import REPORT_PATH, write_report

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    complete = (
        len(RESULTS.cells) == sum(len(erp.cells) for erp in ERPS)
        and len(RESULTS.people) == len(people.SCENARIOS)
        and sorted(RESULTS.soaks) == sorted(ERP_NAMES)
        and RESULTS.outage is not None
        and RESULTS.hanging is not None
        and RESULTS.lost_batch is not None
        and len(RESULTS.desktop_cells) == len(matrix_quickbooks_desktop.CELLS)
        and RESULTS.desktop_soak is not None
    )
    if exitstatus != 0 or not complete:
        message = (
            f"\n{REPORT_PATH} not written: it needs every matrix cell and the soak to pass "
            f"in one run without xdist ({len(RESULTS.cells)}/"
            f"{sum(len(erp.cells) for erp in ERPS)} cells, "
            f"{len(RESULTS.people)}/{len(people.SCENARIOS)} scenarios of people, "
            f"soaks done: {', '.join(sorted(RESULTS.soaks)) or 'none'}, "
            f"database restart {'done' if RESULTS.outage else 'missing'}, "
            f"hanging QuickBooks {'done' if RESULTS.hanging else 'missing'}, "
            f"lost batch answer {'done' if RESULTS.lost_batch else 'missing'}, QuickBooks "
            f"Desktop {len(RESULTS.desktop_cells)}/{len(matrix_quickbooks_desktop.CELLS)} "
            f"cells, its soak {'done' if RESULTS.desktop_soak else 'missing'}).\n"
        )
    else:
        write_report(RESULTS, REPORT_PATH)
        message = f"\nWrote {REPORT_PATH}\n"
    if reporter is not None:
        reporter.write(message)
