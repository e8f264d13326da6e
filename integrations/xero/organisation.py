"""What the connected Xero organisation is: its country, base currency and lock dates, read at
connect and reconnect (and again when they are older than ERP_CLOSING_DATE_MAX_AGE_SECONDS),
kept in ERPConnection.settings, and the choices an administrator makes for it: the tracking
category of projects, the retainage liability account, the default tax rates.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from django.utils import timezone

from integrations.models import ERPConnection
from integrations.xero.client import XeroClient

PROJECT_CATEGORY_NAME = "Project"
PROFILE = ("country", "base_currency", "period_lock_date", "end_of_year_lock_date")
_MS_DATE = re.compile(r"/Date\((?P<ms>-?\d+)(?P<offset>[+-]\d{4})?\)/")


def remember_organisation(connection: ERPConnection, client: XeroClient) -> dict:
    """Read the organisation and keep its name, country, base currency and lock dates."""
    organisation = client.organisation()
    profile = {
        "country": str(organisation.get("CountryCode") or ""),
        "base_currency": str(organisation.get("BaseCurrency") or ""),
        "period_lock_date": _iso(organisation.get("PeriodLockDate")),
        "end_of_year_lock_date": _iso(organisation.get("EndOfYearLockDate")),
        "organisation_read_at": timezone.now().isoformat(),
    }
    connection.settings = {**(connection.settings or {}), **profile}
    name = str(organisation.get("Name") or "")
    if name:
        connection.company_name = name
    ERPConnection.objects.filter(pk=connection.pk).update(
        settings=connection.settings, company_name=connection.company_name
    )
    return organisation


def locked_through(settings: dict) -> date | None:
    """The last date Xero's lock dates close (the later of the period and end-of-year ones)."""
    dates = [
        date.fromisoformat(settings[name])
        for name in ("period_lock_date", "end_of_year_lock_date")
        if settings.get(name)
    ]
    return max(dates) if dates else None


def read_at(settings: dict) -> datetime | None:
    value = settings.get("organisation_read_at")
    return datetime.fromisoformat(value) if value else None


def parse_xero_date(value) -> date | None:
    """Xero's `/Date(1552262400000+0000)/`, or YYYY-MM-DD[T…], as a date."""
    if not value:
        return None
    text = str(value)
    match = _MS_DATE.fullmatch(text)
    if match:
        return datetime.fromtimestamp(int(match["ms"]) / 1000, tz=UTC).date()
    return date.fromisoformat(text[:10])


def _iso(value) -> str:
    parsed = parse_xero_date(value)
    return parsed.isoformat() if parsed else ""
