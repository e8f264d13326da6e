"""The control API under /_sandbox/: plain JSON for tests, demos and benchmarks.

Not reachable through Xero's paths; it changes the sandbox itself (reset, faults, limits,
tokens, organisations, lock dates, consent, webhooks) and reads what it stored and was asked.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date

from . import contacts, wire
from .app import Response, Sandbox, json_response
from .books import Books
from .chaos import FaultRule
from .faults import Invalid
from .storage import Unit
from .throttle import Limits

LIMIT_FIELDS = tuple(Limits.__dataclass_fields__)
KINDS = (
    "Account",
    "TaxRate",
    "Contact",
    "Item",
    "TrackingCategory",
    "PurchaseOrder",
    "Invoice",
    "CreditNote",
    "BankTransaction",
    "Payment",
)
DEFAULT_SCOPE = (
    "openid profile email offline_access accounting.transactions accounting.contacts "
    "accounting.settings"
)


class ControlError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _payload(body: bytes) -> dict:
    try:
        payload = wire.loads(body) if body.strip() else {}
    except (ValueError, RecursionError) as error:
        raise ControlError(400, f"The body is not valid JSON: {error!r}") from None
    if not isinstance(payload, dict):
        raise ControlError(400, "The body must be a JSON object.")
    return payload


def _tenant(sandbox: Sandbox, value) -> str:
    tenant_id = str(value or sandbox.config.tenant_id).lower()
    if tenant_id not in {org["OrganisationID"] for org in sandbox.organisations()}:
        raise ControlError(404, f"No organisation with tenant id {tenant_id}.")
    return tenant_id


def _status(sandbox: Sandbox) -> dict:
    return {
        "base_url": sandbox.base_url,
        "tenant_id": sandbox.config.tenant_id,
        "organisations": [
            {"tenant_id": org["OrganisationID"], "name": org["Name"], "country": org["CountryCode"]}
            for org in sandbox.organisations()
        ],
        "client_id": sandbox.config.client_id,
        "client_secret": sandbox.config.client_secret,
        "redirect_uris": list(sandbox.config.redirect_uris),
        "auto_approve": sandbox.auto_approve,
        "consent_tenants": sandbox.consent_tenants,
        "max_active_options": sandbox.max_active_options,
        "limits": asdict(sandbox.limiter.limits),
        "faults": sandbox.faults.rules(),
        "webhook": asdict(sandbox.notifier.settings),
    }


def _route(sandbox: Sandbox, method: str, path: str, params: dict, body: bytes):
    parts = path.split("/")[2:]
    route = (method, "/".join(parts))
    if route == ("GET", "status"):
        return _status(sandbox)
    if route == ("POST", "reset"):
        sandbox.reset()
        return _status(sandbox)
    if parts[0] == "faults":
        return _faults(sandbox, method, body)
    if route == ("POST", "limits"):
        payload = _payload(body)
        unknown = set(payload) - set(LIMIT_FIELDS)
        if unknown:
            raise ControlError(400, f"Unknown limits: {', '.join(sorted(unknown))}")
        numbers = {
            name: float(value) if name.endswith("_seconds") else int(value)
            for name, value in payload.items()
            if value is not None
        }
        return asdict(sandbox.limiter.configure(**numbers))
    if parts[0] == "tokens":
        return _tokens(sandbox, method, parts[1:], body)
    if method == "GET" and parts[0] == "records" and len(parts) == 2:
        if parts[1] not in KINDS:
            raise ControlError(
                404, f"Unknown record kind {parts[1]}; use one of {', '.join(KINDS)}."
            )
        tenant_id = _tenant(sandbox, params.get("tenant_id"))
        with sandbox.store.transaction() as conn:
            return {"records": Unit(sandbox.store, conn, tenant_id).all(parts[1])}
    if route == ("POST", "organisations"):
        payload = _payload(body)
        tenant_id = str(payload.get("tenant_id") or uuid.uuid4()).lower()
        country = str(payload.get("country") or "NZ")
        try:
            sandbox.add_organisation(tenant_id, str(payload.get("name") or tenant_id), country)
        except ValueError as error:
            raise ControlError(400, str(error)) from None
        return {"tenant_id": tenant_id}
    if route == ("POST", "lock-dates"):
        return _lock_dates(sandbox, _payload(body))
    if route == ("POST", "consent"):
        payload = _payload(body)
        sandbox.auto_approve = bool(payload.get("auto_approve", sandbox.auto_approve))
        if payload.get("tenant_ids") is not None:
            if not isinstance(payload["tenant_ids"], list):
                raise ControlError(400, "tenant_ids must be a list of tenant ids.")
            sandbox.consent_tenants = [_tenant(sandbox, t) for t in payload["tenant_ids"]]
        return {"auto_approve": sandbox.auto_approve, "tenant_ids": sandbox.consent_tenants}
    if route == ("POST", "settings"):
        payload = _payload(body)
        limit = int(payload.get("max_active_options", sandbox.max_active_options))
        if limit < 1:
            raise ControlError(400, "max_active_options must be 1 or more.")
        sandbox.max_active_options = limit
        return {"max_active_options": limit}
    if route == ("POST", "webhooks"):
        payload = _payload(body)
        settings = sandbox.notifier.settings
        for name in ("url", "key"):
            if name in payload:
                setattr(settings, name, None if payload[name] is None else str(payload[name]))
        if payload.get("gather_seconds") is not None:
            settings.gather_seconds = float(payload["gather_seconds"])
        return asdict(settings)
    if route == ("POST", "webhooks/intent-to-receive"):
        payload = _payload(body)
        try:
            return sandbox.notifier.intent_to_receive(
                good=int(payload.get("good", 2)), bad=int(payload.get("bad", 2))
            )
        except ValueError as error:
            raise ControlError(400, str(error)) from None
    if parts[0] == "requests":
        if method == "DELETE":
            sandbox.clear_request_log()
            return {"requests": []}
        return {"requests": sandbox.request_log()}
    if route == ("POST", "idempotency/expire"):
        sandbox.expire_idempotency_keys()
        return {"expired": True}
    if route == ("POST", "seed-contacts"):
        return _seed_contacts(sandbox, _payload(body))
    raise ControlError(404, f"No control endpoint {method} {path}.")


def _lock_dates(sandbox: Sandbox, payload: dict) -> dict:
    """What an adviser sets under Xero's lock dates: YYYY-MM-DD, or null to lift one."""
    tenant_id = _tenant(sandbox, payload.get("tenant_id"))
    with sandbox.store.transaction() as conn:
        unit = Unit(sandbox.store, conn, tenant_id)
        organisation = unit.organisation()
        for name in ("PeriodLockDate", "EndOfYearLockDate"):
            if name not in payload:
                continue
            if payload[name] is None:
                organisation.pop(name, None)
                continue
            try:
                organisation[name] = wire.ms_date(date.fromisoformat(str(payload[name])))
            except ValueError:
                raise ControlError(400, f"{name} must be YYYY-MM-DD or null.") from None
        unit.save_organisation(organisation)
    return {
        name: organisation[name]
        for name in ("PeriodLockDate", "EndOfYearLockDate")
        if name in organisation
    }


