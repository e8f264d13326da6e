"""How fresh what was imported from the ERP is: every check made from imported data says it."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.timesince import timesince

from approvals.models import SyncCursor, SyncKind


def last_import(connection, kind: SyncKind) -> datetime | None:
    """When the last successful import of `kind` from `connection` finished."""
    if connection is None:
        return None
    return (
        SyncCursor.objects.filter(erp_connection=connection, kind=kind)
        .values_list("last_success_at", flat=True)
        .first()
    )


def as_of(moment: datetime | None) -> str:
    """ "as of the last sync 3 minutes ago", or that nothing was imported yet."""
    if moment is None:
        return "not imported yet: no sync has finished"
    age = timezone.now() - moment
    if age.total_seconds() < 60:
        return "as of the last sync less than a minute ago"
    return f"as of the last sync {timesince(moment).replace(chr(0xA0), ' ')} ago"


def imported_as_of(connection, kind: SyncKind) -> str:
    return as_of(last_import(connection, kind))
