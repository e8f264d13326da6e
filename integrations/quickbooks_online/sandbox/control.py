"""`SandboxHandle`: drive a running QuickBooks Online sandbox through its control API.

Used by the pytest plugin, the demo and the benchmarks alike; it only speaks HTTP, so it works
the same against a sandbox in this process or one started with `manage.py erp_sandbox`.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from decimal import Decimal
from urllib.parse import quote, urlencode

from . import wire


class SandboxControlError(Exception):
    """The control API refused a request; `body` is its JSON answer (a QuickBooks Fault for
    `create_entity` validation errors)."""

    def __init__(self, status: int, body):
        super().__init__(f"Sandbox control API answered {status}: {body}")
        self.status = status
        self.body = body


class SandboxHandle:
    def __init__(self, base_url: str, *, timeout: float = 120.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        status = self._call("GET", "/status")
        self.realm_id: str = status["realm_id"]
        self.client_id: str = status["client_id"]
        self.client_secret: str = status["client_secret"]
        self.discovery_url = f"{self.base_url}/.well-known/openid_configuration"

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
            body = error.read()
            try:
                parsed = json.loads(body, parse_float=Decimal)
            except ValueError:
                parsed = body.decode("utf-8", "replace")
            raise SandboxControlError(error.code, parsed) from None

    def status(self) -> dict:
        return self._call("GET", "/status")

    def reset(self) -> None:
        self._call("POST", "/reset")

    def issue_tokens(self, realm_id: str | None = None, access_ttl_seconds: float = 3600) -> dict:
        return self._call(
            "POST",
            "/tokens",
            {"realm_id": realm_id or self.realm_id, "access_ttl_seconds": access_ttl_seconds},
        )

    def expire_access_tokens(self) -> None:
        self._call("POST", "/tokens/expire-access")

    def revoke_refresh_tokens(self) -> None:
        self._call("POST", "/tokens/revoke-refresh")

    def inject_fault(
        self,
        kind: str,
        *,
        count: int = 1,
        entity: str | None = None,
        method: str | None = None,
        seconds: float | None = None,
        items: int | None = None,
    ) -> None:
        self._call(
            "POST",
            "/faults",
            {
                "kind": kind,
                "count": count,
                "entity": entity,
                "method": method,
                "seconds": seconds,
                "items": items,
            },
        )

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def set_limits(
        self,
        requests_per_window: int | None = None,
        concurrent: int | None = None,
        batch_requests_per_window: int | None = None,
        window_seconds: float | None = None,
        throttle_body: str | None = None,
    ) -> dict:
        return self._call(
            "POST",
            "/limits",
            {
                "requests_per_window": requests_per_window,
                "concurrent": concurrent,
                "batch_requests_per_window": batch_requests_per_window,
                "window_seconds": window_seconds,
                "throttle_body": throttle_body,
            },
        )

    def entities(
        self, entity: str, realm_id: str | None = None, include_inactive: bool = True
    ) -> list[dict]:
        answer = self._call(
            "GET",
            f"/entities/{quote(entity)}",
            query={
                "realm_id": realm_id or self.realm_id,
                "include_inactive": "true" if include_inactive else "false",
            },
        )
        return next(iter(answer.values()))

    def create_entity(self, entity: str, payload: dict, realm_id: str | None = None) -> dict:
        answer = self._call(
            "POST",
            f"/entities/{quote(entity)}",
            payload,
            query={"realm_id": realm_id or self.realm_id},
        )
        return next(iter(answer.values()))

    def seed_vendors(self, count: int, prefix: str = "Vendor", realm_id: str | None = None) -> None:
        self._call(
            "POST",
            "/seed-vendors",
            {"count": count, "prefix": prefix, "realm_id": realm_id or self.realm_id},
        )

    def seed_job_costs(
        self,
        count: int,
        *,
        vendor_id: str,
        job_id: str,
        item_id: str,
        amount: str = "100.00",
        txn_date: str | None = None,
        prefix: str = "JC",
        age_seconds: float = 0.0,
        realm_id: str | None = None,
    ) -> dict:
        """Store `count` one-line bills of `amount` from the vendor, costed to the job (a
        Customer Id) and item, numbered '<prefix>-000001'... and last changed `age_seconds`
        ago: {"bills", "first_id", "last_id"}."""
        return self._call(
            "POST",
            "/seed-job-costs",
            {
                "count": count,
                "vendor_id": vendor_id,
                "job_id": job_id,
                "item_id": item_id,
                "amount": amount,
                "txn_date": txn_date,
                "prefix": prefix,
                "age_seconds": age_seconds,
                "realm_id": realm_id or self.realm_id,
            },
        )

    def set_auto_approve(self, auto_approve: bool) -> None:
        """Skip (True) or show (False) the consent page of the authorize endpoint."""
        self._call("POST", "/consent", {"auto_approve": auto_approve})

    def set_book_close_date(self, close_date: str | None, realm_id: str | None = None) -> dict:
        """Close the books through `close_date` (YYYY-MM-DD), or open them (None)."""
        return self._call(
            "POST", "/book-close-date", {"book_close_date": close_date, "realm_id": realm_id}
        )

    def add_company(
        self, realm_id: str, name: str, *, country: str = "US", multicurrency: bool = False
    ) -> None:
        """A company in `country` ("US", or "CA" with CAD and the GST/HST tax codes)."""
        self._call(
            "POST",
            "/companies",
            {
                "realm_id": realm_id,
                "name": name,
                "country": country,
                "multicurrency": multicurrency,
            },
        )

    def configure_webhooks(
        self,
        url: str | None,
        *,
        verifier: str | None = None,
        format: str | None = None,
        gather_seconds: float | None = None,
    ) -> dict:
        settings = {"url": url, "verifier": verifier, "format": format}
        settings["gather_seconds"] = gather_seconds
        return self._call(
            "POST",
            "/webhooks",
            {k: v for k, v in settings.items() if v is not None or k == "url"},
        )

    def request_log(self) -> list[dict]:
        return self._call("GET", "/requests")["requests"]

    def clear_request_log(self) -> None:
        self._call("DELETE", "/requests")