def _seed_contacts(sandbox: Sandbox, payload: dict) -> dict:
    """`count` contacts named '<prefix> 0001'…, stored as if created through the API."""
    count = int(payload.get("count", 0))
    if not 0 < count <= 10_000:
        raise ControlError(400, "count must be between 1 and 10,000.")
    prefix = str(payload.get("prefix", "Contact"))
    tenant_id = _tenant(sandbox, payload.get("tenant_id"))
    with sandbox.store.transaction() as conn:
        books = Books(Unit(sandbox.store, conn, tenant_id))
        try:
            ids = [
                contacts.create(books, {"Name": f"{prefix} {number:04d}"})["ContactID"]
                for number in range(1, count + 1)
            ]
        except Invalid as error:
            raise ControlError(400, "; ".join(error.messages)) from None
    return {"contact_ids": ids}


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
            resource=payload.get("resource"),
            method=payload.get("method"),
            seconds=None if payload.get("seconds") is None else float(payload["seconds"]),
            problem=str(payload.get("problem") or "minute"),
            after=int(payload.get("after", 0)),
            elements=int(payload["elements"]) if payload.get("elements") is not None else None,
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
        tenant_ids = payload.get("tenant_ids") or [sandbox.config.tenant_id]
        if not isinstance(tenant_ids, list):
            raise ControlError(400, "tenant_ids must be a list of tenant ids.")
        tenants = [_tenant(sandbox, tenant_id) for tenant_id in tenant_ids]
        seconds = float(payload.get("access_ttl_seconds", 1800))
        return oauth.issue_directly(tenants, str(payload.get("scope") or DEFAULT_SCOPE), seconds)
    if rest == ["expire-access"]:
        oauth.expire_access_tokens()
        return {"expired": True}
    if rest == ["revoke-all"]:
        oauth.revoke_all()
        return {"revoked": True}
    raise ControlError(404, "Unknown tokens endpoint.")


def handle_control(sandbox: Sandbox, method: str, path: str, params: dict, body: bytes) -> Response:
    try:
        return json_response(200, _route(sandbox, method, path, params, body))
    except ControlError as error:
        return json_response(error.status, {"error": error.message})
    except (TypeError, ValueError) as error:
        # A setting of the wrong kind (`"count": "ten"`, `"tenant_ids": "…"`): the caller's to fix.
        return json_response(400, {"error": f"A value in the request is not valid: {error}"})
