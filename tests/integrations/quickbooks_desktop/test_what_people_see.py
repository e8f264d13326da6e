"""People always know what waits for QuickBooks Desktop, over real sockets: a handed-off record
says when the Web Connector last ran (its page, the queues, the project manager's pages), the
dashboard shows the Web Connector's last runs, what waits and what QuickBooks refused, approvers
are told once it has been silent too long, and an approver can cancel a handed-off export the
Web Connector has not collected — never one it has."""

import threading
from datetime import timedelta

import pytest
from django import db
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from approvals.models import AuditEvent, Company
from approvals.services import (
    PreconditionsNotMet,
    TransitionNotAllowed,
    record_accept,
    record_cancel_hand_off,
    record_retry,
    record_send,
)
from approvals.states import Action, SyncStatus
from integrations.models import ERPConnection
from integrations.quickbooks_desktop import exports, service
from integrations.quickbooks_desktop.models import (
    DesktopConnection,
    QueuedRequest,
    RequestState,
    SessionState,
    WebConnectorSession,
)
from tests.approvals.admin.helpers import (
    change_url,
    changelist_url,
    decision_url,
    messages_of,
    run_queued_exports,
)
from tests.integrations.quickbooks_desktop.conftest import PASSWORD, USERNAME, make_desktop
from tests.records import new_company, people

pytestmark = pytest.mark.django_db(transaction=True)

DASHBOARD = "/admin/approvals/dashboard/"


@pytest.fixture
def desktop(web_connector):
    desktop = make_desktop(username=USERNAME)
    assert web_connector.run()["outcome"] == "ok"  # its lists read once
    return desktop


@pytest.fixture
def team():
    pm, approver = people()
    return {"pm": pm, "approver": approver}


def handed_off(team, record):
    record_send(record=record, actor=team["pm"])
    record_accept(record=record, actor=team["approver"])
    assert "handed off" in run_queued_exports()  # after any look-up a failed export queued
    record.refresh_from_db()
    assert record.sync_status == SyncStatus.AWAITING_ERP
    return record


def web_connector_last_ran(desktop, ago: timedelta) -> None:
    DesktopConnection.objects.filter(pk=desktop.pk).update(last_contact_at=timezone.now() - ago)


def events_of(record, action) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(type(record)),
            object_id=record.pk,
            action=action,
        )
    )


# --- a record waiting for QuickBooks Desktop ---------------------------------------------------


def test_a_handed_off_record_says_when_the_web_connector_last_ran(desktop, team, client):
    company = handed_off(team, new_company("Hillcrest Glazing"))
    web_connector_last_ran(desktop, timedelta(hours=2, minutes=5))

    assert company.sync_status_sentence == (
        "Waiting for QuickBooks Desktop — the Web Connector last ran 2 hours ago"
    )
    client.force_login(team["approver"])
    queue = client.get(changelist_url(Company, queue="awaiting")).content.decode()
    page = client.get(change_url(company)).content.decode()
    client.force_login(team["pm"])
    pm_page = client.get(f"/companies/{company.pk}/").content.decode()
    for html in (queue, page):
        assert "Waiting for QuickBooks Desktop</span>" in html
        assert "— the Web Connector last ran 2 hours ago" in html
    assert "Waiting for QuickBooks Desktop</span>" in pm_page
    assert "— the Web Connector last ran 2 hours ago</span>" in pm_page
    assert (
        "it answers when QuickBooks Desktop next collects requests. The Web Connector last ran "
        "2 hours ago; an accounting approver can cancel it until then."
    ) in pm_page


def test_before_the_web_connector_ever_ran_the_record_says_so(web_connector, team):
    make_desktop(username=USERNAME)
    company = handed_off(team, new_company("Hillcrest Glazing"))

    assert company.waiting_note == "the Web Connector has not run yet"


def test_a_web_connector_silent_too_long_is_named_on_the_record(desktop, team, settings):
    settings.QBD_SILENT_AFTER_MINUTES = 60
    company = handed_off(team, new_company("Hillcrest Glazing"))
    web_connector_last_ran(desktop, timedelta(days=2))

    assert company.waiting_note == (
        "the Web Connector last ran 2 days ago, longer than expected: nothing reaches "
        "QuickBooks until it runs again"
    )


# --- the dashboard and the digest ------------------------------------------------------------


