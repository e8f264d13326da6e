"""Connecting and disconnecting the QuickBooks Online company (administrators only).

Connect: POST starts Intuit's consent flow with a random `state` kept in the session; the callback
accepts only that state (so nobody can plant their own company in our session), trades the code
for tokens and stores them encrypted. Disconnect: a confirmation page, then POST revokes the
tokens at Intuit and marks the connection inactive. Every failure ends on the connection page with
a sentence, never an error page.
"""

from __future__ import annotations

import logging
import secrets

from django.contrib import messages
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from approvals.models import CostCode
from integrations.base import ERPError
from integrations.models import ERPConnection, ERPKind
from integrations.oauth_tokens import revoke_and_disconnect, store_connection
from integrations.quickbooks_online import oauth
from integrations.quickbooks_online.client import QuickBooksClient
from integrations.quickbooks_online.connector import purchase_tax_codes, remember_company_profile
from integrations.views_access import administrator_required

logger = logging.getLogger(__name__)

STATE_SESSION_KEY = "quickbooks_online_oauth_state"
CONNECTION_PAGE = "quickbooks_online:connection"
CONSENT_ERRORS = {
    "access_denied": (
        "You did not allow access in QuickBooks Online, so nothing was connected or changed."
    ),
    "invalid_scope": (
        "QuickBooks Online did not grant access to the accounting data this site needs; "
        "nothing was connected."
    ),
}


@administrator_required
@require_GET
def connection(request):
    active = _active_connection()
    context = {"connection": active, "now": timezone.now()}
    if active is not None and active.settings.get("country", "US") != "US":
        context.update(_tax_code_choices(request, active))
    return render(request, "integrations/quickbooks_online/connection.html", context)


@administrator_required
@require_POST
def tax_codes(request):
    """Save the default purchase tax code and the ones chosen per cost code."""
    active = _active_connection()
    if active is None:
        messages.error(request, "No QuickBooks Online company is connected.")
        return redirect(CONNECTION_PAGE)
    try:
        with QuickBooksClient(active) as client:
            known = dict(purchase_tax_codes(client))
    except ERPError as error:
        messages.error(request, f"The tax codes were not saved: {error.message}")
        return redirect(CONNECTION_PAGE)
    chosen = {"": request.POST.get("default", "")}
    for cost_code in _cost_codes(active):
        chosen[cost_code.erp_id] = request.POST.get(f"item-{cost_code.erp_id}", "")
    unknown = [value for value in chosen.values() if value and value not in known]
    if unknown:
        messages.error(
            request,
            "QuickBooks Online has no purchase tax code with id "
            f"{', '.join(sorted(set(unknown)))}; nothing was saved. Reload the page and choose again.",
        )
        return redirect(CONNECTION_PAGE)
    default = chosen.pop("")
    settings = {**active.settings, "purchase_tax_code_id": default}
    settings["tax_codes_by_item"] = {item: code for item, code in chosen.items() if code}
    ERPConnection.objects.filter(pk=active.pk).update(settings=settings)
    messages.success(request, "The purchase tax codes are saved.")
    return redirect(CONNECTION_PAGE)


def _cost_codes(active: ERPConnection):
    """The standard cost codes of the connected company (not those still linked to another)."""
    return CostCode.objects.exclude(erp_id="").filter(erp_connection=active, is_active=True)


def _tax_code_choices(request, active: ERPConnection) -> dict:
    """The company's purchase tax codes and what is chosen, for the connection page."""
    try:
        with QuickBooksClient(active) as client:
            codes = purchase_tax_codes(client)
    except ERPError as error:
        messages.error(request, f"The tax codes could not be read: {error.message}")
        return {}
    by_item = active.settings.get("tax_codes_by_item") or {}
    return {
        "tax_codes": codes,
        "default_tax_code": active.settings.get("purchase_tax_code_id", ""),
        "cost_code_tax_codes": [
            (cost_code, by_item.get(cost_code.erp_id, "")) for cost_code in _cost_codes(active)
        ],
    }


