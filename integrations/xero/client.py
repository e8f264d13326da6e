"""The one place that speaks HTTP to Xero's Accounting API, for one organisation (tenant).

One attempt per call: what goes wrong is raised at once as an integrations.base error whose
message an accountant can read (integrations.xero.errors), and the export's own retries (which
look the document up first) decide what happens next; a throttled call is never slept through.
The only repeat is after a 401: the access token is refreshed once and the call sent again, as
Xero did nothing with a token it refused. Each call first takes a place in the organisation's
limits, shared by every worker (integrations.xero.limits); a 429 holds every worker back for as
long as Xero asked.

Every call carries the bearer token, `xero-tenant-id` and `Accept: application/json`; every
write carries an `Idempotency-Key` (at most 128 characters; Xero keeps it 6 minutes, so the
connector also looks documents up before creating them).

Tokens are refreshed when the access token expires within a minute, under a row lock on the
ERPConnection; the new (rotated) refresh token is saved at once, so two workers never spend the
same one. Call the client outside a database transaction: a rolled-back transaction would lose
the newest refresh token.

Amounts go out as exact JSON numbers from Decimal (floats are refused) and come back as Decimal.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.utils import timezone

from integrations import rate_limits as shared_limits
from integrations.base import NotConnectedError
from integrations.exact_json import to_json
from integrations.models import ERPConnection, ERPKind
from integrations.oauth_tokens import ensure_fresh_token, refresh_tokens
from integrations.registry import disconnected_message
from integrations.xero import errors, oauth
from integrations.xero.limits import heed_remaining, rate_limits

ERP_NAME = "Xero"
DISCONNECTED = f"{ERP_NAME} is disconnected. {errors.RECONNECT_ADVICE}"
MAX_IDEMPOTENCY_KEY_LENGTH = 128
MAX_PAGE_SIZE = 1000


class XeroClient:
    """Calls to one connected Xero organisation (the connection's tenant)."""

    def __init__(self, connection: ERPConnection):
        if connection.kind != ERPKind.XERO:
            raise ValueError(f"{connection} is not a Xero connection.")
        if not connection.is_active:
            raise NotConnectedError(DISCONNECTED)
        if connection.authorization_unreadable:
            raise NotConnectedError(disconnected_message(connection))
        self.connection = connection
        self.tenant_id = connection.company_id
        self.base_url = f"{settings.XERO['API_BASE_URL'].rstrip('/')}/api.xro/2.0"
        self.timeout = oauth.request_timeout()
        self.limits = rate_limits()
        self.session = requests.Session()

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> XeroClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # Reading --------------------------------------------------------------------------------

    def get(
        self,
        resource: str,
        *,
        params: dict | None = None,
        modified_since: datetime | None = None,
    ) -> dict:
        """One GET of `resource` ("Contacts", "PurchaseOrders/PO-1"...): the envelope."""
        headers = {}
        if modified_since is not None:
            if timezone.is_naive(modified_since):
                raise ValueError("modified_since must carry a time zone.")
            headers["If-Modified-Since"] = modified_since.astimezone(UTC).strftime(
                "%Y-%m-%dT%H:%M:%S"
            )
        return self._send("GET", resource, params=params, extra_headers=headers)

    def organisation(self) -> dict:
        (organisation,) = self.get("Organisation")["Organisations"]
        return organisation

    def find(self, resource: str, key: str) -> dict | None:
        """The document at `resource/key` (an id or Xero's number for it), unit amounts to four
        places, or None when Xero has none (404)."""
        try:
            body = self.get(f"{resource}/{quote(str(key), safe='')}", params={"unitdp": 4})
        except errors.XeroError as error:
            if error.status == 404:
                return None
            raise
        found = body.get(resource) or []
        return found[0] if found else None

    # Writing --------------------------------------------------------------------------------

    def create(
        self,
        resource: str,
        body: Any,
        *,
        idempotency_key: str,
        unitdp: int | None = None,
        each_on_its_own: bool = False,
    ) -> dict:
        """PUT: create (Xero's create-only verb). Returns the envelope. `unitdp=4` keeps unit
        amounts to four places (Xero rounds them to two otherwise). `each_on_its_own` sends
        `summarizeErrors=false`: Xero answers 200 and each element says whether it was stored
        (StatusAttributeString OK) or not (ERROR, with its ValidationErrors)."""
        params = _unitdp(unitdp) or {}
        if each_on_its_own:
            params["summarizeErrors"] = "false"
        return self._send(
            "PUT", resource, params=params or None, json_body=body, idempotency_key=idempotency_key
        )

    def update(
        self, resource: str, body: Any, *, idempotency_key: str, unitdp: int | None = None
    ) -> dict:
        """POST: update what the body names by id (Xero keeps the fields not sent)."""
        return self._send(
            "POST",
            resource,
            params=_unitdp(unitdp),
            json_body=body,
            idempotency_key=idempotency_key,
        )

    # Transport ------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        resource: str,
        *,
        params: dict | None = None,
        json_body: Any = None,
        idempotency_key: str | None = None,
        extra_headers: dict | None = None,
    ) -> dict:
        url = f"{self.base_url}/{resource}"
        data = to_json(json_body, erp_name=ERP_NAME).encode() if json_body is not None else None
        headers = {
            "xero-tenant-id": self.tenant_id,
            "Accept": "application/json",
            **(extra_headers or {}),
        }
        if data is not None:
            headers["Content-Type"] = "application/json"
        if method in ("PUT", "POST"):
            headers["Idempotency-Key"] = _checked_key(idempotency_key)
        refreshed = False
        while True:
            self._ensure_fresh_token()
            token = self.connection.access_token
            try:
                with self._counted():
                    response = self.session.request(
                        method,
                        url,
                        params=params,
                        data=data,
                        headers={**headers, "Authorization": f"Bearer {token}"},
                        timeout=self.timeout,
                    )
            except requests.RequestException as exc:
                raise errors.error_for_exception(exc) from exc
            if response.status_code == 401 and not refreshed:
                refreshed = True
                self._refresh_tokens(rejected_token=token)
                continue
            try:
                answer = errors.read_answer(response)
            except errors.ThrottledError as error:
                self._held_back(error.retry_after)
                raise
            self._heed(response.headers)
            return answer

    def expect_calls(self, calls: int) -> None:
        """Return once the organisation's limits have room for `calls` calls in a row (taking
        none); BudgetExhausted when that is further off than a worker waits."""
        shared_limits.wait_for_room(self.connection, self.limits, calls=calls, erp_name=ERP_NAME)

    def _counted(self) -> AbstractContextManager:
        """A place for this call in the organisation's limits, shared by every worker."""
        return shared_limits.call_slot(self.connection, self.limits, erp_name=ERP_NAME)

    def _held_back(self, seconds: float) -> None:
        """Another app on the organisation, or limits set above Xero's own: every worker holds
        back for as long as Xero asked."""
        shared_limits.pause(self.connection, seconds)

    def _heed(self, headers) -> None:
        heed_remaining(self.connection, headers, self.limits)

    def _ensure_fresh_token(self) -> None:
        ensure_fresh_token(self.connection, refresh=oauth.refresh, disconnected=DISCONNECTED)

    def _refresh_tokens(self, *, rejected_token: str | None) -> None:
        refresh_tokens(
            self.connection,
            rejected_token=rejected_token,
            refresh=oauth.refresh,
            disconnected=DISCONNECTED,
        )


def _unitdp(unitdp: int | None) -> dict | None:
    return {"unitdp": unitdp} if unitdp else None


def _checked_key(key: str | None) -> str:
    if not key or not isinstance(key, str):
        raise ValueError("Every write to Xero needs an Idempotency-Key.")
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise ValueError(
            f"The Idempotency-Key {key!r} is longer than {MAX_IDEMPOTENCY_KEY_LENGTH} characters."
        )
    return key
