"""Connecting and disconnecting the Xero organisation, and its choices (administrators only).

Connect: POST starts Xero's consent flow with a random `state` kept in the session; the callback
accepts only that state, trades the code for tokens and lists the organisations they reach
(`/connections`). With one, it is connected; with several, the administrator chooses, the tokens
waiting encrypted in the session. The organisation's country, base currency and lock dates are
read at every connect. Then the administrator chooses the tracking category of projects (or has
one named "Project" made), the retainage liability account, the default tax rates and how
documents are sent. Every failure ends on the connection page with a sentence.
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import datetime

from django.contrib import messages
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations.base import ERPError
from integrations.crypto import decrypt, encrypt, is_unreadable
from integrations.models import ERPConnection, ERPKind
from integrations.oauth_tokens import TokenSet, revoke_and_disconnect, store_connection
from integrations.views_access import administrator_required
from integrations.xero import choices, oauth
from integrations.xero.client import XeroClient
from integrations.xero.organisation import remember_organisation

logger = logging.getLogger(__name__)

STATE_SESSION_KEY = "xero_oauth_state"
PENDING_SESSION_KEY = "xero_pending_tokens"
CONNECTION_PAGE = "xero:connection"
CONSENT_ERRORS = {
    "access_denied": "You did not allow access in Xero, so nothing was connected or changed.",
    "invalid_scope": (
        "Xero did not grant access to the accounting data this site needs; nothing was connected."
    ),
}


@administrator_required
@require_GET
def connection(request):
    active = _active_connection()
    context = {"connection": active, "now": timezone.now()}
    if active is not None:
        context.update(
            {name: choices.setting(active, name) for name in choices.DEFAULTS},
        )
    if active is not None and not active.authorization_unreadable:
        try:
            with XeroClient(active) as client:
                context["options"] = choices.read(client)
            by_code = active.settings.get("tax_types_by_cost_code") or {}
            context["cost_code_tax_types"] = [
                (code, by_code.get(str(code.pk), "")) for code in choices.cost_codes(active)
            ]
        except ERPError as error:
            messages.error(request, f"The organisation's lists could not be read: {error.message}")
    return render(request, "integrations/xero/connection.html", context)


@administrator_required
@require_POST
def save_choices(request):
    active = _active_connection()
    if active is None:
        messages.error(request, "No Xero organisation is connected.")
        return redirect(CONNECTION_PAGE)
    try:
        with XeroClient(active) as client:
            saved = choices.save(active, client, request.POST)
    except choices.ChoiceRefused as refusal:
        messages.error(request, f"Nothing was saved: {refusal}")
        return redirect(CONNECTION_PAGE)
    except ERPError as error:
        messages.error(request, f"Nothing was saved: {error.message}")
        return redirect(CONNECTION_PAGE)
    messages.success(request, saved)
    return redirect(CONNECTION_PAGE)


@administrator_required
@require_POST
def connect(request):
    state = oauth.new_state()
    request.session[STATE_SESSION_KEY] = state
    request.session.pop(PENDING_SESSION_KEY, None)
    return redirect(oauth.authorization_url(state=state))


@administrator_required
@require_GET
def callback(request):
    # Only the attempt this session started may end it, with a code or with a consent error.
    expected_state = request.session.get(STATE_SESSION_KEY)
    state = request.GET.get("state", "")
    if not expected_state or not secrets.compare_digest(state.encode(), expected_state.encode()):
        messages.error(
            request,
            "This connection attempt did not start here or has expired, so it was ignored. "
            "Please press Connect again.",
        )
        return redirect(CONNECTION_PAGE)
    del request.session[STATE_SESSION_KEY]
    consent_error = request.GET.get("error")
    if consent_error:
        messages.error(
            request,
            CONSENT_ERRORS.get(
                consent_error, f"Xero refused the connection ({consent_error}); nothing changed."
            ),
        )
        return redirect(CONNECTION_PAGE)
    code = request.GET.get("code", "")
    if not code:
        messages.error(request, "Xero came back without an approval; nothing was connected.")
        return redirect(CONNECTION_PAGE)
    try:
        tokens = oauth.exchange_code(code)
        tenants = oauth.tenants(tokens.access_token)
    except ERPError as error:
        messages.error(request, error.message)
        return redirect(CONNECTION_PAGE)
    if not tenants:
        messages.error(
            request,
            "The approval in Xero reached no organisation, so nothing was connected. Press "
            "Connect again and choose an organisation in Xero.",
        )
        return redirect(CONNECTION_PAGE)
    if len(tenants) == 1:
        return _connect_tenant(request, tokens, tenants[0])
    request.session[PENDING_SESSION_KEY] = encrypt(
        json.dumps(
            {
                "tokens": {
                    "access_token": tokens.access_token,
                    "refresh_token": tokens.refresh_token,
                    "access_token_expires_at": tokens.access_token_expires_at.isoformat(),
                    "refresh_token_expires_at": tokens.refresh_token_expires_at.isoformat(),
                },
                "tenants": [[t.tenant_id, t.name] for t in tenants],
            }
        )
    )
    return redirect("xero:choose_organisation")


@administrator_required
@require_http_methods(["GET", "POST"])
def choose_organisation(request):
    pending = _pending(request)
    if pending is None:
        messages.error(request, "This connection attempt has expired; please press Connect again.")
        return redirect(CONNECTION_PAGE)
    tokens, tenants = pending
    if request.method == "GET":
        return render(request, "integrations/xero/choose_organisation.html", {"tenants": tenants})
    chosen = request.POST.get("tenant_id", "")
    names = dict(tenants)
    if chosen not in names:
        messages.error(request, "Choose one of the organisations listed.")
        return redirect("xero:choose_organisation")
    del request.session[PENDING_SESSION_KEY]
    tenant = oauth.Tenant(
        connection_id="", tenant_id=chosen, name=names[chosen], tenant_type="ORGANISATION"
    )
    return _connect_tenant(request, tokens, tenant)


@administrator_required
@require_http_methods(["GET", "POST"])
def disconnect(request):
    active = _active_connection()
    if active is None:
        messages.info(request, "No Xero organisation is connected.")
        return redirect(CONNECTION_PAGE)
    if request.method == "GET":
        return render(request, "integrations/xero/disconnect_confirm.html", {"connection": active})
    revoke_error = revoke_and_disconnect(active, revoke=oauth.revoke)
    logger.info("Xero tenant %s disconnected by %s", active.company_id, request.user)
    name = active.company_name or active.company_id
    if revoke_error:
        messages.warning(
            request,
            f"Xero organisation {name} is disconnected here and its keys are deleted, but Xero "
            f"could not be told ({revoke_error.message}). To be thorough, disconnect this app "
            "under Settings → Connected apps in Xero.",
        )
    else:
        messages.success(request, f"Xero organisation {name} is disconnected.")
    return redirect(CONNECTION_PAGE)


def _connect_tenant(request, tokens: TokenSet, tenant: oauth.Tenant):
    other = _active_connection()
    if other and other.company_id != tenant.tenant_id:
        messages.error(request, _another_organisation_message(other))
        return redirect(CONNECTION_PAGE)
    try:
        stored = store_connection(
            kind=ERPKind.XERO,
            company_id=tenant.tenant_id,
            tokens=tokens,
            user=request.user,
            company_name=tenant.name,
        )
    except IntegrityError:
        messages.error(request, _another_organisation_message(_active_connection()))
        return redirect(CONNECTION_PAGE)
    try:
        with XeroClient(stored) as client:
            remember_organisation(stored, client)
    except ERPError as error:
        messages.warning(
            request,
            "Connected, but the organisation's country, currency and lock dates could not be "
            f"read yet ({error.message}); they are read again before the first export.",
        )
    logger.info("Xero tenant %s connected by %s", tenant.tenant_id, request.user)
    messages.success(
        request,
        f"Xero organisation {stored.company_name or tenant.name or tenant.tenant_id} is "
        "connected. Check the choices below before the first export.",
    )
    return redirect(CONNECTION_PAGE)


def _pending(request):
    stored = request.session.get(PENDING_SESSION_KEY)
    if not stored:
        return None
    plain = decrypt(stored)
    if is_unreadable(plain):
        return None
    data = json.loads(plain)
    raw = data["tokens"]
    tokens = TokenSet(
        access_token=raw["access_token"],
        refresh_token=raw["refresh_token"],
        access_token_expires_at=datetime.fromisoformat(raw["access_token_expires_at"]),
        refresh_token_expires_at=datetime.fromisoformat(raw["refresh_token_expires_at"]),
    )
    return tokens, [tuple(pair) for pair in data["tenants"]]


def _active_connection() -> ERPConnection | None:
    return (
        ERPConnection.objects.filter(kind=ERPKind.XERO, is_active=True)
        .select_related("connected_by")
        .first()
    )


def _another_organisation_message(other: ERPConnection | None) -> str:
    name = (other.company_name or other.company_id) if other else "another organisation"
    return (
        f"Xero organisation {name} is already connected. Disconnect it first if you want to "
        "connect a different organisation; nothing was changed."
    )
