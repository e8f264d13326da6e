"""What the Web Connector did lately and what waits for it, in the approvers' words: after the
status of a record waiting for QuickBooks Desktop, on the dashboard and in the daily digest.

The Web Connector runs on the accountant's computer, so nothing here can make it run: people
are told when it last ran, and once it has been silent longer than QBD_SILENT_AFTER_MINUTES,
that requests pile up and where to look.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.timesince import timesince

from integrations.base import AgentActivity, AgentRun
from integrations.quickbooks_desktop.models import (
    DesktopConnection,
    RequestState,
    SessionState,
    WebConnectorSession,
)
from integrations.quickbooks_desktop.outbox import WAITING

AGENT = "The Web Connector"
RUNS_SHOWN = 5
NO_BREAK_SPACE = "\xa0"
FAILURES_SHOWN = 5
# An exchange failed when the Web Connector reported an error instead of an answer, or when
# QuickBooks answered with an error status ("no match" is Info: an empty answer, not an error).
FAILED_EXCHANGE = Q(exchanges__hresult__gt="") | Q(exchanges__status_severity__iexact="Error")


def silent_after() -> timedelta:
    return timedelta(minutes=settings.QBD_SILENT_AFTER_MINUTES)


def _ago(moment: datetime) -> str:
    elapsed = timezone.now() - moment
    if elapsed < timedelta(minutes=1):
        return "less than a minute ago"
    # timesince joins number and unit with a no-break space; emails and sentences read plain.
    return f"{timesince(moment, timezone.now(), depth=1).replace(NO_BREAK_SPACE, ' ')} ago"


def last_run(desktop: DesktopConnection) -> str:
    """ "the Web Connector last ran 2 hours ago", or that it has not run yet."""
    if desktop.last_contact_at is None:
        return "the Web Connector has not run yet"
    return f"the Web Connector last ran {_ago(desktop.last_contact_at)}"


def silence(desktop: DesktopConnection) -> str:
    """The approvers' warning once the Web Connector has been silent too long; "" before."""
    since = desktop.last_contact_at or desktop.connection.connected_at
    if timezone.now() - since <= silent_after():
        return ""
    waiting = desktop.requests.filter(state__in=WAITING).count()
    if desktop.last_contact_at is None:
        what = (
            f"QuickBooks Desktop ({desktop.connection.company_name or desktop.username}) was "
            f"connected {_ago(since)} and its Web Connector has not run since"
        )
    else:
        what = (
            f"The Web Connector of QuickBooks Desktop "
            f"({desktop.connection.company_name or desktop.username}) last ran {_ago(since)}"
        )
    return (
        f"{what}: nothing reaches QuickBooks until it runs ({waiting} request(s) waiting). On "
        "the computer where QuickBooks runs, check that the Web Connector is open with Auto-Run "
        "ticked and QuickBooks is open with the company file, or press Update Selected."
    )


def hand_off_note(desktop: DesktopConnection) -> str:
    """What a record waiting for QuickBooks Desktop adds to its status."""
    note = last_run(desktop)
    if silence(desktop):
        note += ", longer than expected: nothing reaches QuickBooks until it runs again"
    return note


def _outcome(session: WebConnectorSession) -> str:
    if session.state == SessionState.FAILED and session.last_error:
        return f"{session.get_state_display()}: {session.last_error}"
    return session.get_state_display()


def runs(desktop: DesktopConnection) -> tuple[AgentRun, ...]:
    """The last runs, newest first: requests handed over, answered and failed in each."""
    sessions = desktop.sessions.annotate(
        sent=Count("exchanges"),
        answered=Count("exchanges", filter=Q(exchanges__answered_at__isnull=False)),
        failed=Count(
            "exchanges",
            filter=Q(exchanges__answered_at__isnull=False) & FAILED_EXCHANGE,
        ),
    ).order_by("-started_at", "-pk")[:RUNS_SHOWN]
    return tuple(
        AgentRun(
            started_at=session.started_at,
            sent=session.sent,
            answered=session.answered,
            failed=session.failed,
            outcome=_outcome(session),
        )
        for session in sessions
    )


def failures(desktop: DesktopConnection) -> tuple[str, ...]:
    """The latest failed requests, each with QuickBooks' status code and message."""
    failed = desktop.requests.filter(state=RequestState.FAILED).order_by("-finished_at", "-pk")
    return tuple(
        f"{request.purpose[:1].upper()}{request.purpose[1:]}: {request.problem}"
        for request in failed[:FAILURES_SHOWN]
    )


def activity(desktop: DesktopConnection) -> AgentActivity:
    waiting = desktop.requests.filter(state__in=WAITING).aggregate(
        count=Count("pk"), oldest=Min("queued_at")
    )
    return AgentActivity(
        agent=AGENT,
        last_run=last_run(desktop),
        silence=silence(desktop),
        runs=runs(desktop),
        waiting=waiting["count"],
        oldest_waiting_at=waiting["oldest"],
        failures=failures(desktop),
    )
