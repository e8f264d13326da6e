"""The sandbox application: its parts wired together, and what the company API does with one
authenticated request (rate limits, injected faults, requestid replay, the operation itself)."""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field, replace

from . import faults, wire
from .chaos import DEFAULT_TIMEOUT_SECONDS, FaultBoard, FaultRule
from .oauth import OAuthServer
from .service import (
    DEFAULT_COMPANY_NAME,
    DEFAULT_REALM_ID,
    PATH_ENTITIES,
    READ_ONLY_ENTITIES,
    CompanyService,
)
from .storage import Store
from .throttle import Limits, RateLimiter, Throttled
from .webhooks import WebhookNotifier, WebhookSettings

logger = logging.getLogger(__name__)

JSON_TYPE = "application/json;charset=UTF-8"
XML_TYPE = "application/xml;charset=UTF-8"
QBO_VERSION = "1834.234"
REQUEST_ID_LIMIT = 50
BATCH_REQUEST_ID_LIMIT = 36
REQUEST_LOG_SIZE = 200_000


@dataclass
class SandboxConfig:
    data_file: str
    client_id: str = "sandbox-client"
    client_secret: str = "sandbox-secret"
    auto_approve: bool = False
    redirect_uris: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    webhook: WebhookSettings = field(default_factory=WebhookSettings)
    realm_id: str = DEFAULT_REALM_ID
    company_name: str = DEFAULT_COMPANY_NAME
    request_id_ttl_seconds: float = 24 * 3600
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
    items: int = 0  # how many items a batch request carried, for the request log


def json_response(status: int, body, **headers: str) -> Response:
    return Response(status, wire.dumps_bytes(body), JSON_TYPE, dict(headers))


def fault_response(fault: faults.QBOFault) -> Response:
    return json_response(fault.status, fault.body())


