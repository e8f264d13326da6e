"""The OAuth 2 tokens of a QuickBooks Online or Xero connection: what a token endpoint gave, and
the refresh every worker of a connection shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from integrations.base import NotConnectedError
from integrations.models import ERPConnection

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
