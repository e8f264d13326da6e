"""The Web Connector's calls, one function each, as its Programmer's Guide lays them out.

A run: authenticate (a ticket, or 'nvu' / 'none' / 'busy'), then sendRequestXML and
receiveResponseXML in turns, one message of queued requests per turn, each answer returning
the percent done (100 ends the run, a negative number makes the Web Connector ask
getLastError), then closeConnection. connectionError says QuickBooks could not be opened.
Every call carries the ticket, and the run's state is kept here, in the database: SOAP keeps
none.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import throttle
from integrations.quickbooks_desktop import cost_codes, exports, outbox, qbxml
from integrations.quickbooks_desktop.models import (
    DesktopConnection,
    Exchange,
    RequestState,
    SessionState,
    WebConnectorSession,
)
from integrations.quickbooks_desktop.xml import UnreadableXML

# What ends a run whose waiting requests all settled before it collected them: the Web
# Connector can only be told so through getLastError, but the run did not fail.
NOTHING_LEFT = "Nothing is waiting for QuickBooks any more; the run can end."

SERVER_VERSION = "ERP approvals Web Connector service 1.0"
NOT_A_USER = "nvu"
NOTHING_TO_DO = "none"
BUSY = "busy"
USE_OPEN_COMPANY = ""
PAUSE = "NoOp"
DONE = 100
FAILED = -1
# QuickBooks' own "try again later" codes: an internal error, a list being edited or locked.
TRANSIENT_CODES = {1000, 3170, 3175, 3176, 3180}
NO_MATCH = 1
# Requests handed over in one message: several exports per run of the Web Connector, each
# answered on its own (a read in pages always travels alone).
REQUESTS_PER_MESSAGE = 10
UNKNOWN_RUN = (
    "This Web Connector run is over or unknown to the service. Run the Web Connector again."
)


@cache
def _stand_in_hash() -> str:
    """A real hash of no one's password: checking it takes as long as checking a user's, so a
    wrong user name is not told apart from a wrong password by the time the answer takes."""
    return make_password(uuid.uuid4().hex)


def busy_seconds() -> int:
    """A run that called within this many seconds is still running: a second log-in is busy."""
    return getattr(settings, "QBWC_BUSY_SECONDS", 120)


def server_version() -> str:
    return SERVER_VERSION


def client_version(version: str) -> str:
    """Any Web Connector version is accepted: "" lets the update go on."""
    return ""


def authenticate(username: str, password: str, *, address: str) -> list[str]:
    """A ticket for a run, or 'nvu'. Failures slow down that user name from that address as the
    site's sign-in does, so the Web Connector's password cannot be guessed by trying; a caller
    made to wait is told 'nvu' like any refusal."""
    signed_in: list[DesktopConnection] = []
    try:
        throttle.attempt(
            username=f"web-connector:{username.strip()}",
            address=address,
            authenticate=lambda: signed_in.append(_check_password(username, password)),
        )
    except (ValidationError, throttle.TooManyFailures):
        return ["", NOT_A_USER]
    return _open_run(signed_in[0])


def _check_password(username: str, password: str) -> DesktopConnection:
    desktop = (
        DesktopConnection.objects.select_related("connection")
        .filter(username=username.strip(), connection__is_active=True)
        .first()
    )
    if desktop is None:
        check_password(password, _stand_in_hash())
        raise ValidationError("Unknown Web Connector user.")
    if not check_password(password, desktop.password_hash):
        raise ValidationError("Wrong Web Connector password.")
    return desktop


def _open_run(desktop: DesktopConnection) -> list[str]:
    with transaction.atomic():
        desktop = DesktopConnection.objects.select_for_update().get(pk=desktop.pk)
        now = timezone.now()
        running = desktop.sessions.filter(state=SessionState.OPEN)
        if running.filter(last_call_at__gte=now - timedelta(seconds=busy_seconds())).exists():
            return ["", BUSY]
        for stale in running:
            _end(stale, SessionState.INTERRUPTED)
        desktop.last_contact_at = now
        desktop.save(update_fields=["last_contact_at"])
        outbox.reads_queue(desktop, only_due=True)
        waiting = outbox.waiting_count(desktop)
        session = WebConnectorSession.objects.create(
            desktop=desktop,
            ticket=str(uuid.uuid4()),
            state=SessionState.OPEN if waiting else SessionState.CLOSED,
            ended_at=None if waiting else now,
        )
    return [session.ticket, USE_OPEN_COMPANY if waiting else NOTHING_TO_DO]


def disconnect(desktop: DesktopConnection) -> None:
    """Refuse the Web Connector from now on ('nvu'); a run under way is over."""
    with transaction.atomic():
        connection = desktop.connection
        connection.is_active = False
        connection.disconnected_at = timezone.now()
        connection.save(update_fields=["is_active", "disconnected_at"])
        for session in desktop.sessions.select_for_update().filter(state=SessionState.OPEN):
            _end(session, SessionState.INTERRUPTED)


def reconnect(desktop: DesktopConnection) -> bool:
    """Let the Web Connector in again; False while another company of this kind is connected."""
    connection = desktop.connection
    others = type(connection).objects.filter(kind=connection.kind, is_active=True)
    if others.exclude(pk=connection.pk).exists():
        return False
    connection.is_active = True
    connection.disconnected_at = None
    connection.save(update_fields=["is_active", "disconnected_at"])
    return True


def _open_session(ticket: str) -> WebConnectorSession | None:
    """The run of `ticket`, locked for this call, while it is running."""
    session = (
        WebConnectorSession.objects.select_for_update()
        .select_related("desktop", "desktop__connection")
        .filter(ticket=ticket.strip(), state=SessionState.OPEN)
        .first()
    )
    if session is not None:
        session.last_call_at = timezone.now()
        session.save(update_fields=["last_call_at"])
    return session


def _end(session: WebConnectorSession, state: str, error: str = "") -> None:
    outbox.release_pages(session)
    session.state = state
    session.ended_at = timezone.now()
    if error:
        session.last_error = error
    session.save(update_fields=["state", "ended_at", "last_error"])


def _version_problem(best: tuple[int, int] | None) -> str:
    said = f"reads qbXML up to {best[0]}.{best[1]}" if best else "did not say which qbXML it reads"
    return (
        f"QuickBooks on the Web Connector's computer {said}; this service needs qbXML "
        f"{qbxml.VERSION_TEXT} (QuickBooks 2013 or later). Update QuickBooks Desktop, then run "
        "the Web Connector again."
    )


def _agree_version(session, host_response: str, company_file: str, major, minor) -> str:
    """Agree on qbXML 12.0 on the run's first request; the sentence when QuickBooks is too old."""
    desktop = session.desktop
    versions = []
    if host_response.strip():
        try:
            versions = qbxml.supported_versions(host_response)
        except UnreadableXML:
            versions = []
    if major is not None:
        versions.append((major, minor or 0))
    best = max(versions) if versions else None
    desktop.supported_versions = ", ".join(f"{a}.{b}" for a, b in sorted(set(versions)))[:500]
    if company_file.strip():
        desktop.company_file = company_file.strip()[:500]
    problem = "" if best is not None and best >= qbxml.VERSION else _version_problem(best)
    desktop.version_problem = problem
    desktop.save(update_fields=["supported_versions", "company_file", "version_problem"])
    if not problem:
        session.qbxml_version = qbxml.VERSION_TEXT
        session.save(update_fields=["qbxml_version"])
    return problem


