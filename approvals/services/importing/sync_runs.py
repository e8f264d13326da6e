"""What every import from the ERP shares: the reader, the cursor, the lease and the summary.

A run holds a lease on its cursor (one row per connection and kind) so two runs of one kind
never overlap; a second one is skipped with a sentence saying so. The reader yields batches,
each with an opaque resume token; a batch and its token are stored in one transaction, so an
interrupted run resumes after the last batch stored. The lease is renewed after every batch and
given back at the end; a crashed run's lease simply expires.
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
from approvals.services import erp
from integrations.data import Reader
from integrations.models import ERPConnection

SKIPPED_EXAMPLES = 5
COUNTS = ("created", "updated", "linked", "deleted", "unchanged", "drifted")


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

    def add(self, earlier: dict) -> None:
        """Count in what earlier batches of the same run did (their summary's as_dict())."""
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + int(earlier.get(name) or 0))

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
        # From here on what this run did so far, which pages show while it runs.
        last_summary={},
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


def run_batches(
    *,
    lease: Lease,
    batches: Iterator,
    store: Callable,
    summary: SyncSummary,
    save_token: bool = True,
) -> None:
    """Store batch after batch; each batch commits with the token to resume after it (unless
    `save_token` is False: a run aside, that leaves where the next one starts) and what the run
    did so far."""
    for batch in batches:
        summary.full_read = summary.full_read or batch.full_read
        with transaction.atomic():
            store(batch)
            resume = {"resume_token": batch.resume_token} if save_token else {}
            lease.save(last_summary=summary.as_dict(), **resume)
        lease.renew()
        summary.page_done()


def list_sync(
    *,
    connection: ERPConnection,
    kind: str,
    progress,
    batches: Callable[[Reader, str], Iterator],
    store: Callable[[list, SyncSummary], None],
    gone: Callable[[set[str], SyncSummary], None] | None = None,
) -> SyncSummary:
    """Bring one ERP list (vendors, jobs, cost codes) up to date from where the last run left it.

    batches(reader, resume_token) -> the reader's batches of that list; store(rows, summary);
    gone(erp ids listed, summary) after a batch that is the whole list (`Batch.whole_list`):
    what it does not list is no longer in the ERP.
    """
    summary = SyncSummary(kind=kind, progress=progress)

    def store_batch(batch) -> None:
        store(list(batch.rows), summary)
        if gone is not None and batch.whole_list:
            gone({row.erp_id for row in batch.rows}, summary)

    with leased(connection, kind) as lease:
        reader = erp.reader_for(connection)
        try:
            run_batches(
                lease=lease,
                summary=summary,
                batches=batches(reader, lease.cursor.resume_token),
                store=store_batch,
            )
        finally:
            reader.close()
        return finish(lease, summary)


def finish(lease: Lease, summary: SyncSummary) -> SyncSummary:
    """Record success and what the run did."""
    lease.save(last_success_at=timezone.now(), last_summary=summary.as_dict(), last_error="")
    return summary
