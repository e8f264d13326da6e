"""Rate limits shared through the database: calls taken by threads and by separate processes on
real PostgreSQL, windows scaled down to fractions of a second. What each call did is read back
from the rows it left (kept for a day where a daily budget counts them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone

from integrations.models import ERPKind, RateBudget, RateCall
from integrations.rate_limits import BudgetExhausted, RateLimits, call_slot, pause, take
from tests.factories import make_erp_connection
from tests.worker_processes import PROJECT_ROOT, database_url

THREADED = pytest.mark.django_db(transaction=True)
WINDOW = 0.4
ERP = "the test ERP"


def limits(**overrides) -> RateLimits:
    values = {
        "per_window": 100,
        "concurrent": 10,
        "window_seconds": WINDOW,
        "batch_per_window": None,
        "per_day": None,
        "lease_seconds": 5.0,
    }
    return RateLimits(**{**values, **overrides})


def most_counted_at_once(calls: list[RateCall], window: float) -> int:
    """The most calls counting toward one window at any moment: each counts from when it was
    taken until a window after its answer."""
    most = 0
    for call in calls:
        moment = call.started_at
        counting = [
            other
            for other in calls
            if other.started_at <= moment < other.finished_at + timedelta(seconds=window)
        ]
        most = max(most, len(counting))
    return most


def most_running_at_once(calls: list[RateCall]) -> int:
    return max(
        sum(1 for other in calls if other.started_at <= call.started_at < other.finished_at)
        for call in calls
    )


def test_impossible_limits_are_refused():
    with pytest.raises(ValueError, match="at least one"):
        limits(concurrent=0)
    with pytest.raises(ValueError, match="longer than zero"):
        limits(window_seconds=0)


@pytest.mark.django_db
def test_a_call_past_the_window_limit_is_told_when_the_oldest_stops_counting():
    connection = make_erp_connection()
    rules = limits(per_window=3)
    for _ in range(3):
        with call_slot(connection, rules, erp_name=ERP):
            pass
    oldest = RateCall.objects.order_by("counts_until").first()

    with (
        pytest.raises(BudgetExhausted) as refused,
        call_slot(connection, rules, erp_name=ERP, max_wait=0),
    ):
        pass

    assert refused.value.transient
    assert 0 < refused.value.retry_after <= WINDOW
    assert timezone.now() + timedelta(seconds=refused.value.retry_after) >= oldest.counts_until
    assert "the test ERP allows us" in refused.value.message
    assert RateCall.objects.count() == 3


@pytest.mark.django_db
def test_batch_calls_have_a_smaller_window_of_their_own():
    connection = make_erp_connection()
    rules = limits(batch_per_window=1)
    assert isinstance(take(connection, rules, batch=True), RateCall)
    assert isinstance(take(connection, rules), RateCall)
    assert take(connection, rules, batch=True) > 0


@pytest.mark.django_db
def test_a_pause_holds_back_every_caller_of_that_company_only():
    paused, other = make_erp_connection(), make_erp_connection(kind=ERPKind.XERO)
    pause(paused, 30)
    wait = take(paused, limits())
    assert 25 < wait <= 30
    assert isinstance(take(other, limits()), RateCall)
    pause(paused, 5)  # a shorter pause never shortens a longer one
    assert take(paused, limits()) > 25


@pytest.mark.django_db
def test_a_crashed_callers_place_is_freed_when_its_lease_expires():
    connection = make_erp_connection()
    rules = limits(concurrent=1, lease_seconds=0.3)
    crashed = take(connection, rules)  # taken, and never finished: its worker died
    assert isinstance(crashed, RateCall)

    with pytest.raises(BudgetExhausted), call_slot(connection, rules, erp_name=ERP, max_wait=0):
        pass
    # Nobody finishes the dead call; its lease runs out and the place is free again.
    with call_slot(connection, rules, erp_name=ERP, max_wait=2):
        pass
    assert RateCall.objects.filter(finished_at__isnull=True).get() == crashed


@pytest.mark.django_db
def test_a_daily_budget_is_never_exceeded_and_names_the_wait_in_hours():
    connection = make_erp_connection()
    rules = limits(per_day=2)
    for _ in range(2):
        with call_slot(connection, rules, erp_name=ERP):
            pass
    with pytest.raises(BudgetExhausted) as refused, call_slot(connection, rules, erp_name=ERP):
        pass
    assert refused.value.retry_after > 23 * 3600
    assert "hours" in refused.value.message
    # Still counted a day long, though they left the window long ago.
    assert RateCall.objects.count() == 2


@THREADED
def test_threads_with_their_own_database_connections_share_one_budget():
    connection = make_erp_connection()
    rules = limits(per_window=6, concurrent=2, per_day=10_000, lease_seconds=120)
    failures = []

    def caller():
        try:
            for _ in range(4):
                with call_slot(connection, rules, erp_name=ERP, max_wait=10):
                    time.sleep(0.03)
        except Exception as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    calls = list(RateCall.objects.all())
    assert len(calls) == 16
    assert most_running_at_once(calls) <= 2
    assert most_counted_at_once(calls, WINDOW) <= 6


WORKER_SCRIPT = """
import json, sys, threading, time
import django
django.setup()
from django.db import connections
from integrations.models import ERPConnection
from integrations.rate_limits import BudgetExhausted, RateLimits, call_slot

connection = ERPConnection.objects.get(pk=int(sys.argv[1]))
rules = RateLimits(**json.loads(sys.argv[2]))
made, refused = [], []

def caller():
    for _ in range(int(sys.argv[3])):
        try:
            with call_slot(connection, rules, erp_name="the test ERP", max_wait=float(sys.argv[4])):
                time.sleep(0.02)
            made.append(1)
        except BudgetExhausted as error:
            refused.append(error.retry_after)
    connections.close_all()

threads = [threading.Thread(target=caller) for _ in range(3)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({"made": len(made), "refused": refused}))
"""


def run_workers(connection, rules: RateLimits, *, processes: int, calls_each: int, wait: float):
    """`processes` separate processes of three threads, each making `calls_each` calls."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY,
        "LOG_LEVEL": "WARNING",
    }
    arguments = json.dumps(rules.__dict__)
    started = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER_SCRIPT,
                str(connection.pk),
                arguments,
                str(calls_each),
                str(wait),
            ],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    reports = []
    for process in started:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports


@THREADED
def test_worker_processes_together_keep_to_the_window_the_places_and_the_day():
    connection = make_erp_connection()
    # Leases long past any call here: a busy machine can stall a 20 ms call for seconds, and a
    # lease that runs out frees its place on purpose (a crashed worker's; tested above).
    rules = limits(per_window=8, concurrent=3, per_day=40, lease_seconds=120)

    reports = run_workers(connection, rules, processes=2, calls_each=10, wait=10)

    made = sum(report["made"] for report in reports)
    refused = [wait for report in reports for wait in report["refused"]]
    assert made == 40
    assert len(refused) == 20
    assert all(wait > 23 * 3600 for wait in refused)
    calls = list(RateCall.objects.filter(connection=connection))
    assert len(calls) == 40
    assert most_running_at_once(calls) <= 3
    assert most_counted_at_once(calls, WINDOW) <= 8
    assert RateBudget.objects.filter(connection=connection).count() == 1
