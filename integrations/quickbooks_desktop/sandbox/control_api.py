"""The control API under /_sandbox/: plain JSON for tests, demos and benchmarks.

It runs the Web Connector now, injects faults, seeds and reads the company file, changes the
Web Connector's settings (the endpoint, the password) and QuickBooks' (the highest qbXML
version), and hands a qbXML message straight to QuickBooks' request processor in a named
session, as an application on the same computer would through the SDK.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict

from . import qbxml, seeding
from .books import LIST_KINDS, TXN_KINDS, Books
from .company import CompanyFile, Session
from .faults import KINDS
from .web_connector import WebConnector

SETTINGS = ("app_url", "username", "password", "every_seconds", "noop_wait_seconds")
COMPANY_SETTINGS = ("company_name", "highest_qbxml")


class ControlError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class QuickBooksDesktopSandbox:
    """The company file, QuickBooks and the Web Connector on one computer."""

    def __init__(self, books: Books, company: CompanyFile, connector: WebConnector):
        self.books = books
        self.company = company
        self.connector = connector
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._initial = (asdict(connector.settings), asdict(company))

    def reset(self) -> None:
        """An empty company with its chart of accounts; settings as started; no faults."""
        settings, company = self._initial
        for name, value in settings.items():
            setattr(self.connector.settings, name, value)
        for name, value in company.items():
            setattr(self.company, name, value)
        self.books.wipe()
        seeding.default_accounts(self.books)
        self.connector.faults.clear()
        self.connector.logs.clear()
        self.connector.postponed_seconds = self.connector.minimum_interval_seconds = 0.0
        with self._lock:
            self._sessions.clear()

    def status(self) -> dict:
        settings = asdict(self.connector.settings)
        settings.pop("password")
        return {
            "company": asdict(self.company),
            "web_connector": settings,
            "faults": self.connector.faults.state(),
            "auto_run": {
                "next_wait_seconds": self.connector.next_wait_seconds(),
                "minimum_interval_seconds": self.connector.minimum_interval_seconds,
            },
            "records": self.books.counts(),
            "runs": len(self.connector.logs),
        }

    def session(self, name: str | None) -> Session:
        if not name:
            return Session(self.books, self.company)
        with self._lock:
            return self._sessions.setdefault(name, Session(self.books, self.company))

    def handle(self, method: str, path: str, body: bytes) -> dict:
        parts = [part for part in path.split("/") if part][1:]
        route = (method, "/".join(parts))
        if route == ("GET", "status"):
            return self.status()
        if route == ("POST", "reset"):
            self.reset()
            return self.status()
        if route == ("POST", "run"):
            return self.connector.run().as_dict()
        if route == ("GET", "runs"):
            return {"runs": [log.as_dict() for log in self.connector.logs]}
        if route == ("POST", "faults"):
            return self._fault(_payload(body))
        if route == ("DELETE", "faults"):
            self.connector.faults.clear()
            return self.connector.faults.state()
        if route == ("POST", "settings"):
            return self._settings(_payload(body))
        if route == ("POST", "qbxml"):
            return self._qbxml(_payload(body))
        if parts and parts[0] == "records":
            return self._records(method, parts[1:], body)
        raise ControlError(404, f"No control route {method} {path}.")

    def _fault(self, payload: dict) -> dict:
        kind = payload.get("kind")
        try:
            self.connector.faults.add(
                str(kind),
                count=int(payload.get("count", 1)),
                after=int(payload.get("after", 1)),
                seconds=float(payload.get("seconds", 0)),
            )
        except (TypeError, ValueError) as error:
            raise ControlError(400, f"{error} Faults: {', '.join(KINDS)}.") from None
        return self.connector.faults.state()

    def _settings(self, payload: dict) -> dict:
        unknown = set(payload) - set(SETTINGS) - set(COMPANY_SETTINGS)
        if unknown:
            raise ControlError(400, f"Unknown settings: {', '.join(sorted(unknown))}.")
        for name, value in payload.items():
            if name == "highest_qbxml" and value not in ("12.0", *_older_versions()):
                raise ControlError(400, "highest_qbxml is a qbXML version such as 12.0 or 8.0.")
            if name in SETTINGS:
                kind = type(getattr(self.connector.settings, name))
                try:
                    value = kind(value)
                except (TypeError, ValueError):
                    raise ControlError(400, f"{name} must be a {kind.__name__}.") from None
                if kind is float and value <= 0:
                    raise ControlError(400, f"{name} must be more than 0.")
                setattr(self.connector.settings, name, value)
            else:
                setattr(self.company, name, str(value))
        return self.status()

    def _qbxml(self, payload: dict) -> dict:
        session = self.session(payload.get("session"))
        try:
            return {"response": session.run(str(payload.get("qbxml", "")))}
        except qbxml.ParseError as error:
            return {"hresult": error.hresult, "message": error.message, "detail": error.detail}

    def _records(self, method: str, rest: list[str], body: bytes) -> dict:
        if method == "POST" and not rest:
            payload = _payload(body)
            fields = payload.get("fields") or {}
            if not isinstance(fields, dict):
                raise ControlError(400, "fields must be an object of the record's fields.")
            try:
                record = seeding.seed(
                    self.books, self.session(None), str(payload.get("kind")), fields
                )
            except seeding.SeedError as error:
                raise ControlError(400, str(error)) from None
            return {"record": record}
        if method == "GET" and len(rest) == 1:
            if rest[0] not in (*LIST_KINDS, *TXN_KINDS):
                raise ControlError(404, f"Unknown kind {rest[0]}.")
            return {"records": self.books.all((rest[0],))}
        if method == "DELETE" and len(rest) == 1:
            record = self.books.delete(rest[0])
            if record is None:
                raise ControlError(404, f"No record {rest[0]}.")
            return {"deleted": record}
        raise ControlError(404, "Use POST /_sandbox/records, GET or DELETE /_sandbox/records/<x>.")


def _older_versions() -> tuple[str, ...]:
    return tuple(f"{major}.0" for major in range(1, 12))


def _payload(body: bytes) -> dict:
    try:
        payload = json.loads(body or b"{}")
    except ValueError as error:
        raise ControlError(400, f"The body is not valid JSON: {error}") from None
    if not isinstance(payload, dict):
        raise ControlError(400, "The body must be a JSON object.")
    return payload
