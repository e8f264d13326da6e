"""The Web Connector's part, played by a SOAP client built from the service's WSDL: the calls
in the order the Web Connector makes them (reference §1.1-§1.5), with QuickBooks' answers from
the scripted company of quickbooks.py."""

from __future__ import annotations

from dataclasses import dataclass, field

import zeep

from tests.integrations.quickbooks_desktop import quickbooks as qb

COMPANY_FILE = r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\Riverside.QBW"
WEB_CONNECTOR_VERSION = "2.3.0.36"


@dataclass
class Run:
    """What one run of the Web Connector saw."""

    ticket: str = ""
    authenticated: str = ""
    percents: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    closing: str = ""


def soap_client(base_url: str) -> zeep.Client:
    return zeep.Client(f"{base_url}/erp/quickbooks-desktop/qbwc/?wsdl")


class WebConnector:
    def __init__(self, client: zeep.Client, quickbooks: qb.QuickBooks):
        self.service = client.service
        self.quickbooks = quickbooks

    def log_in(self, username: str, password: str) -> Run:
        run = Run()
        self.service.serverVersion()
        assert self.service.clientVersion(WEB_CONNECTOR_VERSION) in ("", None)
        answer = self.service.authenticate(username, password)
        run.ticket, run.authenticated = answer[0] or "", answer[1] or ""
        return run

    def ask(self, run: Run, *, first: bool, versions=("12.0", "13.0"), major=13, minor=0) -> str:
        return (
            self.service.sendRequestXML(
                run.ticket,
                qb.host_response(*versions) if first else "",
                COMPANY_FILE,
                "US",
                major,
                minor,
            )
            or ""
        )

    def run(
        self,
        username: str,
        password: str,
        *,
        versions=("12.0", "13.0"),
        major=13,
        minor=0,
        requests: int | None = None,
    ) -> Run:
        """A whole run; `requests` stops it (the Web Connector dies) after that many answers."""
        run = self.log_in(username, password)
        if run.authenticated in ("nvu", "none", "busy"):
            return run
        first = True
        while True:
            request = self.ask(run, first=first, versions=versions, major=major, minor=minor)
            first = False
            if not request:
                run.errors.append(self.service.getLastError(run.ticket) or "")
                if run.errors[-1] == "NoOp":
                    continue
                break
            if requests is not None and len(run.percents) == requests:
                self.quickbooks.session_ended()
                return run
            percent = self.service.receiveResponseXML(
                run.ticket, self.quickbooks.answer(request), "", ""
            )
            run.percents.append(percent)
            if percent < 0:
                run.errors.append(self.service.getLastError(run.ticket) or "")
                break
            if percent >= 100:
                break
        run.closing = self.service.closeConnection(run.ticket) or ""
        self.quickbooks.session_ended()
        return run
