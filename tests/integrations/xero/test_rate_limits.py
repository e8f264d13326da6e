"""Xero's limits, shared through the database by every worker, against the sandbox's own limits
over a socket (windows scaled down where a test needs them to turn)."""

import threading
import time
from datetime import timedelta

import pytest
import requests
from django.db import connections
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from approvals.services import record_accept, record_send
from approvals.states import SyncStatus
from approvals.tasks import export_run
from integrations.models import RateBudget
from integrations.rate_limits import BudgetExhausted
from integrations.xero.client import XeroClient
from integrations.xero.errors import ThrottledError
from integrations.xero.limits import rate_limits
from tests.factories import make_user
from tests.integrations.xero import scene
from tests.records import fresh_record, new_invoice, people

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/approvals/dashboard/"


def api_statuses(xero_sandbox) -> list[int]:
    return [e["status"] for e in xero_sandbox.request_log() if "/api.xro/" in e["path"]]


def with_limits(settings, **limits):
    settings.XERO = {**settings.XERO, **limits}


def test_the_limits_are_xero_s_documented_ones(settings):
    limits = rate_limits()
    assert (limits.per_window, limits.concurrent, limits.per_day) == (60, 5, 5000)
    assert limits.window_seconds == 60
    assert "WORKER_PROCESSES" not in settings.XERO


def test_staying_under_the_sandbox_minute_avoids_every_429(xero_connection, xero_sandbox, settings):
    xero_sandbox.set_limits(per_minute=10, minute_seconds=0.5)
    with_limits(settings, REQUESTS_PER_MINUTE=8, RATE_WINDOW_SECONDS=0.5)
    xero_sandbox.clear_request_log()
    with XeroClient(xero_connection) as client:
        for _ in range(20):
            client.get("Organisation")
    assert api_statuses(xero_sandbox) == [200] * 20


def test_a_429_holds_back_every_client_of_the_organisation_for_the_wait_it_asked(
    xero_connection, xero_sandbox
):
    xero_sandbox.inject_fault("throttle", problem="minute")
    with XeroClient(xero_connection) as client, pytest.raises(ThrottledError) as throttled:
        client.get("Organisation")
    assert throttled.value.retry_after == 60

    # Another worker's client asks nothing of Xero until then.
    xero_sandbox.clear_request_log()
    with XeroClient(xero_connection) as other, pytest.raises(BudgetExhausted) as held:
        other.get("Organisation")
    assert 55 < held.value.retry_after <= 60
    assert api_statuses(xero_sandbox) == []


def test_no_call_left_this_minute_by_xero_s_count_holds_every_worker_back(
    xero_connection, xero_sandbox, settings
):
    # Another app spent the organisation's minute: Xero says none is left, before any 429.
    xero_sandbox.set_limits(per_minute=3, minute_seconds=30)
    with_limits(settings, RATE_WINDOW_SECONDS=30)
    xero_sandbox.clear_request_log()
    with XeroClient(xero_connection) as client, pytest.raises(BudgetExhausted) as held:
        for _ in range(4):
            client.get("Organisation")
    # The window may have started with the fixture's call: at most 3 went, none throttled.
    assert api_statuses(xero_sandbox) in ([200] * 2, [200] * 3)
    assert 25 < held.value.retry_after <= 30

    # Another worker's client asks nothing of Xero until then.
    xero_sandbox.clear_request_log()
    with XeroClient(xero_connection) as other, pytest.raises(BudgetExhausted):
        other.get("Organisation")
    assert api_statuses(xero_sandbox) == []


def test_xero_s_minute_spent_holds_every_worker_back_until_its_window_closes_not_longer(
    xero_connection, xero_sandbox, settings
):
    # Xero counts in a fixed window that resets at a time it does not say: from the answer
    # that showed a new window, the pause ends a window later, not a window after the call
    # that spent it (which wasted up to a whole window when our own calls spent it).
    xero_sandbox.set_limits(per_minute=3, minute_seconds=2)
    time.sleep(2.1)  # Xero's window forgets the fixture's call
    with_limits(settings, RATE_WINDOW_SECONDS=2)
    with XeroClient(xero_connection) as client:
        client.get("Organisation")  # opens Xero's window
        opened = timezone.now()
        time.sleep(1.0)
        client.get("Organisation")
        client.get("Organisation")  # Xero says none is left
    paused_until = RateBudget.objects.get(connection=xero_connection).paused_until
    assert opened - timedelta(seconds=0.5) < paused_until - timedelta(seconds=2) <= opened

    xero_sandbox.clear_request_log()
    with XeroClient(xero_connection) as client:
        client.get("Organisation")  # waits for the window to close, and Xero takes it
    assert timezone.now() >= paused_until
    assert api_statuses(xero_sandbox) == [200]


def test_another_app_spending_xero_s_next_window_while_our_count_is_full_gets_no_429(
    xero_connection, xero_sandbox, settings
):
    # Our count rolls, Xero's window is fixed: our count can be full of calls Xero counted in
    # its last window while another app spends its new one. Xero's own count holds us back.
    xero_sandbox.set_limits(per_minute=4, minute_seconds=3)
    with_limits(settings, REQUESTS_PER_MINUTE=5, RATE_WINDOW_SECONDS=3)
    settings.ERP_RATE_LIMIT_MAX_WAIT_SECONDS = 10
    time.sleep(3.2)  # both counts forget the fixture's call
    with XeroClient(xero_connection) as client:
        client.get("Organisation")
        time.sleep(2.5)
        client.get("Organisation")
        client.get("Organisation")
        time.sleep(0.8)  # Xero's next window
        another_app(xero_sandbox, xero_connection, calls=2)
        xero_sandbox.clear_request_log()
        client.get("Organisation")
        client.get("Organisation")  # Xero says none is left; ours counts 5 of 5
        client.get("Organisation")  # waits for Xero's window to close
    assert api_statuses(xero_sandbox) == [200] * 3


