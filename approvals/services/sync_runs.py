"""What every import from the ERP shares: the reader, the cursor, the lease and the summary.

A run holds a lease on its cursor (one row per connection and kind) so two runs of one kind
never overlap; a second one is skipped with a sentence saying so. The lease is renewed after
every page and given back at the end; a crashed run's lease simply expires.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from approvals.models import SyncCursor, SyncKind
from integrations.base import NotConnectedError
from integrations.models import ERPConnection, ERPKind

# Reading, not exporting: a failed import is simply run again, from its checkpoint.
READERS = {
    ERPKind.QUICKBOOKS_ONLINE: "integrations.quickbooks_online.reading.QuickBooksReader",
}
SKIPPED_EXAMPLES = 5


class SyncAlreadyRunning(Exception):
    def __init__(self, kind: str):
        label = SyncKind(kind).label.lower()
        self.message = f"An import of {label} is already running; this one was skipped."
        super().__init__(self.message)


@dataclass
class SyncSummary:
    """What a run did, for the command's output, the task result and the admin messages."""

    kind: str
    created: int = 0
    updated: int = 0
    linked: int = 0
    deleted: int = 0
    unchanged: int = 0
    requests: int = 0
    drifted: int = 0
    """Synced records whose ERP document changed, or whose unfinished export did, this run."""
    full_read: bool = False
    skipped: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    progress: Callable[[SyncSummary], None] | None = field(default=None, repr=False)

    @property
    def seen(self) -> int:
        return self.created + self.updated + self.linked + self.unchanged + self.skipped_total

    def page_done(self) -> None:
        if self.progress is not None:
            self.progress(self)

    def skip(self, reason: str, label: str) -> None:
        self.skipped[reason] += 1
        examples = self.examples.setdefault(reason, [])
        if len(examples) < SKIPPED_EXAMPLES:
            examples.append(label)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "created": self.created,
            "updated": self.updated,
            "linked": self.linked,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "drifted": self.drifted,
            "full_read": self.full_read,
            "skipped": [
                {"reason": reason, "count": count, "examples": self.examples.get(reason, [])}
                for reason, count in self.skipped.most_common()
            ],
        }

    def lines(self) -> list[str]:
        """The summary in sentences."""
        label = SyncKind(self.kind).label
        head = (
            f"{label}: {self.created} created, {self.updated} updated, {self.linked} linked, "
            f"{self.deleted} removed, {self.unchanged} unchanged, {self.skipped_total} skipped"
            + (" (full read)." if self.full_read else ".")
        )
        lines = [head]
        if self.drifted:
            lines.append(
                f"  {self.drifted} synced record(s) changed in the ERP or had an ERP problem "
                "found or solved: see the dashboard."
            )
        for reason, count in self.skipped.most_common():
            examples = ", ".join(self.examples.get(reason, []))
            lines.append(
                f"  skipped {count}: {reason}" + (f" (e.g. {examples})" if examples else "")
            )
        return lines


def reader_for(connection: ERPConnection):
    from importlib import import_module

    if not connection.is_active:
        raise NotConnectedError(f"{connection} is disconnected.")
    path = READERS.get(connection.kind)
    if path is None:
        raise NotConnectedError(
            f"Imports from {connection.get_kind_display()} are not available yet."
        )
    module_name, class_name = path.rsplit(".", 1)
    return getattr(import_module(module_name), class_name)(connection)


def cursor_for(connection: ERPConnection, kind: str) -> SyncCursor:
    try:
        cursor, _ = SyncCursor.objects.get_or_create(erp_connection=connection, kind=kind)
    except IntegrityError:
        cursor = SyncCursor.objects.get(erp_connection=connection, kind=kind)
    return cursor


def lease_seconds() -> int:
    return settings.ERP_SYNC_LEASE_SECONDS


class Lease:
    def __init__(self, cursor: SyncCursor):
        self.cursor = cursor
        self.token = secrets.token_hex(8)

    def renew(self) -> None:
        SyncCursor.objects.filter(pk=self.cursor.pk, lease_token=self.token).update(
            lease_until=timezone.now() + timedelta(seconds=lease_seconds())
        )

    def save(self, **fields) -> None:
        """Write cursor fields only while this run still holds the lease."""
        for name, value in fields.items():
            setattr(self.cursor, name, value)
        SyncCursor.objects.filter(pk=self.cursor.pk, lease_token=self.token).update(**fields)


