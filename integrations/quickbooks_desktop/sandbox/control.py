"""`SandboxHandle`: drive a running local QuickBooks Desktop through its control API.

Used by the demo and the tests' plugin alike; it only speaks HTTP, so it works the same against
a sandbox in this process or one started with `manage.py erp_sandbox quickbooks_desktop`.
"""

from __future__ import annotations

import requests


class SandboxControlError(Exception):
    """The control API refused a call; the message is its answer."""


class SandboxHandle:
    def __init__(self, base_url: str, *, timeout: float = 60.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()

    def __repr__(self) -> str:
        return f"SandboxHandle({self.base_url!r})"

    def call(self, method: str, path: str, payload=None, expect: int = 200) -> dict:
        response = self.http.request(
            method, f"{self.base_url}/_sandbox/{path}", json=payload, timeout=self.timeout
        )
        self.check(response, expect)
        return response.json()

    def check(self, response: requests.Response, expect: int) -> None:
        if response.status_code != expect:
            raise SandboxControlError(
                f"{response.request.method} {response.url} answered {response.status_code}: "
                f"{response.text}"
            )

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