@administrator_required
@require_POST
def connect(request):
    state = oauth.new_state()
    try:
        url = oauth.authorization_url(state=state)
    except ERPError as error:
        messages.error(request, error.message)
        return redirect(CONNECTION_PAGE)
    request.session[STATE_SESSION_KEY] = state
    return redirect(url)


@administrator_required
@require_GET
def callback(request):
    # Only the attempt this session started may end it, with a code or with a consent error:
    # a forged link must neither plant a company, nor show its text, nor cancel our attempt.
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
                consent_error,
                f"QuickBooks Online refused the connection ({consent_error}); nothing was changed.",
            ),
        )
        return redirect(CONNECTION_PAGE)
    code = request.GET.get("code", "")
    realm_id = request.GET.get("realmId", "")
    if not code or not realm_id:
        messages.error(
            request,
            "QuickBooks Online came back without naming a company; nothing was connected. "
            "Please press Connect again.",
        )
        return redirect(CONNECTION_PAGE)
    other = _active_connection()
    if other and other.company_id != realm_id:
        messages.error(request, _another_company_message(other))
        return redirect(CONNECTION_PAGE)
    try:
        tokens = oauth.exchange_code(code)
    except ERPError as error:
        messages.error(request, error.message)
        return redirect(CONNECTION_PAGE)
    try:
        stored = store_connection(
            kind=ERPKind.QUICKBOOKS_ONLINE, company_id=realm_id, tokens=tokens, user=request.user
        )
    except IntegrityError:
        _revoke_quietly(tokens.refresh_token)
        messages.error(request, _another_company_message(_active_connection()))
        return redirect(CONNECTION_PAGE)
    _remember_company(stored)
    logger.info("QuickBooks Online realm %s connected by %s", realm_id, request.user)
    messages.success(
        request, f"QuickBooks Online company {stored.company_name or realm_id} is connected."
    )
    return redirect(CONNECTION_PAGE)


@administrator_required
@require_http_methods(["GET", "POST"])
def disconnect(request):
    active = _active_connection()
    if active is None:
        messages.info(request, "No QuickBooks Online company is connected.")
        return redirect(CONNECTION_PAGE)
    if request.method == "GET":
        return render(
            request,
            "integrations/quickbooks_online/disconnect_confirm.html",
            {"connection": active},
        )
    revoke_error = revoke_and_disconnect(active, revoke=oauth.revoke)
    logger.info("QuickBooks Online realm %s disconnected by %s", active.company_id, request.user)
    name = active.company_name or active.company_id
    if revoke_error:
        messages.warning(
            request,
            f"QuickBooks Online company {name} is disconnected here and its keys are deleted, but "
            f"QuickBooks could not be told ({revoke_error.message}). To be thorough, remove this "
            "app under Apps → Connected apps in QuickBooks Online.",
        )
    else:
        messages.success(request, f"QuickBooks Online company {name} is disconnected.")
    return redirect(CONNECTION_PAGE)


def _active_connection() -> ERPConnection | None:
    return (
        ERPConnection.objects.filter(kind=ERPKind.QUICKBOOKS_ONLINE, is_active=True)
        .select_related("connected_by")
        .first()
    )


def _remember_company(stored: ERPConnection) -> None:
    """Show the company's name rather than its number, and keep its country and currencies
    (read again on every reconnect); an export reads them later if this fails."""
    try:
        with QuickBooksClient(stored) as client:
            name = remember_company_profile(stored, client).get("CompanyName", "")
    except ERPError as error:
        logger.warning("Could not read company %s: %s", stored.company_id, error.detail)
        return
    if name:
        stored.company_name = name
        stored.save(update_fields=["company_name"])


def _revoke_quietly(token: str) -> None:
    try:
        oauth.revoke(token)
    except ERPError as error:
        logger.warning("Could not revoke an unused QuickBooks Online token: %s", error.detail)


def _another_company_message(other: ERPConnection | None) -> str:
    name = (other.company_name or other.company_id) if other else "another company"
    return (
        f"QuickBooks Online company {name} is already connected. Disconnect it first if you "
        "want to connect a different company; nothing was changed."
    )