def test_the_dashboard_shows_the_last_runs_what_waits_and_what_quickbooks_refused(
    desktop, team, web_connector, client
):
    web_connector.seed("Customer", Name="Hillcrest Glazing")  # the name space is shared: 3100
    handed_off(team, new_company("Hillcrest Glazing"))
    assert web_connector.run()["outcome"] == "ok"
    waiting = handed_off(team, new_company("Bolt Electric"))

    client.force_login(team["approver"])
    html = client.get(DASHBOARD).content.decode()

    assert "<h2>The Web Connector</h2>" in html
    assert "The Web Connector last ran less than a minute ago." in html
    assert "<strong>1</strong> request waits for it, the oldest since" in html
    runs = html.split('id="erp-agent-runs"')[1].split("</table>")[0]
    # Newest first: the run that was refused the vendor's name and looked up whose it is (no
    # vendor: the look-up answers, the name stays refused), then the run that read the lists.
    assert "<td>2</td><td>2</td><td>1</td><td>Finished</td>" in runs
    assert "<td>4</td><td>4</td><td>0</td><td>Finished</td>" in runs
    failures = html.split('id="erp-agent-failures"')[1].split("</ul>")[0]
    assert "Add vendor &#x27;Hillcrest Glazing&#x27;:" in failures
    assert "QuickBooks status 3100" in failures
    assert "already in use" in failures
    assert waiting.sync_status == SyncStatus.AWAITING_ERP
    assert 'id="erp-agent-silent"' not in html


def test_approvers_are_told_when_the_web_connector_is_silent_too_long(
    desktop, team, client, settings
):
    settings.QBD_SILENT_AFTER_MINUTES = 120
    handed_off(team, new_company("Hillcrest Glazing"))
    web_connector_last_ran(desktop, timedelta(hours=3))

    client.force_login(team["approver"])
    html = client.get(DASHBOARD).content.decode()
    call_command("erp_digest")

    silent = html.split('id="erp-agent-silent"')[1].split("</p>")[0]
    assert "The Web Connector of QuickBooks Desktop (Riverside Builders) last ran 3 hours ago" in (
        silent
    )
    assert "(1 request(s) waiting)" in silent
    assert "Auto-Run" in silent
    (email,) = [m for m in mail.outbox if m.to == [team["approver"].email]]
    assert "last ran 3 hours ago: nothing reaches QuickBooks until it runs" in email.body


def test_a_web_connector_that_never_ran_since_the_connection_is_named(
    web_connector, team, client, settings
):
    settings.QBD_SILENT_AFTER_MINUTES = 60
    desktop = make_desktop(username=USERNAME)
    ERPConnection.objects.filter(pk=desktop.connection_id).update(
        connected_at=timezone.now() - timedelta(days=2)
    )

    client.force_login(team["approver"])
    html = client.get(DASHBOARD).content.decode()

    silent = html.split('id="erp-agent-silent"')[1].split("</p>")[0]
    assert (
        "QuickBooks Desktop (Riverside Builders) was connected 2 days ago and its Web Connector "
        "has not run since: nothing reaches QuickBooks until it runs (4 request(s) waiting)."
    ) in silent
    assert "The Web Connector has not run yet." in html


def test_no_warning_while_the_web_connector_runs_within_the_setting(desktop, team, settings):
    settings.QBD_SILENT_AFTER_MINUTES = 240
    web_connector_last_ran(desktop, timedelta(hours=3))

    call_command("erp_digest")

    assert mail.outbox == []  # nothing waits for a decision, and the Web Connector runs


# --- cancelling a hand-off ---------------------------------------------------------------------


def test_an_approver_cancels_a_request_the_web_connector_has_not_collected(
    desktop, team, web_connector, client
):
    company = handed_off(team, new_company("Hillcrest Glazing"))
    client.force_login(team["approver"])

    response = client.post(
        decision_url(Company, "cancel"), {"ids": str(company.pk), "confirm": "on"}, follow=True
    )

    company.refresh_from_db()
    assert company.sync_status == SyncStatus.EXPORT_FAILED
    assert company.handed_off_to is None
    assert company.nothing_in_erp_for_attempt == company.export_attempt
    assert company.last_export_error.startswith("Cancelled by Alex")
    (event,) = events_of(company, Action.CANCEL_HAND_OFF)
    assert (event.from_status, event.to_status) == ("awaiting_erp", "export_failed")
    assert "Company 'Hillcrest Glazing': cancelled: nothing was sent." in " ".join(
        messages_of(response)
    )
    request = QueuedRequest.objects.get(record_id=company.pk)
    assert request.state == RequestState.CANCELLED
    assert request.problem.startswith("Cancelled by Alex")

    assert web_connector.run()["outcome"] == "none"  # never sent
    assert [v for v in web_connector.records("Vendor") if v["Name"] == "Hillcrest Glazing"] == []

    record_retry(record=company, actor=team["approver"])  # a new attempt, handed off anew
    assert run_queued_exports() == ["handed off"]
    assert web_connector.run()["outcome"] == "ok"
    company.refresh_from_db()
    assert company.sync_status == SyncStatus.SYNCED
    assert (
        len([v for v in web_connector.records("Vendor") if v["Name"] == "Hillcrest Glazing"]) == 1
    )


