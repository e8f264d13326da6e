"""`SandboxHandle`: drive a running Xero sandbox through its control API.

It only speaks HTTP, so it works the same against a sandbox in this process or one started with
`manage.py erp_sandbox xero`.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from decimal import Decimal
from urllib.parse import urlencode

from . import wire


class SandboxControlError(Exception):
    def __init__(self, status: int, body):
        super().__init__(f"Sandbox control API answered {status}: {body}")
        self.status = status
        self.body = body


class SandboxHandle:
    def __init__(self, base_url: str, *, timeout: float = 60.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        status = self._call("GET", "/status")
        self.tenant_id: str = status["tenant_id"]
        self.client_id: str = status["client_id"]
        self.client_secret: str = status["client_secret"]
        self.api_url = f"{self.base_url}/api.xro/2.0"

    def __repr__(self) -> str:
        return f"SandboxHandle({self.base_url!r})"

    def _call(self, method: str, path: str, payload: dict | None = None, query: dict | None = None):
        url = f"{self.base_url}/_sandbox{path}"
        if query:
            url += "?" + urlencode(query)
        data = None if payload is None else wire.dumps_bytes(payload)
        request = urllib.request.Request(  # noqa: S310 - the sandbox's own base URL
            url, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read(), parse_float=Decimal)
        except urllib.error.HTTPError as error:
            raise SandboxControlError(error.code, error.read().decode("utf-8", "replace")) from None

    def status(self) -> dict:
        return self._call("GET", "/status")

    def reset(self) -> None:
        self._call("POST", "/reset")

    def issue_tokens(
        self,
        tenant_ids: list[str] | None = None,
        *,
        scope: str | None = None,
        access_ttl_seconds: float = 1800,
    ) -> dict:
        """Tokens (and connections to the tenants) as if the consent flow had just completed."""
        payload = {
            "tenant_ids": tenant_ids,
            "scope": scope,
            "access_ttl_seconds": access_ttl_seconds,
        }
        return self._call("POST", "/tokens", payload)

    def expire_access_tokens(self) -> None:
        self._call("POST", "/tokens/expire-access")

    def expire_idempotency_keys(self) -> None:
        """As if the 6 minutes Xero keeps an Idempotency-Key had passed for every key."""
        self._call("POST", "/idempotency/expire")

    def revoke_all_tokens(self) -> None:
        """As if the user disconnected the app in Xero: every grant and connection ends."""
        self._call("POST", "/tokens/revoke-all")

    def inject_fault(
        self,
        kind: str,
        *,
        count: int = 1,
        resource: str | None = None,
        method: str | None = None,
        seconds: float | None = None,
        problem: str | None = None,
        after: int = 0,
        elements: int | None = None,
    ) -> None:
        """The next `count` matching accounting requests, past the first `after`, get `kind`
        (`elements`: drop_after_commit stores only the first that many of a write's elements)."""
        self._call(
            "POST",
            "/faults",
            {
                "kind": kind,
                "count": count,
                "resource": resource,
                "method": method,
                "seconds": seconds,
                "problem": problem,
                "after": after,
                "elements": elements,
            },
        )

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def set_limits(self, **limits) -> dict:
        """per_minute, per_day, concurrent, app_per_minute, minute_seconds, day_seconds."""
        return self._call("POST", "/limits", limits)

    def records(self, kind: str, tenant_id: str | None = None) -> list[dict]:
        return self._call(
            "GET", f"/records/{kind}", query={"tenant_id": tenant_id or self.tenant_id}
        )["records"]

    def add_organisation(self, country: str, *, name: str | None = None) -> str:
        """A further organisation (AU, NZ or UK); its tenant id."""
        return self._call("POST", "/organisations", {"country": country, "name": name})["tenant_id"]

    def set_lock_dates(self, tenant_id: str | None = None, **dates) -> dict:
        """PeriodLockDate / EndOfYearLockDate as YYYY-MM-DD, or None to lift one."""
        return self._call("POST", "/lock-dates", {"tenant_id": tenant_id, **dates})

    def set_consent(self, *, auto_approve: bool, tenant_ids: list[str] | None = None) -> dict:
        return self._call(
            "POST", "/consent", {"auto_approve": auto_approve, "tenant_ids": tenant_ids}
        )

    def set_max_active_options(self, limit: int) -> None:
        self._call("POST", "/settings", {"max_active_options": limit})

    def configure_webhooks(
        self, url: str | None, *, key: str | None = None, gather_seconds: float | None = None
    ) -> dict:
        payload = {"url": url}
        if key is not None:
            payload["key"] = key
        if gather_seconds is not None:
            payload["gather_seconds"] = gather_seconds
        return self._call("POST", "/webhooks", payload)

    def intent_to_receive(self, *, good: int = 2, bad: int = 2) -> dict:
        return self._call("POST", "/webhooks/intent-to-receive", {"good": good, "bad": bad})

    def seed_contacts(self, count: int, prefix: str = "Contact") -> list[str]:
        return self._call("POST", "/seed-contacts", {"count": count, "prefix": prefix})[
            "contact_ids"
        ]

    def request_log(self) -> list[dict]:
        return self._call("GET", "/requests")["requests"]

    def clear_request_log(self) -> None:
        self._call("DELETE", "/requests")
