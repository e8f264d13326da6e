"""QuickBooks Online's limits, shared through the database, against the sandbox's own limits
over a socket (windows scaled down to fractions of a second)."""

import threading

import pytest
from django.db import connections

from integrations.models import RateBudget
from integrations.quickbooks_online.client import QuickBooksClient
from integrations.quickbooks_online.errors import ThrottledError
from integrations.quickbooks_online.limits import rate_limits
from integrations.rate_limits import BudgetExhausted


def api_statuses(qbo_sandbox) -> list[int]:
    return [e["status"] for e in qbo_sandbox.request_log() if e["path"].startswith("/v3/")]


def with_limits(settings, **limits):
    settings.QUICKBOOKS_ONLINE = {**settings.QUICKBOOKS_ONLINE, **limits}


def test_the_limits_are_quickbooks_documented_ones_with_no_daily_budget_unless_set(settings):
    limits = rate_limits()
    assert (limits.per_window, limits.concurrent, limits.batch_per_window) == (500, 10, 40)
    assert limits.window_seconds == 60
    assert limits.per_day is None
    with_limits(settings, REQUESTS_PER_DAY=2000)
    assert rate_limits().per_day == 2000


def test_staying_under_the_sandbox_window_avoids_every_429(qbo_connection, qbo_sandbox, settings):
    qbo_sandbox.set_limits(requests_per_window=10, window_seconds=0.5)
    with_limits(settings, REQUESTS_PER_MINUTE=8, RATE_WINDOW_SECONDS=0.5)
    qbo_sandbox.clear_request_log()
    with QuickBooksClient(qbo_connection) as client:
        for _ in range(20):
            client.count("Vendor")
    assert api_statuses(qbo_sandbox) == [200] * 20


def test_without_the_limits_the_same_burst_is_throttled(qbo_connection, qbo_sandbox, settings):
    # A window long enough that the burst falls within one however loaded the machine is.
    qbo_sandbox.set_limits(requests_per_window=10, window_seconds=5)
    with_limits(settings, REQUESTS_PER_MINUTE=1000, RATE_WINDOW_SECONDS=5)
    with QuickBooksClient(qbo_connection) as client, pytest.raises(ThrottledError):
        for _ in range(20):
            client.count("Vendor")


def test_a_429_holds_back_every_client_of_the_company_for_the_wait_it_asked(
    qbo_connection, qbo_sandbox, settings
):
    with_limits(settings, RATE_WINDOW_SECONDS=30)
    qbo_sandbox.inject_fault("throttle", count=1)
    with QuickBooksClient(qbo_connection) as client, pytest.raises(ThrottledError):
        client.count("Vendor")
    assert RateBudget.objects.get(connection=qbo_connection).paused_until is not None

    # Another worker's client asks nothing of QuickBooks until then.
    qbo_sandbox.clear_request_log()
    with QuickBooksClient(qbo_connection) as other, pytest.raises(BudgetExhausted) as held:
        other.count("Vendor")
    assert 25 < held.value.retry_after <= 30
    assert api_statuses(qbo_sandbox) == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_stay_under_the_sandbox_concurrency(
    qbo_connection, qbo_sandbox, settings
):
    qbo_sandbox.set_limits(concurrent=2)
    qbo_sandbox.inject_fault("latency", count=6, seconds=0.15)
    with_limits(settings, MAX_CONCURRENT=2)
    qbo_sandbox.clear_request_log()
    failures = []

    def call():
        try:
            with QuickBooksClient(qbo_connection) as client:
                client.count("Vendor")
        except Exception as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert api_statuses(qbo_sandbox) == [200] * 6
