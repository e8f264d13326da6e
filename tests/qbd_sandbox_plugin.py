"""pytest fixtures for the local QuickBooks Desktop.

One sandbox per test session (per xdist worker): its company file in a temporary folder, its
control API on a free 127.0.0.1 port, its Web Connector run only when a test asks ("run now"),
never on a schedule. `qbd_sandbox` resets the company before each test and yields a handle
that speaks to the control API over its socket.
"""

from __future__ import annotations

import pytest
import requests

from integrations.quickbooks_desktop.sandbox.server import build, start_in_thread
from integrations.quickbooks_desktop.sandbox.web_connector import ConnectorSettings

WEB_CONNECTOR_USER = "qbwc-sandbox"
WEB_CONNECTOR_PASSWORD = "sandbox-password"


class QuickBooksDesktopHandle:
    """The control API, as a test or a demo script uses it."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()

    def call(self, method: str, path: str, payload=None, expect: int = 200) -> dict:
        response = self.http.request(
            method, f"{self.base_url}/_sandbox/{path}", json=payload, timeout=60
        )
        assert response.status_code == expect, response.text
        return response.json()

    def reset(self) -> dict:
        return self.call("POST", "reset")

    def status(self) -> dict:
        return self.call("GET", "status")

    def run(self) -> dict:
        """One Web Connector run, now; returns what its log shows."""
        return self.call("POST", "run")

    def fault(self, kind: str, **options) -> dict:
        return self.call("POST", "faults", {"kind": kind, **options})

    def settings(self, **values) -> dict:
        return self.call("POST", "settings", values)

    def seed(self, kind: str, **fields) -> dict:
        return self.call("POST", "records", {"kind": kind, "fields": fields})["record"]

    def records(self, kind: str) -> list[dict]:
        return self.call("GET", f"records/{kind}")["records"]

    def delete(self, record_id: str) -> dict:
        return self.call("DELETE", f"records/{record_id}")["deleted"]

    def qbxml(self, message: str, session: str | None = None) -> dict:
        """Hand a message straight to QuickBooks' request processor (in a named session)."""
        return self.call("POST", "qbxml", {"qbxml": message, "session": session})


@pytest.fixture(scope="session")
def qbd_sandbox_server(tmp_path_factory):
    data_file = tmp_path_factory.mktemp("qbd_sandbox") / "company.sqlite3"
    settings = ConnectorSettings(
        app_url="http://127.0.0.1:9/qbwc/",
        username=WEB_CONNECTOR_USER,
        password=WEB_CONNECTOR_PASSWORD,
        noop_wait_seconds=0.05,
        timeout_seconds=10,
    )
    sandbox = build(settings, str(data_file))
    server = start_in_thread(sandbox)
    yield server
    server.shutdown()
    server.server_close()
    sandbox.books.close()


@pytest.fixture
def qbd_sandbox(qbd_sandbox_server):
    handle = QuickBooksDesktopHandle(qbd_sandbox_server.base_url)
    handle.reset()
    yield handle
