"""The control API under /_sandbox/: plain JSON for tests, demos and benchmarks.

Not reachable through the OAuth'd company API paths; it changes the sandbox itself (reset,
faults, limits, tokens, seeding) and reads what the sandbox stored and was asked.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from . import faults, seeding, wire
from .app import Response, Sandbox, json_response
from .chaos import FaultRule
from .service import PATH_ENTITIES
from .throttle import Limits

LIMIT_FIELDS = tuple(Limits.__dataclass_fields__)


class ControlError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _payload(body: bytes) -> dict:
    try:
        payload = wire.loads(body) if body.strip() else {}
    except ValueError as error:
        raise ControlError(400, f"The body is not valid JSON: {error}") from None
    if not isinstance(payload, dict):
        raise ControlError(400, "The body must be a JSON object.")
    return payload


def _entity(name: str) -> str:
    entity = PATH_ENTITIES.get(name.lower())
    if entity is None:
        raise ControlError(404, f"Unknown entity {name}.")
    return entity


def _realm(sandbox: Sandbox, value: str | None) -> str:
    realm_id = value or sandbox.config.realm_id
    if not sandbox.service.company_exists(realm_id):
        raise ControlError(404, f"No company with realm id {realm_id}.")
    return realm_id


def _status(sandbox: Sandbox) -> dict:
    return {
        "realm_id": sandbox.config.realm_id,
        "company_name": sandbox.config.company_name,
        "client_id": sandbox.config.client_id,
        "client_secret": sandbox.config.client_secret,
        "auto_approve": sandbox.auto_approve,
        "limits": asdict(sandbox.limiter.limits),
        "faults": sandbox.faults.rules(),
        "webhook": asdict(sandbox.notifier.settings),
    }


def _route(sandbox: Sandbox, method: str, path: str, params: dict, body: bytes):
    parts = path.split("/")[2:]
    route = (method, parts[0] if parts else "")
    if route == ("GET", "status"):
        return _status(sandbox)
    if route == ("POST", "reset"):
        sandbox.reset()
        return _status(sandbox)
    if route[1] == "faults":
        return _faults(sandbox, method, body)
    if route == ("POST", "limits"):
        payload = _payload(body)
        unknown = set(payload) - set(LIMIT_FIELDS)
        if unknown:
            raise ControlError(400, f"Unknown limits: {', '.join(sorted(unknown))}")
        if payload.get("throttle_body") not in (None, "xml", "json"):
            raise ControlError(400, "throttle_body must be 'xml' or 'json'.")
        numbers = {
            k: float(v) if k == "window_seconds" else int(v)
            for k, v in payload.items()
            if k != "throttle_body" and v is not None
        }
        limits = sandbox.limiter.configure(throttle_body=payload.get("throttle_body"), **numbers)
        return asdict(limits)
    if route[1] == "tokens":
        return _tokens(sandbox, method, parts[1:], body)
    if route[1] == "entities" and len(parts) == 2:
        return _entities(sandbox, method, _entity(parts[1]), params, body)
    if route == ("POST", "seed-vendors"):
        payload = _payload(body)
        count = int(payload.get("count", 0))
        if not 0 < count <= 1_000_000:
            raise ControlError(400, "count must be between 1 and 1,000,000.")
        realm_id = _realm(sandbox, payload.get("realm_id"))
        total = sandbox.service.seed_vendors(realm_id, count, str(payload.get("prefix", "Vendor")))
        return {"vendors": total}
    if route == ("POST", "seed-job-costs"):
        return _seed_job_costs(sandbox, _payload(body))
    if route[1] == "requests":
        if method == "DELETE":
            sandbox.clear_request_log()
            return {"requests": []}
        return {"requests": sandbox.request_log()}
    if route == ("POST", "webhooks"):
        payload = _payload(body)
        settings = sandbox.notifier.settings
        if payload.get("format", settings.format) not in ("legacy", "cloudevents"):
            raise ControlError(400, "format must be 'legacy' or 'cloudevents'.")
        for name in ("url", "verifier", "format"):
            if name in payload:
                setattr(settings, name, None if payload[name] is None else str(payload[name]))
        if payload.get("gather_seconds") is not None:
            settings.gather_seconds = float(payload["gather_seconds"])
        return asdict(settings)
    if route == ("POST", "book-close-date"):
        payload = _payload(body)
        close_date = payload.get("book_close_date")
        if close_date is not None and not _is_iso_date(str(close_date)):
            raise ControlError(400, "book_close_date must be YYYY-MM-DD or null.")
        realm_id = _realm(sandbox, payload.get("realm_id"))
        return sandbox.service.set_book_close_date(realm_id, close_date)
    if route == ("POST", "consent"):
        sandbox.auto_approve = bool(_payload(body).get("auto_approve"))
        return {"auto_approve": sandbox.auto_approve}
    if route == ("POST", "companies"):
        payload = _payload(body)
        realm_id = str(payload.get("realm_id", "")).strip()
        if not realm_id.isdigit():
            raise ControlError(400, "realm_id must be digits.")
        country = str(payload.get("country") or "US").upper()
        try:
            sandbox.service.ensure_company(
                realm_id,
                str(payload.get("name") or realm_id),
                country=country,
                multicurrency=bool(payload.get("multicurrency")),
            )
        except ValueError as error:
            raise ControlError(400, str(error)) from None
        return {"realm_id": realm_id, "country": country}
    raise ControlError(404, f"No control endpoint {method} {path}.")


def _is_iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _seed_job_costs(sandbox: Sandbox, payload: dict) -> dict:
    count = int(payload.get("count", 0))
    if not 0 < count <= 1_000_000:
        raise ControlError(400, "count must be between 1 and 1,000,000.")
    missing = [name for name in ("vendor_id", "job_id", "item_id") if not payload.get(name)]
    if missing:
        raise ControlError(400, f"Missing {', '.join(missing)}.")
    age_seconds = float(payload.get("age_seconds") or 0)
    if not 0 <= age_seconds <= 365 * 24 * 3600:
        raise ControlError(400, "age_seconds must be between 0 and a year.")
    realm_id = _realm(sandbox, payload.get("realm_id"))
    with sandbox.service.unit(realm_id) as unit:
        ids = seeding.seed_bills(
            unit,
            count=count,
            vendor_id=str(payload["vendor_id"]),
            job_id=str(payload["job_id"]),
            item_id=str(payload["item_id"]),
            amount=str(payload.get("amount", "100.00")),
            txn_date=payload.get("txn_date"),
            prefix=str(payload.get("prefix", "JC")),
            age_seconds=age_seconds,
        )
    return {"bills": count, "first_id": str(ids[0]), "last_id": str(ids[-1])}


def _faults(sandbox: Sandbox, method: str, body: bytes):
    if method == "GET":
        return {"faults": sandbox.faults.rules()}
    if method == "DELETE":
        sandbox.faults.clear()
        return {"faults": []}
    payload = _payload(body)
    try:
        rule = FaultRule(
            kind=str(payload.get("kind")),
            count=int(payload.get("count", 1)),
            entity=payload.get("entity"),
            method=payload.get("method"),
            seconds=None if payload.get("seconds") is None else float(payload["seconds"]),
            items=None if payload.get("items") is None else int(payload["items"]),
        )
        sandbox.faults.add(rule)
    except (TypeError, ValueError) as error:
        raise ControlError(400, str(error)) from None
    return {"faults": sandbox.faults.rules()}


def _tokens(sandbox: Sandbox, method: str, rest: list[str], body: bytes):
    oauth = sandbox.oauth
    if method != "POST":
        raise ControlError(405, "Use POST.")
    if rest == []:
        payload = _payload(body)
        realm_id = _realm(sandbox, payload.get("realm_id"))
        seconds = float(payload.get("access_ttl_seconds", 3600))
        return oauth.issue_directly(realm_id, seconds)
    if rest == ["expire-access"]:
        oauth.expire_access_tokens()
        return {"expired": True}
    if rest == ["revoke-refresh"]:
        oauth.revoke_refresh_tokens()
        return {"revoked": True}
    raise ControlError(404, "Unknown tokens endpoint.")


def _entities(sandbox: Sandbox, method: str, entity: str, params: dict, body: bytes):
    realm_id = _realm(sandbox, params.get("realm_id"))
    if method == "GET":
        include_inactive = params.get("include_inactive", "true").lower() != "false"
        return {entity: sandbox.service.stored(realm_id, entity, include_inactive)}
    if method == "POST":
        return {entity: sandbox.service.create(realm_id, entity, _payload(body))}
    raise ControlError(405, "Use GET or POST.")


def handle_control(sandbox: Sandbox, method: str, path: str, params: dict, body: bytes) -> Response:
    try:
        return json_response(200, _route(sandbox, method, path, params, body))
    except ControlError as error:
        return json_response(error.status, {"error": error.message})
    except faults.QBOFault as fault:
        return json_response(fault.status, fault.body())
