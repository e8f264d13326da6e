"""pytest fixtures for the local Xero sandbox.

One sandbox per test session (per xdist worker) on a free 127.0.0.1 port, storing into a
temporary file. Every answer it gives is checked against Xero's official OpenAPI spec as it
leaves the server (`ResponseRecorder`); `xero_sandbox` resets the sandbox before each test,
yields a `SandboxHandle`, and fails the test if any answer given during it did not match.
"""

from __future__ import annotations

import threading

import pytest

from integrations.xero.sandbox.app import SandboxConfig
from integrations.xero.sandbox.control import SandboxHandle
from integrations.xero.sandbox.server import start_in_thread
from tests.integrations.xero.sandbox.openapi_check import SpecCheck


class ResponseRecorder:
    """Checks each answer against the spec and keeps the mismatches of the current test."""

    def __init__(self, spec: SpecCheck):
        self.spec = spec
        self._lock = threading.Lock()
        self.mismatches: list[str] = []
        self.checked = 0

    def observe(self, method, path, query, headers, body, response) -> None:
        if "malformed_body" in response.faults:
            return  # cut in half on purpose: an injected fault, not the sandbox's answer
        try:
            problems = self.spec.check(
                method, path, query, response.status, response.content_type, response.body
            )
        except Exception as error:  # a checker failure is a mismatch, never a silent pass
            problems = [f"the check itself failed: {error!r}"]
        with self._lock:
            self.checked += 1
            self.mismatches += [
                f"{method} {path}?{query} -> {response.status}: {p}" for p in problems
            ]

    def take_mismatches(self) -> list[str]:
        with self._lock:
            found, self.mismatches = self.mismatches, []
            return found


@pytest.fixture(scope="session")
def xero_spec() -> SpecCheck:
    return SpecCheck()


@pytest.fixture(scope="session")
def xero_sandbox_server(tmp_path_factory, xero_spec):
    data_file = tmp_path_factory.mktemp("xero_sandbox") / "xero_sandbox.sqlite3"
    recorder = ResponseRecorder(xero_spec)
    server = start_in_thread(
        SandboxConfig(data_file=str(data_file), auto_approve=True), observe=recorder.observe
    )
    server.recorder = recorder
    yield server
    server.shutdown()
    server.server_close()
    server.sandbox.store.close()


@pytest.fixture
def xero_sandbox(xero_sandbox_server):
    recorder = xero_sandbox_server.recorder
    handle = SandboxHandle(xero_sandbox_server.base_url)
    handle.reset()
    recorder.take_mismatches()
    yield handle
    mismatches = recorder.take_mismatches()
    if mismatches:
        pytest.fail("Answers that do not match Xero's OpenAPI spec:\n" + "\n".join(mismatches))
