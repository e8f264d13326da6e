"""Intuit OAuth 2.0: discovery, the authorization URL, code exchange, token refresh and revoke.

Endpoints come from the discovery document named in settings.QUICKBOOKS_ONLINE["DISCOVERY_URL"],
so switching between our sandbox and Intuit is configuration only.
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import timedelta
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.utils import timezone

from integrations.base import ERPError, NotConnectedError, PermanentERPError, TransientERPError
from integrations.exact_json import parse_json
from integrations.oauth_tokens import TokenSet
from integrations.quickbooks_online.errors import RECONNECT_ADVICE, error_for_exception

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
DISCOVERY_CACHE_SECONDS = 3600

_discovery_cache: dict[str, tuple[float, dict]] = {}
_discovery_lock = threading.Lock()


def discovery_document() -> dict:
    """Intuit's OpenID discovery document (endpoints), cached for an hour per URL."""
    url = _config()["DISCOVERY_URL"]
    with _discovery_lock:
        cached = _discovery_cache.get(url)
        if cached and cached[0] > time.monotonic():
            return cached[1]
    try:
        response = requests.get(
            url, headers={"Accept": "application/json"}, timeout=request_timeout()
        )
    except requests.RequestException as exc:
        raise error_for_exception(exc) from exc
    document = _json_or_none(response)
    if response.status_code != 200 or not isinstance(document, dict):
        raise TransientERPError(
            "We could not read QuickBooks Online's sign-in settings; please try again shortly.",
            status=response.status_code,
            detail=response.text[:500],
        )
    with _discovery_lock:
        _discovery_cache[url] = (time.monotonic() + DISCOVERY_CACHE_SECONDS, document)
    return document


def new_state() -> str:
    """An unguessable value tying the callback to the browser session that started the flow."""
    return secrets.token_urlsafe(32)


def authorization_url(*, state: str) -> str:
    """Where to send the administrator to approve access to a QuickBooks company."""
    config = _config()
    query = urlencode(
        {
            "client_id": config["CLIENT_ID"],
            "response_type": "code",
            "scope": ACCOUNTING_SCOPE,
            "redirect_uri": config["REDIRECT_URI"],
            "state": state,
        }
    )
    return f"{discovery_document()['authorization_endpoint']}?{query}"


def exchange_code(code: str) -> TokenSet:
    """Trade the authorization code from the callback for tokens."""
    return _token_request(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": _config()["REDIRECT_URI"],
        },
        refused_message=(
            "QuickBooks Online did not accept the approval (it may have expired). "
            "Please press Connect again."
        ),
    )


def refresh(refresh_token: str) -> TokenSet:
    """New tokens from a refresh token; the returned refresh token replaces the old one."""
    if not refresh_token:
        raise NotConnectedError("QuickBooks Online is not connected. " + RECONNECT_ADVICE)
    return _token_request(
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
        refused_message=(
            "QuickBooks Online no longer accepts our connection: its authorization expired or "
            "was revoked. " + RECONNECT_ADVICE
        ),
    )


def revoke(token: str) -> None:
    """Tell Intuit to forget a refresh token (and the access tokens issued from it)."""
    endpoint = discovery_document()["revocation_endpoint"]
    try:
        response = requests.post(
            endpoint,
            json={"token": token},
            auth=_client_auth(),
            headers={"Accept": "application/json"},
            timeout=request_timeout(),
        )
    except requests.RequestException as exc:
        raise error_for_exception(exc) from exc
    if response.status_code >= 500:
        raise TransientERPError(
            f"QuickBooks Online could not end the connection (HTTP {response.status_code}).",
            status=response.status_code,
            detail=response.text[:500],
        )
    if response.status_code not in (200, 204) and not _already_invalid(response):
        raise PermanentERPError(
            f"QuickBooks Online refused to end the connection (HTTP {response.status_code}).",
            status=response.status_code,
            detail=response.text[:500],
        )


def _token_request(form: dict, *, refused_message: str) -> TokenSet:
    endpoint = discovery_document()["token_endpoint"]
    try:
        response = requests.post(
            endpoint,
            data=form,
            auth=_client_auth(),
            headers={"Accept": "application/json"},
            timeout=request_timeout(),
        )
    except requests.RequestException as exc:
        raise error_for_exception(exc) from exc
    body = _json_or_none(response)
    if response.status_code >= 500 or (response.status_code == 200 and not isinstance(body, dict)):
        raise TransientERPError(
            "QuickBooks Online's sign-in service had a problem; we will try again.",
            status=response.status_code,
            detail=response.text[:500],
        )
    if response.status_code != 200:
        oauth_error = body.get("error", "") if isinstance(body, dict) else ""
        error_class: type[ERPError] = (
            NotConnectedError if oauth_error == "invalid_grant" else PermanentERPError
        )
        if oauth_error in ("invalid_client", "unauthorized_client"):
            refused_message = (
                "QuickBooks Online does not recognise this application's client id and secret "
                "(QBO_CLIENT_ID / QBO_CLIENT_SECRET). Ask whoever runs this site to check them."
            )
        raise error_class(
            refused_message,
            code=oauth_error,
            detail=str(body.get("error_description", "")) if isinstance(body, dict) else "",
            status=response.status_code,
            response_body=body,
        )
    try:
        now = timezone.now()
        return TokenSet(
            access_token=body["access_token"],
            refresh_token=body["refresh_token"],
            access_token_expires_at=now + timedelta(seconds=int(body["expires_in"])),
            refresh_token_expires_at=now
            + timedelta(seconds=int(body.get("x_refresh_token_expires_in", 8726400))),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise TransientERPError(
            "QuickBooks Online's sign-in service sent an incomplete answer; we will try again.",
            status=response.status_code,
            detail=f"{type(exc).__name__}: {exc}",
        ) from exc


def _already_invalid(response: requests.Response) -> bool:
    """Revoking a token Intuit already forgot leaves us where we wanted to be."""
    body = _json_or_none(response)
    return (
        response.status_code == 400
        and isinstance(body, dict)
        and body.get("error")
        in (
            "invalid_grant",
            "invalid_token",
        )
    )


def _json_or_none(response: requests.Response):
    try:
        return parse_json(response.text)
    except ValueError:
        return None


def _client_auth() -> tuple[str, str]:
    config = _config()
    return (config["CLIENT_ID"], config["CLIENT_SECRET"])


def request_timeout() -> tuple[float, float]:
    """(connect, read) timeouts for every call to QuickBooks Online and Intuit's sign-in service."""
    config = _config()
    read = float(config["TIMEOUT_SECONDS"])
    return (float(config.get("CONNECT_TIMEOUT_SECONDS", min(read, 10.0))), read)


def _config() -> dict:
    return settings.QUICKBOOKS_ONLINE