def test_a_request_the_web_connector_collected_cannot_be_cancelled(
    desktop, team, web_connector, client
):
    company = handed_off(team, new_company("Hillcrest Glazing"))
    web_connector.fault("lost_answer", after=1)
    assert web_connector.run()["outcome"] == "lost"  # collected; QuickBooks added it; no answer
    client.force_login(team["approver"])

    response = client.post(
        decision_url(Company, "cancel"), {"ids": str(company.pk), "confirm": "on"}, follow=True
    )

    shown = " ".join(messages_of(response))
    assert "The Web Connector has already collected the request of company" in shown
    assert "QuickBooks Desktop may have added it" in shown
    company.refresh_from_db()
    assert company.sync_status == SyncStatus.AWAITING_ERP
    assert events_of(company, Action.CANCEL_HAND_OFF) == []
    assert QueuedRequest.objects.get(record_id=company.pk).state == RequestState.QUEUED


def test_the_cancel_action_is_offered_only_for_an_erp_whose_agent_collects(desktop, team, client):
    handed_off(team, new_company("Hillcrest Glazing"))
    client.force_login(team["approver"])

    listing = client.get(changelist_url(Company, queue="awaiting"))

    offered = {name for name, _ in listing.context["action_form"].fields["action"].choices}
    assert "cancel_selected" in offered


def test_a_record_not_waiting_cannot_be_cancelled(desktop, team):
    company = new_company("Hillcrest Glazing")
    record_send(record=company, actor=team["pm"])

    with pytest.raises(TransitionNotAllowed, match="'Ready to export', so it cannot be cancelled"):
        record_cancel_hand_off(record=company, actor=team["approver"])


# --- the Web Connector collecting at the moment an approver cancels ----------------------------


def _in_thread(work) -> tuple[threading.Thread, dict]:
    """Run `work` on a database connection of its own; its result or error lands in the dict."""
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = work()
        except Exception as error:  # handed back to the test, which asserts on it
            outcome["error"] = error
        finally:
            db.connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_a_cancel_waits_for_a_collection_under_way_then_refuses(desktop, team, monkeypatch):
    company = handed_off(team, new_company("Hillcrest Glazing"))
    ticket, instruction = service.authenticate(USERNAME, PASSWORD, address="127.0.0.1")[:2]
    assert instruction == ""  # the export waits
    collecting, finish = threading.Event(), threading.Event()
    build = exports.body_for

    def slow_body_for(request):
        body = build(request)
        collecting.set()
        finish.wait(10)
        return body

    monkeypatch.setattr(exports, "body_for", slow_body_for)
    web_connector, handed = _in_thread(
        lambda: service.send_request_xml(ticket, "", "", "US", 12, 0)
    )
    assert collecting.wait(10)
    cancel, cancelled = _in_thread(
        lambda: record_cancel_hand_off(record=company, actor=team["approver"])
    )
    cancel.join(0.5)
    assert cancel.is_alive()  # waits for the request the Web Connector holds
    finish.set()
    web_connector.join(10)
    cancel.join(10)

    assert "<VendorAddRq" in handed["result"]
    assert isinstance(cancelled["error"], PreconditionsNotMet)
    assert "already collected the request" in cancelled["error"].message
    company.refresh_from_db()
    assert company.sync_status == SyncStatus.AWAITING_ERP
    assert events_of(company, Action.CANCEL_HAND_OFF) == []


def test_a_web_connector_collecting_during_a_cancel_pauses_and_never_sends_it(desktop, team):
    company = handed_off(team, new_company("Hillcrest Glazing"))
    ticket = service.authenticate(USERNAME, PASSWORD, address="127.0.0.1")[0]

    with transaction.atomic():
        record_cancel_hand_off(record=company, actor=team["approver"])  # the request stays locked
        web_connector, handed = _in_thread(
            lambda: service.send_request_xml(ticket, "", "", "US", 12, 0)
        )
        web_connector.join(10)
        assert handed["result"] == ""
        assert service.get_last_error(ticket) == service.PAUSE  # asks again in a moment

    assert service.send_request_xml(ticket, "", "", "US", 12, 0) == ""
    assert "Nothing is waiting" in service.get_last_error(ticket)
    # Nothing went wrong: the run ends as done, not stopped.
    assert service.close_connection(ticket).startswith("Done: ")
    assert WebConnectorSession.objects.get(ticket=ticket).state == SessionState.CLOSED
    request = QueuedRequest.objects.get(record_id=company.pk)
    assert request.state == RequestState.CANCELLED
    assert not request.exchanges.exists()
    company.refresh_from_db()
    assert company.sync_status == SyncStatus.EXPORT_FAILED
    assert len(events_of(company, Action.CANCEL_HAND_OFF)) == 1
