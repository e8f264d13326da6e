"""The Web Connector: polls the endpoint over SOAP as QBWC does and hands its qbXML to QuickBooks.

One run is one session: serverVersion, clientVersion, authenticate (ticket and what to do:
`none`, `nvu`, `busy`, or the company file to open), connectionError while QuickBooks cannot
open the file, then sendRequestXML / receiveResponseXML until the endpoint reports 100 percent,
getLastError after an empty request or a negative percent (`NoOp` waits and asks again), and
closeConnection. The SOAP client is zeep's, built from the Web Connector's WSDL.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
import zeep
from zeep.exceptions import Error as SoapError
from zeep.transports import Transport

from . import qbxml
from .books import Books
from .company import CompanyFile, Session
from .faults import Faults

# The same WSDL the endpoint serves: one description of the interface for both sides.
WSDL = Path(__file__).parents[1] / "qbwc.wsdl"
BINDING = "{http://developer.intuit.com/}QBWebConnectorSvcSoap"
QB_CLOSED = ("0x80040408", "Could not start QuickBooks.")
FILE_IN_USE = (
    "0x80040410",
    "The QuickBooks company data file is currently open in a mode other than the one "
    "specified by your application.",
)
OTHER_FILE = ("0x80040403", "Could not open the specified QuickBooks company data file.")
# QBWC asks the endpoint what to do after a failed open; it does not loop on it for ever.
CONNECTION_RETRIES = 2
HOST_AND_COMPANY = (
    '<?xml version="1.0"?><?qbxml version="{version}"?><QBXML>'
    '<QBXMLMsgsRq onError="continueOnError"><HostQueryRq/><CompanyQueryRq/></QBXMLMsgsRq></QBXML>'
)


@dataclass
class ConnectorSettings:
    app_url: str
    username: str
    password: str
    every_seconds: float = 30.0
    version: str = "2.3.0.36"
    noop_wait_seconds: float = 5.0
    noop_limit: int = 12  # NoOps in a row before this Web Connector gives the run up
    timeout_seconds: float = 30.0


@dataclass
class SessionLog:
    """What QBWC's log and status column would show for one run."""

    started: float
    outcome: str = ""  # ok, none, nvu, busy, connection_error, error, lost, interrupted, ...
    message: str = ""
    ticket: str = ""
    calls: list = field(default_factory=list)
    exchanges: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "started": self.started,
            "outcome": self.outcome,
            "message": self.message,
            "ticket": self.ticket,
            "calls": self.calls,
            "exchanges": self.exchanges,
        }