class Sandbox:
    def __init__(self, config: SandboxConfig):
        self.config = config
        self.store = Store(config.data_file)
        self.notifier = WebhookNotifier(replace(config.webhook))
        self.auto_approve = config.auto_approve
        self.service = CompanyService(self.store, self.notifier.publish)
        self.oauth = OAuthServer(
            self.store,
            client_id=config.client_id,
            client_secret=config.client_secret,
            redirect_uris=config.redirect_uris,
        )
        self.limiter = RateLimiter(config.limits)
        self.faults = FaultBoard()
        for rule in config.initial_faults:
            self.faults.add(rule)
        self._log: deque = deque(maxlen=REQUEST_LOG_SIZE)
        self._log_lock = threading.Lock()
        self.service.ensure_company(config.realm_id, config.company_name)

    def reset(self) -> None:
        """Empty data, tokens, replay memory, faults, limits and the request log."""
        self.faults.clear()
        self.limiter.reset()
        self.notifier.settings = replace(self.config.webhook)
        self.notifier.discard_pending()
        self.auto_approve = self.config.auto_approve
        self.clear_request_log()
        self.store.wipe()
        self.service.ensure_company(self.config.realm_id, self.config.company_name)

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

    # -- the company API -------------------------------------------------------------------

    def throttled_response(self) -> Response:
        if self.limiter.limits.throttle_body == "json":
            return json_response(429, faults.throttle_json())
        return Response(429, faults.throttle_xml(), XML_TYPE)

    def handle_api(
        self, method: str, realm_id: str, segments: list[str], params: dict, body: bytes
    ) -> Response:
        """One authenticated company API request."""
        response = self._answer(method, realm_id, segments, params, body)
        if segments[:1] == ["batch"]:
            response.items = _batch_items(body)
        return response

    def _answer(self, method, realm_id, segments, params, body) -> Response:
        request_id = params.get("requestid")
        is_batch = segments[:1] == ["batch"]
        if request_id is not None:
            limit = BATCH_REQUEST_ID_LIMIT if is_batch else REQUEST_ID_LIMIT
            if len(request_id) > limit:
                return fault_response(faults.string_too_long("requestid", limit, len(request_id)))
        fired = self.faults.take(method, _resources(segments, params, body))
        kinds = [rule.kind for rule in fired]
        if "throttle" in kinds:
            return self._with_faults(self.throttled_response(), kinds)
        try:
            with self.limiter.admit(realm_id, batch=is_batch):
                return self._with_faults(
                    self._faulted(fired, method, realm_id, segments, params, body), kinds
                )
        except Throttled:
            return self.throttled_response()

    @staticmethod
    def _with_faults(response: Response, kinds: list[str]) -> Response:
        response.faults = kinds
        return response

    def _faulted(self, fired, method, realm_id, segments, params, body) -> Response:
        rules = {rule.kind: rule for rule in fired}
        if "latency" in rules:
            time.sleep(rules["latency"].seconds or 1.0)
        if "timeout" in rules:
            self.faults.released.wait(rules["timeout"].seconds or DEFAULT_TIMEOUT_SECONDS)
            return Response(0, drop=True)
        if "http_500" in rules:
            return fault_response(faults.system_failure())
        if "http_503" in rules:
            page = b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
            return Response(503, page, "text/html")
        if "xml_error" in rules:
            body_xml = faults.xml_fault(
                "6000",
                faults.BUSINESS_MESSAGE,
                "Business Validation Error: The request could not be processed.",
                "ValidationFault",
            )
            return Response(400, body_xml, XML_TYPE)
        if "drop_mid_batch" in rules and segments[:1] == ["batch"]:
            # QuickBooks stored the first items, then the answer never left: nothing to replay.
            self.service.batch(
                realm_id,
                _json(body),
                with_request_id=params.get("requestid") is not None,
                stop_after=rules["drop_mid_batch"].items or 1,
            )
            return Response(0, drop=True)
        response = self._replayable(method, realm_id, segments, params, body)
        if "drop_after_commit" in rules:
            return Response(response.status, drop=True)
        if "malformed_body" in rules:
            return Response(response.status, response.body[: len(response.body) // 2], JSON_TYPE)
        return response

    def _replayable(self, method, realm_id, segments, params, body) -> Response:
        request_id = params.get("requestid")
        if request_id is None:
            return self._perform(method, realm_id, segments, params, body)
        with self.store.transaction() as conn:
            found = conn.execute(
                "SELECT status, content_type, body, created_at FROM replay "
                "WHERE realm_id = ? AND request_id = ?",
                (realm_id, request_id),
            ).fetchone()
            if found is not None:
                status, content_type, stored_body, created_at = found
                if created_at >= wire.now() - self.config.request_id_ttl_seconds:
                    return Response(status, bytes(stored_body), content_type, replayed=True)
                conn.execute(
                    "DELETE FROM replay WHERE realm_id = ? AND request_id = ?",
                    (realm_id, request_id),
                )
            response = self._perform(method, realm_id, segments, params, body)
            if response.status < 500:
                conn.execute(
                    "INSERT INTO replay (realm_id, request_id, status, content_type, body, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        realm_id,
                        request_id,
                        response.status,
                        response.content_type,
                        response.body,
                        wire.now(),
                    ),
                )
            return response

    def _perform(self, method, realm_id, segments, params, body) -> Response:
        try:
            return json_response(200, self._operation(method, realm_id, segments, params, body))
        except faults.QBOFault as fault:
            return fault_response(fault)
        except Exception:
            logger.exception("Sandbox failure on %s %s", method, "/".join(segments))
            return fault_response(faults.system_failure())

    def _operation(self, method, realm_id, segments, params, body) -> dict:
        service = self.service
        resource = segments[0].lower() if segments else ""
        if resource == "query" and method in ("GET", "POST"):
            text = params.get("query") if method == "GET" else _text(body)
            return {
                "QueryResponse": service.query(realm_id, text or ""),
                "time": wire.envelope_time(),
            }
        if resource == "batch" and method == "POST" and len(segments) == 1:
            items = service.batch(
                realm_id, _json(body), with_request_id=params.get("requestid") is not None
            )
            return {"BatchItemResponse": items, "time": wire.envelope_time()}
        if resource == "cdc" and method in ("GET", "POST") and len(segments) == 1:
            changes = service.cdc(realm_id, params.get("entities"), params.get("changedSince"))
            return {"CDCResponse": changes, "time": wire.envelope_time()}
        if resource == "preferences" and method == "GET" and len(segments) == 1:
            return {"Preferences": service.preferences(realm_id), "time": wire.envelope_time()}
        entity = PATH_ENTITIES.get(resource)
        if entity is None:
            raise faults.unsupported_operation(f"Operation {'/'.join(segments)} is not supported.")
        if method == "GET" and len(segments) == 2:
            return {
                entity: service.read(realm_id, entity, segments[1]),
                "time": wire.envelope_time(),
            }
        if method == "POST" and len(segments) == 1 and entity not in READ_ONLY_ENTITIES:
            operation = params.get("operation", "update" if "Id" in _json(body) else "create")
            actions = {"create": service.create, "update": service.update, "delete": service.delete}
            if operation not in actions:
                raise faults.unsupported_operation(f"Operation {operation} is not supported.")
            if operation == "update" and params.get("include") == "void":
                # Intuit voids a BillPayment through an update; `operation=void` is refused.
                result = service.void(realm_id, entity, _json(body))
            else:
                result = actions[operation](realm_id, entity, _json(body))
            return {entity: result, "time": wire.envelope_time()}
        raise faults.unsupported_operation(
            f"Operation {method} {'/'.join(segments)} is not supported."
        )


def new_tid() -> str:
    return f"1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}"


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise faults.unsupported_operation("The request body is not valid UTF-8.") from None


def _batch_items(body: bytes) -> int:
    try:
        items = wire.loads(body.decode("utf-8")).get("BatchItemRequest")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return 0
    return len(items) if isinstance(items, list) else 0


def _json(body: bytes):
    text = _text(body)
    try:
        return wire.loads(text) if text.strip() else {}
    except ValueError as error:
        raise faults.invalid_value("", f"Request body is not valid JSON: {error}") from None


_FROM = re.compile(r"\bfrom\s+(\w+)", re.IGNORECASE)


def _resources(segments: list[str], params: dict, body: bytes) -> tuple[str, ...]:
    """What a request touches, for scoping faults: the path resource and the entities named."""
    names = [segments[0].lower()] if segments else []
    text = params.get("query", "")
    if names[:1] in (["query"], ["batch"]):
        text += body.decode("utf-8", "replace")
    names += [match.lower() for match in _FROM.findall(text)]
    if names[:1] == ["batch"]:
        names += [entity for entity in PATH_ENTITIES if f'"{PATH_ENTITIES[entity]}"' in text]
    if names[:1] == ["cdc"]:
        names += [name.strip().lower() for name in params.get("entities", "").split(",")]
    return tuple(names)