@contextmanager
def leased(connection: ERPConnection, kind: str) -> Iterator[Lease]:
    """Hold the run's lease; SyncAlreadyRunning when another run of this kind holds it."""
    cursor = cursor_for(connection, kind)
    lease = Lease(cursor)
    now = timezone.now()
    taken = SyncCursor.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), pk=cursor.pk
    ).update(
        lease_token=lease.token,
        lease_until=now + timedelta(seconds=lease_seconds()),
        requested_at=None,
        last_run_at=now,
    )
    if taken != 1:
        raise SyncAlreadyRunning(kind)
    cursor.refresh_from_db()
    try:
        yield lease
    except Exception as error:
        lease.save(last_error=str(getattr(error, "message", error))[:2000])
        raise
    finally:
        SyncCursor.objects.filter(pk=cursor.pk, lease_token=lease.token).update(
            lease_token="", lease_until=None
        )


def run_pages(
    *,
    lease: Lease,
    pages: Callable[[int], Iterator],
    store_page: Callable[[list], None],
    summary: SyncSummary,
) -> None:
    """Store page after page from the checkpoint on; each page and its checkpoint commit together."""
    start = lease.cursor.resume_position or 1
    for page in pages(start):
        with transaction.atomic():
            store_page(page.rows)
            lease.save(resume_position=0 if page.is_last else page.next_position)
        lease.renew()
        summary.page_done()


def name_list_sync(
    *,
    connection: ERPConnection,
    kind: str,
    progress,
    changed: Callable,
    pages: Callable,
    store: Callable[[list, SyncSummary], None],
) -> SyncSummary:
    """Bring one ERP name list (vendors, jobs) up to date: its changes since the last run, or a
    resumable full read when there is no usable last run or the change list came back cut short.

    changed(reader, start) -> (complete, rows); pages(reader, start) -> the full read's pages.
    """
    summary = SyncSummary(kind=kind, progress=progress)
    started_at = timezone.now()
    with leased(connection, kind) as lease:
        reader = reader_for(connection)
        try:
            full = needs_full_read(lease.cursor, now=started_at)
            if not full:
                complete, rows = changed(reader, changes_start(lease.cursor))
                full = not complete
                if complete:
                    with transaction.atomic():
                        store(rows, summary)
            if full:
                begin_full_read(lease, summary, started_at=started_at)
                run_pages(
                    lease=lease,
                    summary=summary,
                    pages=lambda start: pages(reader, start),
                    store_page=lambda rows: store(rows, summary),
                )
        finally:
            reader.close()
        return finish(lease, summary, started_at=started_at)


def begin_full_read(lease: Lease, summary: SyncSummary, *, started_at) -> None:
    """Remember when the first page of a full read was asked for (kept across resumes)."""
    summary.full_read = True
    if lease.cursor.full_read_started_at is None:
        lease.save(full_read_started_at=started_at)


def finish(lease: Lease, summary: SyncSummary, *, started_at) -> SyncSummary:
    """Record success; the next run asks for changes since this run (or its full read) began."""
    lease.save(
        changes_since=lease.cursor.full_read_started_at or started_at,
        last_success_at=timezone.now(),
        resume_position=0,
        full_read_started_at=None,
        last_summary=summary.as_dict(),
        last_error="",
    )
    return summary


def needs_full_read(cursor: SyncCursor, *, now) -> bool:
    """No earlier run, an unfinished full read, or a last run too old for change data capture."""
    window = timedelta(days=settings.ERP_CHANGES_WINDOW_DAYS) - timedelta(hours=1)
    return (
        cursor.changes_since is None
        or cursor.resume_position > 0
        or cursor.full_read_started_at is not None
        or now - cursor.changes_since > window
    )


def changes_start(cursor: SyncCursor):
    """Ask for changes a little before the last run started: clocks differ; storing is idempotent."""
    overlap = timedelta(seconds=settings.ERP_CHANGES_OVERLAP_SECONDS)
    return cursor.changes_since - overlap
