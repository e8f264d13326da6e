"""pytest fixtures for the local QuickBooks Desktop.

One sandbox per test session (per xdist worker): its company file in a temporary folder, its
control API on a free 127.0.0.1 port, its Web Connector run only when a test asks ("run now"),
never on a schedule. `qbd_sandbox` resets the company before each test and yields a handle
that speaks to the control API over its socket.
"""

from __future__ import annotations

import pytest

from integrations.quickbooks_desktop.sandbox.control import SandboxHandle
from integrations.quickbooks_desktop.sandbox.server import build, start_in_thread
from integrations.quickbooks_desktop.sandbox.web_connector import ConnectorSettings

WEB_CONNECTOR_USER = "qbwc-sandbox"
WEB_CONNECTOR_PASSWORD = "sandbox-password"


class QuickBooksDesktopHandle(SandboxHandle):
    """The control API, as a test uses it: a refused call fails the test with its answer."""

    def check(self, response, expect: int) -> None:
        assert response.status_code == expect, response.text


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