def send_request_xml(
    ticket: str,
    host_response: str,
    company_file: str,
    country: str,
    major: int | None,
    minor: int | None,
) -> str:
    """The next queued requests as one qbXML document, or "" (the Web Connector then asks
    getLastError: an error, or a pause)."""
    with transaction.atomic():
        session = _open_session(ticket)
        if session is None:
            return ""
        if session.last_error:
            return ""
        if not session.qbxml_version:
            problem = _agree_version(session, host_response, company_file, major, minor)
            if problem:
                session.last_error = problem
                session.save(update_fields=["last_error"])
                return ""
        try:
            request = outbox.next_request(session)
        except outbox.QueueLocked:
            session.wait_instead = True
            session.save(update_fields=["wait_instead"])
            return ""
        if request is None:
            session.last_error = NOTHING_LEFT
            session.save(update_fields=["last_error"])
            return ""
        parts = []
        for queued in [request, *outbox.following(request, most=REQUESTS_PER_MESSAGE - 1)]:
            body = exports.body_for(queued) if queued.is_export else queued.body
            if not body:
                continue
            iterator, iterator_id = outbox.handed_over(queued, session)
            exchange = Exchange.objects.create(session=session, request=queued, request_xml="")
            parts.append(
                (exchange, qbxml.Part(body, exchange.qbxml_request_id, iterator, iterator_id))
            )
        if not parts:
            # The exports settled without an exchange (their record gone, or a document that
            # would not add up): the Web Connector pauses, then asks for the next requests.
            session.wait_instead = True
            session.save(update_fields=["wait_instead"])
            return ""
        request_xml = qbxml.message_of([part for _, part in parts])
        Exchange.objects.filter(pk__in=[exchange.pk for exchange, _ in parts]).update(
            request_xml=request_xml
        )
        return request_xml


