"""The OAuth 2 tokens of a QuickBooks Online or Xero connection: what a token endpoint gave, the
connection that keeps them, the refresh every worker of a connection shares, and their
revocation at disconnect."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from integrations.base import ERPError, NotConnectedError
from integrations.models import ERPConnection, ERPKind

# An access token this close to its expiry is refreshed before use, not sent to fail.
REFRESH_MARGIN = timedelta(minutes=1)
TOKEN_FIELDS = [
    "access_token",
    "access_token_expires_at",
    "refresh_token",
    "refresh_token_expires_at",
]


@dataclass(frozen=True)
class TokenSet:
    """What the token endpoint gave us, with lifetimes turned into moments."""

    access_token: str
    refresh_token: str
    access_token_expires_at: datetime
    refresh_token_expires_at: datetime


def store_connection(
    *, kind: ERPKind, company_id: str, tokens: TokenSet, user, company_name: str = ""
) -> ERPConnection:
    """The company's connection (the one it had, else a new one) active with these tokens,
    connected by `user`; `company_name` replaces the name kept only when there is one."""
    with transaction.atomic():
        stored = (
            ERPConnection.objects.select_for_update()
            .filter(kind=kind, company_id=company_id)
            .first()
        ) or ERPConnection(kind=kind, company_id=company_id)
        stored.company_name = company_name or stored.company_name
        stored.access_token = tokens.access_token
        stored.access_token_expires_at = tokens.access_token_expires_at
        stored.refresh_token = tokens.refresh_token
        stored.refresh_token_expires_at = tokens.refresh_token_expires_at
        stored.is_active = True
        stored.connected_by = user
        stored.connected_at = timezone.now()
        stored.disconnected_at = None
        stored.save()
    return stored


def revoke_and_disconnect(
    connection: ERPConnection, *, revoke: Callable[[str], None]
) -> ERPError | None:
    """The ERP asked to revoke the connection's refresh token, then the connection disconnected
    here and its tokens deleted whatever the ERP answered; the error that kept the ERP from
    hearing it, if any."""
    revoke_error = None
    if connection.refresh_token:
        try:
            revoke(connection.refresh_token)
        except ERPError as error:
            revoke_error = error
    ERPConnection.objects.filter(pk=connection.pk, is_active=True).update(
        is_active=False,
        disconnected_at=timezone.now(),
        access_token="",
        access_token_expires_at=None,
        refresh_token="",
        refresh_token_expires_at=None,
    )
    return revoke_error


def ensure_fresh_token(
    connection: ERPConnection, *, refresh: Callable[[str], TokenSet], disconnected: str
) -> None:
    """The connection's access token refreshed first when it is about to expire."""
    if not _token_is_fresh(connection):
        refresh_tokens(connection, rejected_token=None, refresh=refresh, disconnected=disconnected)


def refresh_tokens(
    connection: ERPConnection,
    *,
    rejected_token: str | None,
    refresh: Callable[[str], TokenSet],
    disconnected: str,
) -> None:
    """Refresh under a row lock; adopt the tokens another worker stored meanwhile.

    `rejected_token` is the access token the ERP just refused (None when it only expired);
    `refresh` asks the ERP's token endpoint; `disconnected` is what a disconnected connection
    raises."""
    with transaction.atomic():
        stored = ERPConnection.objects.select_for_update().get(pk=connection.pk)
        if not stored.is_active:
            raise NotConnectedError(disconnected)
        if not (_token_is_fresh(stored) and stored.access_token != rejected_token):
            tokens = refresh(stored.refresh_token)
            stored.access_token = tokens.access_token
            stored.access_token_expires_at = tokens.access_token_expires_at
            stored.refresh_token = tokens.refresh_token
            stored.refresh_token_expires_at = tokens.refresh_token_expires_at
            stored.save(update_fields=TOKEN_FIELDS)
    for field in TOKEN_FIELDS:
        setattr(connection, field, getattr(stored, field))


def _token_is_fresh(connection: ERPConnection) -> bool:
    expires_at = connection.access_token_expires_at
    return bool(
        connection.access_token and expires_at and expires_at > timezone.now() + REFRESH_MARGIN
    )
