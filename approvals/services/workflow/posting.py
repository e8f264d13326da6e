"""Posting dates, and the ERP's closed periods they must stay out of.

Each exported transaction posts on a date the approver sees and may change at accept: by
default the invoice date (or the date of the accept, a policy choice) for invoices, the date of
the accept for commitments and change orders. Nothing may post on or before the date the
ERP's books are closed through; that date is read from the ERP by the job-cost sync and kept
on the connection, so a send or an accept never waits on the ERP.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from approvals.models import ApprovalPolicy, Commitment, CommitmentChangeOrder, SubcontractorInvoice
from approvals.services import erp
from approvals.services.importing import freshness
from approvals.services.workflow.records import noun
from integrations.base import ERPError, KnowsClosedPeriods
from integrations.models import ERPConnection

logger = logging.getLogger(__name__)

DATED_MODELS = (Commitment, CommitmentChangeOrder, SubcontractorInvoice)
_CLOSED_THROUGH = "books_closed_through"
_READ_AT = "books_closed_read_at"


def is_dated(record) -> bool:
    return isinstance(record, DATED_MODELS)


def default_posting_date(record, *, policy: ApprovalPolicy | None = None) -> date | None:
    """What the decision page offers: the invoice date (or today, by policy) for an invoice,
    the date of the accept for a commitment or change order; None for undated records."""
    if not is_dated(record):
        return None
    if record.posting_date:
        return record.posting_date
    if isinstance(record, SubcontractorInvoice):
        policy = policy or ApprovalPolicy.current()
        if policy.invoices_post_on == "invoice_date":
            return record.billing_date
    return timezone.localdate()


def books_closed_through(connection: ERPConnection | None = None) -> date | None:
    """The date the connected ERP's books were closed through at the last sync (None when open
    or never read). Read from what the sync kept: a send or an accept never waits on the ERP."""
    connection = connection or erp.active_connection_or_none()
    if connection is None:
        return None
    text = (connection.settings or {}).get(_CLOSED_THROUGH)
    return date.fromisoformat(text) if text else None


def closing_date_read_at(connection: ERPConnection | None) -> datetime | None:
    return _parsed_time((connection.settings or {}).get(_READ_AT)) if connection else None


def closing_date_refresh(connection: ERPConnection) -> None:
    """Read the ERP's closing date and keep it on the connection when the last read is older
    than settings.ERP_CLOSING_DATE_MAX_AGE_SECONDS (the job-cost sync calls this)."""
    read_at = closing_date_read_at(connection)
    max_age = timedelta(seconds=settings.ERP_CLOSING_DATE_MAX_AGE_SECONDS)
    if read_at is not None and timezone.now() - read_at < max_age:
        return
    connector = erp.connector_or_none(connection)
    if not isinstance(connector, KnowsClosedPeriods):
        return
    try:
        closed = connector.books_closed_through()
    except ERPError as error:
        logger.warning("Could not read the closing date of %s: %s", connection, error)
        return
    fresh = {
        **(connection.settings or {}),
        _CLOSED_THROUGH: closed.isoformat() if closed else None,
        _READ_AT: timezone.now().isoformat(),
    }
    ERPConnection.objects.filter(pk=connection.pk).update(settings=fresh)
    connection.settings = fresh


def closed_period_problem(record, posting_date: date | None, closed: date | None) -> str:
    if not (posting_date and closed) or posting_date > closed:
        return ""
    connection = erp.active_connection_or_none()
    name = erp.erp_name(connection)
    fresh = freshness.as_of(closing_date_read_at(connection))
    return (
        f"The books are closed through {closed.isoformat()} in {name} ({fresh}), so this "
        f"{noun(record)} "
        f"cannot post on {posting_date.isoformat()}. Choose a posting date after "
        f"{closed.isoformat()} when accepting it, or have the closing date moved in {name}."
    )


def _parsed_time(text) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
