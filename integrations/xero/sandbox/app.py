"""The sandbox application: its parts wired together, and what happens to one accounting request
(bearer token, tenant, scope, injected faults, limits, idempotent replay, the operation)."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field, replace

from . import faults, seeding, service, wire
from .chaos import DEFAULT_TIMEOUT_SECONDS, FaultBoard, FaultRule
from .faults import XeroError
from .oauth import OAuthServer
from .storage import Store, Unit
from .throttle import Limits, RateLimiter, Throttled
from .webhooks import WebhookNotifier, WebhookSettings

logger = logging.getLogger(__name__)

JSON_TYPE = "application/json; charset=utf-8"
IDEMPOTENCY_KEY_MAX = 128
IDEMPOTENCY_SECONDS = 360.0
REQUEST_LOG_SIZE = 100_000


@dataclass
class SandboxConfig:
    data_file: str
    client_id: str = "sandbox-client"
    client_secret: str = "sandbox-secret"
    app_name: str = "Sandbox App"
    redirect_uris: tuple[str, ...] = ()  # the app's registered redirect URIs; none: any
    auto_approve: bool = False
    limits: Limits = field(default_factory=Limits)
    webhook: WebhookSettings = field(default_factory=WebhookSettings)
    tenant_id: str = seeding.DEFAULT_TENANT_ID
    organisation_name: str = seeding.DEFAULT_NAME
    country: str = "AU"
    second_country: str | None = None  # a second organisation, in another country
    max_active_options: int = 100
    idempotency_seconds: float = IDEMPOTENCY_SECONDS
    initial_faults: list[FaultRule] = field(default_factory=list)


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    replayed: bool = False
    faults: list[str] = field(default_factory=list)


def json_response(status: int, body, **headers: str) -> Response:
    return Response(status, wire.dumps_bytes(body), JSON_TYPE, dict(headers))


def error_response(error: XeroError) -> Response:
    if isinstance(error.body, str):
        return Response(error.status, error.body.encode(), error.content_type)
    return json_response(error.status, error.body)


SECOND_TENANT_ID = "8d1f6e3a-2b7c-4f09-a5d4-3c9e7b1a6f20"
SECOND_NAMES = {"NZ": "Sandbox Construction NZ Ltd", "GB": "Sandbox Construction UK Ltd"}


class Sandbox:
    def __init__(self, config: SandboxConfig):
        self.config = config
        self.store = Store(config.data_file)
        self.base_url = ""
        self.notifier = WebhookNotifier(replace(config.webhook))
        self.oauth = OAuthServer(
            self.store,
            client_id=config.client_id,
            client_secret=config.client_secret,
            redirect_uris=config.redirect_uris,
        )
        self.service = service.AccountingService(self.store, self.notifier.publish)
        self.limiter = RateLimiter(config.limits)
        self.faults = FaultBoard()
        for rule in config.initial_faults:
            self.faults.add(rule)
        self.auto_approve = config.auto_approve
        self.consent_tenants: list[str] = [config.tenant_id]
        self.max_active_options = config.max_active_options
        self._idempotency_lock = threading.Lock()
        self._in_progress: dict[tuple[str, str], threading.Event] = {}
        self._log: deque = deque(maxlen=REQUEST_LOG_SIZE)
        self._log_lock = threading.Lock()
        self.ensure_organisations()

    def set_base_url(self, base_url: str) -> None:
        """Where clients reach the sandbox: the token issuer and webhook resource URLs."""
        self.base_url = base_url
        self.oauth.issuer = base_url
        self.notifier.base_url = base_url

    def ensure_organisations(self) -> None:
        config = self.config
        self.add_organisation(config.tenant_id, config.organisation_name, config.country)
        if config.second_country:
            country = seeding.country_of(config.second_country)
            name = SECOND_NAMES.get(country.code, f"Sandbox Construction {country.code}")
            self.add_organisation(SECOND_TENANT_ID, name, country.code)

    def add_organisation(self, tenant_id: str, name: str, country: str) -> None:
        seeding.country_of(country)
        with self.store.transaction() as conn:
            if conn.execute(
                "SELECT 1 FROM organisation WHERE tenant_id = ?", (tenant_id,)
            ).fetchone():
                return
            seeding.create_organisation(Unit(self.store, conn, tenant_id), name, country)

    def organisations(self) -> list[dict]:
        with self.store.transaction() as conn:
            rows = conn.execute("SELECT data FROM organisation ORDER BY seq").fetchall()
        return [wire.loads(text) for (text,) in rows]

    def reset(self) -> None:
        """Empty data, tokens, connections, idempotent answers, faults, limits and the log."""
        self.faults.clear()
        self.limiter.reset()
        self.notifier.settings = replace(self.config.webhook)
        self.notifier.discard_pending()
        self.auto_approve = self.config.auto_approve
        self.consent_tenants = [self.config.tenant_id]
        self.max_active_options = self.config.max_active_options
        self.clear_request_log()
        self.store.wipe()
        self.ensure_organisations()

    # -- request log -----------------------------------------------------------------------

    def log_request(self, entry: dict) -> None:
        with self._log_lock:
            self._log.append(entry)

    def request_log(self) -> list[dict]:
        with self._log_lock:
            return list(self._log)

    def clear_request_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    # -- the accounting API ----------------------------------------------------------------

    def handle_accounting(
        self, method: str, segments: list[str], params: dict, headers, body: bytes
    ) -> Response:
        """One accounting request: `segments` follow `/api.xro/2.0/`."""
        try:
            grant = self.oauth.authenticate(headers.get("Authorization"))
            tenant_id = (headers.get("xero-tenant-id") or "").strip().lower()
            if not tenant_id or not self.oauth.is_connected(grant, tenant_id):
                raise faults.forbidden()
            resource = segments[0].lower() if segments else ""
            if resource in service.SCOPES and not service.scope_allows(
                resource, method, grant.scopes
            ):
                raise faults.forbidden("AuthorizationUnsuccessful")
        except XeroError as error:
            response = error_response(error)
            if error.status == 401:
                response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return response
        fired = self.faults.take(method, resource)
        kinds = list(fired)
        if "throttle" in fired:
            return self._throttled(fired["throttle"].problem, None, {}, kinds)
        try:
            with self.limiter.admit(tenant_id, grant.client_id) as limit_headers:
                response = self._faulted(
                    fired, grant, tenant_id, method, segments, params, headers, body
                )
        except Throttled as throttled:
            return self._throttled(
                throttled.problem, throttled.retry_after, throttled.headers, kinds
            )
        response.headers.update(limit_headers)
        response.faults = kinds
        return response

    @staticmethod
    def _throttled(problem: str, retry_after, limit_headers: dict, kinds: list[str]) -> Response:
        headers = {**limit_headers, "X-Rate-Limit-Problem": problem}
        if problem != "concurrent":
            headers["Retry-After"] = str(retry_after or 60)
        response = json_response(429, faults.too_many_requests(problem), **headers)
        response.faults = kinds
        return response

    def _faulted(
        self, fired, grant, tenant_id, method, segments, params, headers, body
    ) -> Response:
        if "latency" in fired:
            time.sleep(fired["latency"].seconds or 1.0)
        if "timeout" in fired:
            self.faults.released.wait(fired["timeout"].seconds or DEFAULT_TIMEOUT_SECONDS)
            return Response(0, drop=True)
        if "http_503" in fired:
            return error_response(faults.offline())

        dropped = fired.get("drop_after_commit")
        if dropped is not None and dropped.elements is not None:
            # The connection broke while Xero was storing the elements one by one.
            body = _first_elements(body, dropped.elements)

        def perform() -> Response:
            if "http_500" in fired:
                return error_response(faults.unknown_error())
            return self._perform(grant, tenant_id, method, segments, params, headers, body)

        response = self._idempotent(
            grant, tenant_id, method, segments, params, headers, body, perform
        )
        if "drop_after_commit" in fired:
            return Response(response.status, drop=True)
        if "malformed_body" in fired:
            return Response(response.status, response.body[: len(response.body) // 2], JSON_TYPE)
        return response

    def _perform(self, grant, tenant_id, method, segments, params, headers, body) -> Response:
        context = service.Context(
            tenant_id=tenant_id,
            client_id=grant.client_id,
            provider_name=self.config.app_name,
            max_active_options=self.max_active_options,
        )
        try:
            payload = _json(body) if method in ("PUT", "POST") else None
            status, answer = self.service.handle(
                context, method, segments, params, headers, payload
            )
        except XeroError as error:
            return error_response(error)
        except Exception:
            logger.exception("Sandbox failure on %s %s", method, "/".join(segments))
            return error_response(faults.unknown_error())
        if answer is None:
            return Response(status, b"", "text/plain")
        return json_response(status, answer)

    # -- idempotency -----------------------------------------------------------------------

    def _idempotent(self, grant, tenant_id, method, segments, params, headers, body, perform):
        """Xero's Idempotency-Key: the same key and request within 6 minutes answers the first
        answer again (a concurrent duplicate waits for it); the same key with another request
        is refused. Keys belong to the app; every processed answer is kept, errors included."""
        key = headers.get("Idempotency-Key")
        if key is None or method not in ("PUT", "POST"):
            return perform()
        if len(key) > IDEMPOTENCY_KEY_MAX:
            return error_response(
                faults.request_error(
                    f"Idempotency-Key must be {IDEMPOTENCY_KEY_MAX} characters or fewer."
                )
            )
        query = "&".join(f"{name}={params[name]}" for name in sorted(params))
        fingerprint = hashlib.sha256(
            f"{tenant_id}\n{method}\n{'/'.join(segments).lower()}\n{query}\n".encode() + body
        ).hexdigest()
        slot = (grant.client_id, key)
        while True:
            with self._idempotency_lock:
                waiting = self._in_progress.get(slot)
                if waiting is None:
                    kept = self._kept_answer(slot)
                    if kept is not None:
                        return self._replay(kept, fingerprint, key)
                    self._in_progress[slot] = threading.Event()
                    break
            waiting.wait()
        try:
            response = perform()
            with self.store.transaction() as conn:
                conn.execute(
                    "INSERT OR REPLACE INTO idempotency (client_id, key, fingerprint, status, "
                    "content_type, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        *slot,
                        fingerprint,
                        response.status,
                        response.content_type,
                        response.body,
                        wire.now(),
                    ),
                )
            return response
        finally:
            with self._idempotency_lock:
                self._in_progress.pop(slot).set()

    def expire_idempotency_keys(self) -> None:
        """As if Xero's 6 minutes had passed for every key: each is new again."""
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM idempotency")

    def _kept_answer(self, slot: tuple[str, str]):
        with self.store.transaction() as conn:
            found = conn.execute(
                "SELECT fingerprint, status, content_type, body, created_at FROM idempotency "
                "WHERE client_id = ? AND key = ?",
                slot,
            ).fetchone()
        if found is None or found[4] < wire.now() - self.config.idempotency_seconds:
            return None
        return found

    @staticmethod
    def _replay(kept, fingerprint: str, key: str) -> Response:
        kept_fingerprint, status, content_type, body, _created_at = kept
        if kept_fingerprint != fingerprint:
            return error_response(
                faults.request_error(f"Idempotency Key {key} is used with a different request.")
            )
        return Response(status, bytes(body), content_type, replayed=True)


def _json(body: bytes):
    if not body.strip():
        return None
    try:
        payload = wire.loads(body)
        # A lone UTF-16 surrogate (`"\ud800"`) parses, but no text stored or answered can hold
        # it: encoding it again raises UnicodeEncodeError, a ValueError.
        wire.dumps_bytes(payload)
    except (ValueError, RecursionError):
        raise faults.request_error("The request body is not valid JSON.") from None
    return payload


def new_correlation_id() -> str:
    return str(uuid.uuid4())


def _first_elements(body: bytes, kept: int) -> bytes:
    """The body of a write with only its first `kept` elements (a body that is not an
    envelope of elements goes as it is)."""
    try:
        payload = json.loads(body)
    except ValueError:
        return body
    if not isinstance(payload, dict):
        return body
    lists = [name for name, value in payload.items() if isinstance(value, list)]
    if len(lists) != 1:
        return body
    return json.dumps({**payload, lists[0]: payload[lists[0]][:kept]}).encode()
