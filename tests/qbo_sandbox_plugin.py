"""pytest fixtures for the local QuickBooks Online sandbox.

One sandbox per test session (per xdist worker) on a free 127.0.0.1 port, storing into a
temporary file; `qbo_sandbox` resets its data, faults and limits before each test and yields
a `SandboxHandle`.

Listed in tests/conftest.py's pytest_plugins, so it is loaded by every run: the sandbox's code is
imported inside the fixtures, and a run without QuickBooks Online installed never loads it.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def qbo_sandbox_server(tmp_path_factory):
    from integrations.quickbooks_online.sandbox.app import SandboxConfig
    from integrations.quickbooks_online.sandbox.server import start_in_thread

    data_file = tmp_path_factory.mktemp("qbo_sandbox") / "qbo_sandbox.sqlite3"
    server = start_in_thread(SandboxConfig(data_file=str(data_file), auto_approve=True))
    yield server
    server.shutdown()
    server.server_close()
    server.sandbox.store.close()


@pytest.fixture
def qbo_sandbox(qbo_sandbox_server):
    """A SandboxHandle on the session's sandbox, its data, faults and limits reset."""
    from integrations.quickbooks_online.sandbox.control import SandboxHandle

    handle = SandboxHandle(qbo_sandbox_server.base_url)
    handle.reset()
    return handle