def _percent(session: WebConnectorSession) -> int:
    finished = (
        session.exchanges.filter(request__state__in=(RequestState.DONE, RequestState.FAILED))
        .values("request")
        .distinct()
        .count()
    )
    remaining = outbox.waiting_count(session.desktop)
    if remaining == 0:
        return DONE
    return min(DONE - 1, (DONE * finished) // (finished + remaining))


def _stop(session: WebConnectorSession, sentence: str) -> int:
    session.last_error = sentence
    session.save(update_fields=["last_error"])
    return FAILED


def receive_response_xml(ticket: str, response: str, hresult: str, message: str) -> int:
    """Settle the requests of the message last handed over with QuickBooks' answers: the
    percent done, or -1. With stopOnError QuickBooks stops at the first error: the requests
    after it were not carried out and go back to the queue as they were. Without a readable
    answer nobody knows how far QuickBooks got: every request goes back to be looked up."""
    with transaction.atomic():
        session = _open_session(ticket)
        if session is None:
            return FAILED
        unanswered = session.exchanges.select_related("request", "request__desktop").filter(
            answered_at__isnull=True
        )
        last = unanswered.order_by("-pk").first()
        if last is None:
            return _stop(session, "An answer came back for no request: the run was stopped.")
        outcome = DONE
        stopped_at_error = False
        for exchange in unanswered.filter(request_xml=last.request_xml).order_by("pk"):
            exchange.answered_at = timezone.now()
            exchange.response_xml = response or ""
            exchange.hresult = (hresult or "").strip()[:20]
            exchange.message = message or ""
            if outcome == FAILED:
                _unknown_outcome(exchange)
            elif stopped_at_error:
                _not_carried_out(exchange)
            else:
                outcome = _settle(session, exchange, exchange.request)
                stopped_at_error = exchange.status_severity == qbxml.ERROR
            exchange.save()
        return outcome if outcome == FAILED else _percent(session)


def _unknown_outcome(exchange: Exchange) -> None:
    """A request of a message QuickBooks gave no readable answer to: it may have been carried
    out. Back in the queue to be built again, so an Add is looked up before it is ever sent
    again (never the very request it was handed)."""
    exchange.status_message = "No answer: QuickBooks may have carried it out."
    if exchange.request is not None:
        outbox.put_back(exchange.request)


def _not_carried_out(exchange: Exchange) -> None:
    """A request QuickBooks did not carry out (it answered one before it with an error and
    stopped): back in the queue with the very request it was handed, to be sent again."""
    exchange.status_message = "Not carried out: QuickBooks stopped before this request."
    request = exchange.request
    if request is None:
        return
    if request.is_export and request.state == RequestState.QUEUED:
        request.body = qbxml.request_in(exchange.request_xml, exchange.qbxml_request_id)
        request.save(update_fields=["body"])
    outbox.put_back(request)


def _settle(session, exchange: Exchange, request) -> int:
    purpose = request.purpose.lower() if request else "a request"
    if exchange.hresult or not exchange.response_xml.strip():
        if request is not None:
            outbox.put_back(request)
        said = exchange.message.strip() or "no answer"
        code = f" ({exchange.hresult})" if exchange.hresult else ""
        return _stop(
            session,
            f"QuickBooks could not process the request to {purpose}: {said}{code}. "
            "It will be sent again at the next run.",
        )
    try:
        answer = qbxml.answer_to(exchange.response_xml, exchange.qbxml_request_id)
    except UnreadableXML as error:
        if request is not None:
            outbox.put_back(request)
        return _stop(
            session,
            f"QuickBooks' answer to the request to {purpose} could not be read: {error} "
            "It will be sent again at the next run.",
        )
    exchange.status_code = answer.status_code
    exchange.status_severity = answer.severity[:10]
    exchange.status_message = answer.status_message
    if request is None:
        return _percent(session)
    if answer.failed and answer.status_code in TRANSIENT_CODES:
        outbox.put_back(request)
        return _stop(
            session,
            f"QuickBooks was busy and did not {purpose}: {answer.status_message} "
            f"(status {answer.status_code}). It will be asked again at the next run.",
        )
    if request.is_export:
        exports.settle(request, answer, exchange.request_xml)
        return _percent(session)
    if request.operation == cost_codes.OPERATION:
        cost_codes.settle(request, answer)
        return _percent(session)
    if answer.failed and answer.status_code != NO_MATCH:
        outbox.failed(
            request,
            f"QuickBooks refused to {purpose}: {answer.status_message} "
            f"(status {answer.status_code}).",
        )
        return _percent(session)
    outbox.answered(request, answer)
    return _percent(session)


def connection_error(ticket: str, hresult: str, message: str) -> str:
    """QuickBooks or its company file could not be opened: the run ends ("done")."""
    with transaction.atomic():
        session = _open_session(ticket)
        if session is not None:
            said = (message or "").strip() or "no reason given"
            code = f" ({hresult.strip()})" if (hresult or "").strip() else ""
            _end(
                session,
                SessionState.FAILED,
                f"The Web Connector could not open QuickBooks: {said}{code}. Open QuickBooks "
                "with the company file, then run the Web Connector again.",
            )
    return "done"


def get_last_error(ticket: str) -> str:
    with transaction.atomic():
        session = (
            WebConnectorSession.objects.select_for_update().filter(ticket=ticket.strip()).first()
        )
        if session is None:
            return UNKNOWN_RUN
        if session.wait_instead:
            session.wait_instead = False
            session.save(update_fields=["wait_instead"])
            return PAUSE
        return session.last_error or UNKNOWN_RUN


def close_connection(ticket: str) -> str:
    """End the run; what the Web Connector shows in its status column."""
    with transaction.atomic():
        session = _open_session(ticket)
        if session is None:
            return UNKNOWN_RUN
        answered = session.exchanges.filter(answered_at__isnull=False).count()
        if session.last_error and session.last_error != NOTHING_LEFT:
            _end(session, SessionState.FAILED)
            return f"Stopped: {session.last_error}"
        _end(session, SessionState.CLOSED)
        return f"Done: QuickBooks answered {answered} request(s)."
