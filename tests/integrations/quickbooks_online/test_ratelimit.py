"""The rate limiter on real threads and clocks (windows scaled down to fractions of a second), and
against the sandbox's own limits over a socket."""

import threading
import time

import pytest

from integrations.quickbooks_online.client import QuickBooksClient
from integrations.quickbooks_online.errors import ThrottledError
from integrations.quickbooks_online.ratelimit import RealmLimiter, limiter_for

WINDOW = 0.3


def limiter(**overrides) -> RealmLimiter:
    limits = {
        "requests_per_window": 100,
        "batch_requests_per_window": 100,
        "max_concurrent": 10,
        "window_seconds": WINDOW,
    }
    return RealmLimiter(**{**limits, **overrides})


def run_slots(realm_limiter: RealmLimiter, count: int, *, batch=False, hold=0.0):
    """(start, end) of `count` calls made one after another through the limiter."""
    spans = []
    for _ in range(count):
        with realm_limiter.slot(batch=batch):
            started = time.monotonic()
            time.sleep(hold)
        spans.append((started, time.monotonic()))
    return spans


def test_requests_beyond_the_window_limit_wait_a_full_window_after_the_oldest_answer():
    spans = run_slots(limiter(requests_per_window=3), 7)
    for earlier, later in zip(spans, spans[3:], strict=False):
        assert later[0] - earlier[1] >= WINDOW
    assert spans[2][0] - spans[0][0] < WINDOW


def test_no_more_requests_run_at_once_than_allowed():
    realm_limiter = limiter(max_concurrent=2)
    running = 0
    most = 0
    lock = threading.Lock()

    def call():
        nonlocal running, most
        with realm_limiter.slot():
            with lock:
                running += 1
                most = max(most, running)
            time.sleep(0.05)
            with lock:
                running -= 1

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 2


def test_batch_calls_have_their_own_smaller_window():
    realm_limiter = limiter(batch_requests_per_window=1)
    first = run_slots(realm_limiter, 1, batch=True)
    plain = run_slots(realm_limiter, 3)
    second = run_slots(realm_limiter, 1, batch=True)
    assert plain[-1][0] - first[0][1] < WINDOW
    assert second[0][0] - first[0][1] >= WINDOW


def test_a_pause_holds_back_every_new_request():
    realm_limiter = limiter()
    paused_at = time.monotonic()
    realm_limiter.pause(0.2)
    spans = run_slots(realm_limiter, 1)
    assert spans[0][0] - paused_at >= 0.2


def test_impossible_limits_are_refused():
    with pytest.raises(ValueError, match="at least one"):
        limiter(max_concurrent=0)
    with pytest.raises(ValueError, match="longer than zero"):
        limiter(window_seconds=0)


def test_each_process_gets_its_share_of_a_realms_limits(settings):
    settings.QUICKBOOKS_ONLINE = {
        **settings.QUICKBOOKS_ONLINE,
        "REQUESTS_PER_MINUTE": 500,
        "MAX_CONCURRENT": 10,
        "BATCH_REQUESTS_PER_MINUTE": 40,
        "WORKER_PROCESSES": 4,
    }
    shared = limiter_for("realm-share-test")
    assert shared is limiter_for("realm-share-test")
    assert shared is not limiter_for("another-realm")
    assert (shared.requests_per_window, shared.max_concurrent) == (125, 2)
    assert shared.batch_requests_per_window == 10
    assert shared.window_seconds == 60


# Against the sandbox ------------------------------------------------------------------------


def api_statuses(qbo_sandbox) -> list[int]:
    return [e["status"] for e in qbo_sandbox.request_log() if e["path"].startswith("/v3/")]


def with_limits(settings, **limits):
    settings.QUICKBOOKS_ONLINE = {**settings.QUICKBOOKS_ONLINE, **limits}


def test_a_throttled_request_waits_and_succeeds(qbo_connection, qbo_sandbox, settings):
    with_limits(settings, RATE_WINDOW_SECONDS=0.2)
    qbo_sandbox.inject_fault("throttle", count=2)
    started = time.monotonic()
    with QuickBooksClient(qbo_connection) as client:
        assert client.count("Vendor") >= 0
    assert api_statuses(qbo_sandbox) == [429, 429, 200]
    assert time.monotonic() - started >= 0.4


def test_throttling_that_never_ends_is_reported_as_transient(qbo_connection, qbo_sandbox, settings):
    with_limits(settings, RATE_WINDOW_SECONDS=0.05, THROTTLE_RETRIES=2)
    qbo_sandbox.inject_fault("throttle", count=10)
    with QuickBooksClient(qbo_connection) as client, pytest.raises(ThrottledError) as raised:
        client.count("Vendor")
    assert raised.value.transient
    assert api_statuses(qbo_sandbox) == [429, 429, 429]


def test_staying_under_the_sandbox_window_avoids_every_429(qbo_connection, qbo_sandbox, settings):
    qbo_sandbox.set_limits(requests_per_window=10, window_seconds=0.5)
    with_limits(settings, REQUESTS_PER_MINUTE=8, RATE_WINDOW_SECONDS=0.5)
    qbo_sandbox.clear_request_log()
    started = time.monotonic()
    with QuickBooksClient(qbo_connection) as client:
        for _ in range(20):
            client.count("Vendor")
    assert api_statuses(qbo_sandbox) == [200] * 20
    assert time.monotonic() - started >= 1.0


def test_without_the_limiter_the_same_burst_is_throttled(qbo_connection, qbo_sandbox, settings):
    qbo_sandbox.set_limits(requests_per_window=10, window_seconds=0.5)
    with_limits(settings, REQUESTS_PER_MINUTE=1000, RATE_WINDOW_SECONDS=0.5, THROTTLE_RETRIES=0)
    with QuickBooksClient(qbo_connection) as client, pytest.raises(ThrottledError):
        for _ in range(20):
            client.count("Vendor")


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

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert api_statuses(qbo_sandbox) == [200] * 6
