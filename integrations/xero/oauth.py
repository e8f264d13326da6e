"""Xero's OAuth 2.0: the authorization URL, code exchange, token refresh, revocation, and the
organisations (tenants) a token is connected to.

Addresses come from settings.XERO (AUTHORIZE_URL, IDENTITY_BASE_URL, API_BASE_URL), so switching
between our sandbox and Xero is configuration only. Xero rotates refresh tokens: each refresh
returns a new one that replaces the old (which keeps working 30 minutes, for a lost answer).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlencode

import requests
from django.conf import settings
from django.utils import timezone

from integrations.base import ERPError, NotConnectedError, PermanentERPError, TransientERPError
from integrations.exact_json import parse_json
from integrations.oauth_tokens import TokenSet
from integrations.xero.errors import RECONNECT_ADVICE, error_for_exception

# Xero documents 60 days for an unused refresh token; the token answer does not say.
REFRESH_TOKEN_LIFETIME = timedelta(days=60)


@dataclass(frozen=True)
class Tenant:
    """One organisation the token may reach (an entry of GET /connections)."""

    connection_id: str
    tenant_id: str
    name: str
    tenant_type: str


def new_state() -> str:
    return secrets.token_urlsafe(32)


def authorization_url(*, state: str) -> str:
    config = _config()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": config["CLIENT_ID"],
            "redirect_uri": config["REDIRECT_URI"],
            "scope": config["SCOPES"],
            "state": state,
        },
        quote_via=quote,
    )
    return f"{config['AUTHORIZE_URL']}?{query}"


def exchange_code(code: str) -> TokenSet:
    return _token_request(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": _config()["REDIRECT_URI"],
        },
        refused_message=(
            "Xero did not accept the approval (it may have expired). Please press Connect again."
        ),
    )


def refresh(refresh_token: str) -> TokenSet:
    if not refresh_token:
        raise NotConnectedError("Xero is not connected. " + RECONNECT_ADVICE)
    return _token_request(
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
        refused_message=(
            "Xero no longer accepts our connection: its authorization expired or was revoked. "
            + RECONNECT_ADVICE
        ),
    )


def revoke(refresh_token: str) -> None:
    """Tell Xero to forget the grant (it also ends the grant's connections to organisations)."""
    try:
        response = requests.post(
            f"{_identity_url()}/connect/revocation",
            data={"token": refresh_token},
            auth=_client_auth(),
            headers={"Accept": "application/json"},
            timeout=request_timeout(),
        )
    except requests.RequestException as exc:
        raise error_for_exception(exc) from exc
    if response.status_code >= 500:
        raise TransientERPError(
            f"Xero could not end the connection (HTTP {response.status_code}).",
            status=response.status_code,
            detail=response.text[:500],
        )
    if response.status_code != 200 and _oauth_error(response) not in ("invalid_grant",):
        raise PermanentERPError(
            f"Xero refused to end the connection (HTTP {response.status_code}).",
            status=response.status_code,
            detail=response.text[:500],
        )


def tenants(access_token: str) -> list[Tenant]:
    """The organisations this token is connected to (Xero's GET /connections)."""
    try:
        response = requests.get(
            f"{_config()['API_BASE_URL'].rstrip('/')}/connections",
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=request_timeout(),
        )
    except requests.RequestException as exc:
        raise error_for_exception(exc) from exc
    body = _json_or_none(response)
    if response.status_code != 200 or not isinstance(body, list):
        raise TransientERPError(
            "Xero did not list the organisations this site may reach; please try again.",
            status=response.status_code,
            detail=response.text[:500],
        )
    return [
        Tenant(
            connection_id=str(entry.get("id", "")),
            tenant_id=str(entry.get("tenantId", "")),
            name=str(entry.get("tenantName") or ""),
            tenant_type=str(entry.get("tenantType") or ""),
        )
        for entry in body
        if isinstance(entry, dict)
        and entry.get("tenantId")
        and entry.get("tenantType") == "ORGANISATION"
    ]


def _token_request(form: dict, *, refused_message: str) -> TokenSet:
    try:
        response = requests.post(
            f"{_identity_url()}/connect/token",
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
            "Xero's sign-in service had a problem; we will try again.",
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
                "Xero does not recognise this application's client id and secret "
                "(XERO_CLIENT_ID / XERO_CLIENT_SECRET). Ask whoever runs this site to check them."
            )
        raise error_class(
            refused_message,
            code=oauth_error,
            detail=str(body.get("error_description", "")) if isinstance(body, dict) else "",
            status=response.status_code,
            response_body=body,
        )
    if not body.get("refresh_token"):
        raise PermanentERPError(
            "Xero gave no refresh token, so the connection would end within 30 minutes. Ask "
            "whoever runs this site to add offline_access to XERO_SCOPES.",
            code="no_refresh_token",
        )
    try:
        now = timezone.now()
        return TokenSet(
            access_token=body["access_token"],
            refresh_token=body["refresh_token"],
            access_token_expires_at=now + timedelta(seconds=int(body["expires_in"])),
            refresh_token_expires_at=now + REFRESH_TOKEN_LIFETIME,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise TransientERPError(
            "Xero's sign-in service sent an incomplete answer; we will try again.",
            status=response.status_code,
            detail=f"{type(exc).__name__}: {exc}",
        ) from exc


def _oauth_error(response: requests.Response) -> str:
    body = _json_or_none(response)
    return str(body.get("error", "")) if isinstance(body, dict) else ""


def _json_or_none(response: requests.Response):
    try:
        return parse_json(response.text)
    except ValueError:
        return None


def _client_auth() -> tuple[str, str]:
    config = _config()
    return (config["CLIENT_ID"], config["CLIENT_SECRET"])


def _identity_url() -> str:
    return _config()["IDENTITY_BASE_URL"].rstrip("/")


def request_timeout() -> tuple[float, float]:
    config = _config()
    read = float(config["TIMEOUT_SECONDS"])
    return (float(config.get("CONNECT_TIMEOUT_SECONDS", min(read, 10.0))), read)


def _config() -> dict:
    return settings.XERO