def another_app(xero_sandbox, connection, *, calls: int) -> None:
    """Calls to the organisation that our limits never see."""
    for _ in range(calls):
        response = requests.get(
            f"{xero_sandbox.base_url}/api.xro/2.0/Organisation",
            headers={
                "xero-tenant-id": connection.company_id,
                "Authorization": f"Bearer {fresh_record(connection).access_token}",
                "Accept": "application/json",
            },
            timeout=10,
        )
        assert response.status_code == 200


def test_no_call_left_today_by_xero_s_count_holds_every_worker_back_an_hour(
    xero_connection, xero_sandbox
):
    # The fixture's call counted toward the sandbox's day: one more spends it.
    xero_sandbox.set_limits(per_day=2)
    with XeroClient(xero_connection) as client:
        client.get("Organisation")
    with XeroClient(xero_connection) as other, pytest.raises(BudgetExhausted) as held:
        other.get("Organisation")
    assert 3500 < held.value.retry_after <= 3600
    assert "Xero" in held.value.message


def test_our_daily_budget_is_never_exceeded_and_says_when_work_resumes(
    xero_connection, xero_sandbox, settings
):
    with_limits(settings, REQUESTS_PER_DAY=3)
    xero_sandbox.clear_request_log()
    # The fixture's own call (making the tracking category) counted toward today.
    with XeroClient(xero_connection) as client:
        client.get("Organisation")
        client.get("Organisation")
        with pytest.raises(BudgetExhausted) as held:
            client.get("Organisation")
    assert api_statuses(xero_sandbox) == [200, 200]
    assert 23 * 3600 < held.value.retry_after <= 24 * 3600
    assert "carries on in" in held.value.message


@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_stay_under_xero_s_five_at_once(xero_connection, xero_sandbox, settings):
    xero_sandbox.set_limits(concurrent=2)
    xero_sandbox.inject_fault("latency", count=6, seconds=0.15)
    with_limits(settings, MAX_CONCURRENT=2)
    xero_sandbox.clear_request_log()
    failures = []

    def call():
        try:
            with XeroClient(xero_connection) as client:
                client.get("Organisation")
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
    assert api_statuses(xero_sandbox) == [200] * 6


def test_a_throttled_export_is_rescheduled_without_counting_a_try(
    xero_sandbox, xero_connection, settings
):
    settings.EXPORT_MAX_TRIES = 1
    pm, approver = people()
    books = scene.open_books(xero_sandbox, xero_connection, pm=pm, approver=approver)
    invoice = new_invoice(books)
    xero_sandbox.inject_fault("throttle", problem="minute", count=3)
    before = timezone.now()
    record_send(record=invoice, actor=pm)
    record_accept(record=fresh_record(invoice), actor=approver)

    (task,) = export_tasks()
    assert export_run.call(*task.args_kwargs["args"]) == "rate limited: try rescheduled"

    invoice = fresh_record(invoice)
    # The only try the settings allow is still to come, when Xero said (Retry-After: 60).
    assert invoice.sync_status == SyncStatus.EXPORTING and invoice.export_try == 1
    retry = export_tasks().last()
    assert retry.run_after >= before + timedelta(seconds=60)
    assert RateBudget.objects.get(connection=xero_connection).paused_until > timezone.now()
    assert [b for b in books.records("Invoice") if b["Status"] != "DELETED"] == []


def export_tasks():
    return DBTaskResult.objects.filter(task_path="approvals.tasks.export_run").order_by(
        "enqueued_at"
    )


def test_the_dashboard_says_xero_s_daily_limit_is_reached_and_when_work_resumes(
    xero_connection, settings, client
):
    client.force_login(make_user(role="administrator"))
    assert "daily limit" not in client.get(DASHBOARD).content.decode()
    with_limits(settings, REQUESTS_PER_DAY=2)
    with XeroClient(xero_connection) as xero:
        xero.get("Organisation")  # the fixture's call and this one spend the day
        with pytest.raises(BudgetExhausted):
            xero.get("Organisation")

    response = client.get(DASHBOARD)
    page = response.content.decode()

    assert "Xero's daily limit of requests is reached" in page
    assert "resume at" in page and "(in 23\xa0hours" in page
    assert "Nothing fails meanwhile." in page


def test_the_dashboard_says_it_too_when_xero_said_the_day_is_spent(
    xero_connection, xero_sandbox, client
):
    client.force_login(make_user(role="administrator"))
    # Another app spent most of the organisation's day: Xero's count says none is left.
    xero_sandbox.set_limits(per_day=2)
    with XeroClient(xero_connection) as xero:
        xero.get("Organisation")
    assert "Xero's daily limit of requests is reached" in client.get(DASHBOARD).content.decode()


def test_a_minute_s_throttle_is_not_called_the_day_s_on_the_dashboard(
    xero_connection, xero_sandbox, client
):
    client.force_login(make_user(role="administrator"))
    xero_sandbox.inject_fault("throttle", problem="minute")
    with XeroClient(xero_connection) as xero, pytest.raises(ThrottledError):
        xero.get("Organisation")
    assert RateBudget.objects.get(connection=xero_connection).paused_until > timezone.now()
    assert "daily limit" not in client.get(DASHBOARD).content.decode()