class WebConnector:
    def __init__(self, settings: ConnectorSettings, books: Books, company: CompanyFile):
        self.settings = settings
        self.books = books
        self.company = company
        self.faults = Faults()
        self.logs: list[SessionLog] = []
        self._running = threading.Lock()
        self._stopped = threading.Event()
        self._scheduler: threading.Thread | None = None
        # What the endpoint's authenticate asked of Auto-Run: its answer's third string
        # postpones the next run, its fourth is the least interval between runs.
        self.postponed_seconds = 0.0
        self.minimum_interval_seconds = 0.0

    # Scheduling -----------------------------------------------------------------------------

    def start(self) -> None:
        """Run now, then every `every_seconds` (QBWC's Auto-Run), until stop()."""
        self._scheduler = threading.Thread(target=self._schedule, daemon=True)
        self._scheduler.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._scheduler:
            self._scheduler.join(timeout=self.settings.timeout_seconds)

    def _schedule(self) -> None:
        while not self._stopped.is_set():
            if not self.faults.absent():
                self.run()
            wait, self.postponed_seconds = self.next_wait_seconds(), 0.0
            self._stopped.wait(wait)

    def next_wait_seconds(self) -> float:
        """How long Auto-Run waits after a run: a postponement, else the user's interval raised
        to the endpoint's minimum."""
        interval = max(self.settings.every_seconds, self.minimum_interval_seconds)
        return self.postponed_seconds or interval

    # One run --------------------------------------------------------------------------------

    def run(self) -> SessionLog:
        """One session, start to end; runs never overlap, as in QBWC."""
        with self._running:
            log = SessionLog(started=time.time())
            if self.faults.absent():
                log.outcome, log.message = "absent", "The Web Connector's computer is off."
            else:
                try:
                    self._session(log)
                except (SoapError, requests.RequestException) as error:
                    log.outcome = "unreachable"
                    log.message = f"{type(error).__name__}: {error}"
                except (
                    Exception
                ) as error:  # a fault of the sandbox: shown, and the next run goes on
                    log.outcome = "sandbox_error"
                    log.message = f"{type(error).__name__}: {error}"
            self.logs.append(log)
            del self.logs[:-50]
            return log

    def _client(self):
        transport = Transport(timeout=self.settings.timeout_seconds)
        client = zeep.Client(str(WSDL), transport=transport)
        return client.create_service(BINDING, self.settings.app_url)

    def _call(self, log: SessionLog, service, operation: str, **arguments):
        result = getattr(service, operation)(**arguments)
        shown = {k: v for k, v in arguments.items() if k not in ("strPassword", "response")}
        log.calls.append({"operation": operation, "arguments": shown, "result": _plain(result)})
        return result

    def _session(self, log: SessionLog) -> None:
        service = self._client()
        self._call(log, service, "serverVersion")
        advice = self._call(log, service, "clientVersion", strVersion=self.settings.version) or ""
        if advice.startswith(("E:", "O:")):
            log.outcome, log.message = "update_refused", advice[2:]
            return
        password = self.settings.password
        if self.faults.take("wrong_password"):
            password = password + "-mistyped"
        answer = self._call(
            log, service, "authenticate", strUserName=self.settings.username, strPassword=password
        )
        strings = _strings(answer)
        ticket, instruction, postpone, minimum = [*strings, "", "", "", ""][:4]
        log.ticket = ticket or ""
        self.postponed_seconds = _seconds(postpone) or 0.0
        self.minimum_interval_seconds = _seconds(minimum) or self.minimum_interval_seconds
        instruction = instruction or ""
        if instruction in ("nvu", "none", "busy"):
            log.outcome = instruction
            log.message = {
                "nvu": "Authentication failed: not a valid user.",
                "none": "No Data Exchange required.",
                "busy": "The application is busy; the update is postponed.",
            }[instruction]
            return
        if not self._open_company(log, service, ticket, instruction):
            return
        self._exchange(log, service, ticket)

    def _open_company(self, log: SessionLog, service, ticket: str, file_name: str) -> bool:
        for _attempt in range(CONNECTION_RETRIES + 1):
            problem = self._open_problem(file_name)
            if problem is None:
                return True
            hresult, message = problem
            reply = self._call(
                log, service, "connectionError", ticket=ticket, hresult=hresult, message=message
            )
            reply = reply or ""
            if reply.lower() == "done":
                break
            file_name = reply
        log.outcome, log.message = "connection_error", message
        return False

    def _open_problem(self, file_name: str) -> tuple[str, str] | None:
        if self.faults.take("quickbooks_closed"):
            return QB_CLOSED
        if self.faults.take("file_in_use"):
            return FILE_IN_USE
        if file_name and file_name.lower() != self.company.path.lower():
            return OTHER_FILE
        return None

    def _exchange(self, log: SessionLog, service, ticket: str) -> None:
        session = Session(self.books, self.company)
        host_and_company = session.run(HOST_AND_COMPANY.format(version=self.company.highest_qbxml))
        first, noops, count = True, 0, 0
        while True:
            request = self._call(
                log,
                service,
                "sendRequestXML",
                ticket=ticket,
                strHCPResponse=host_and_company if first else "",
                strCompanyFileName=self.company.path,
                qbXMLCountry=self.company.country,
                qbXMLMajorVers=int(self.company.highest_qbxml.split(".")[0]),
                qbXMLMinorVers=int(self.company.highest_qbxml.split(".")[1]),
            )
            first = False
            if not request:
                last = self._call(log, service, "getLastError", ticket=ticket) or ""
                if last == "NoOp" and noops < self.settings.noop_limit:
                    noops += 1
                    self._stopped.wait(self.settings.noop_wait_seconds)
                    continue
                log.outcome, log.message = "error", last
                self._call(log, service, "closeConnection", ticket=ticket)
                return
            noops = 0
            count += 1
            response, hresult, message = self._process(session, request, log)
            if self.faults.take_at("lost_answer", count):
                log.outcome = "lost"
                log.message = "The connection dropped before the answer reached the service."
                return
            percent = self._call(
                log,
                service,
                "receiveResponseXML",
                ticket=ticket,
                response=response,
                hresult=hresult,
                message=message,
            )
            if self.faults.take_at("interrupt", count):
                log.outcome, log.message = "interrupted", "The run was stopped part way."
                return
            if percent < 0:
                log.outcome = "error"
                log.message = self._call(log, service, "getLastError", ticket=ticket) or ""
                self._call(log, service, "closeConnection", ticket=ticket)
                return
            if percent >= 100:
                log.outcome = "ok"
                log.message = self._call(log, service, "closeConnection", ticket=ticket) or ""
                return

    def _process(self, session: Session, request: str, log: SessionLog) -> tuple[str, str, str]:
        try:
            response = session.run(request)
        except qbxml.ParseError as error:
            log.exchanges.append(
                {"request": request, "hresult": error.hresult, "detail": error.detail}
            )
            return "", error.hresult, error.message
        log.exchanges.append({"request": request, "response": response})
        return response, "", ""


def _seconds(text: str) -> float | None:
    """A count of seconds from authenticate's answer; anything else is ignored, as QBWC does."""
    return float(text) if text.strip().isdigit() and int(text) > 0 else None


def _strings(result) -> list[str]:
    """authenticate's ArrayOfString: zeep gives the list itself or an object holding it."""
    if result is None:
        return []
    items = result if isinstance(result, list) else (getattr(result, "string", None) or [])
    return [item or "" for item in items]


def _plain(result):
    if result is None or isinstance(result, (str, int)):
        return result
    return _strings(result)
