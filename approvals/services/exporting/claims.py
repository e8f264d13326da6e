"""Which worker sends a record's export now: a claim on the record's row.

A worker claims the record its task names before sending it, and, where its ERP takes many
documents in one request, up to a batch of other records of the same type waiting for the same
connection. A claim is a compare-and-set UPDATE (exporting, the same attempt, due, not claimed
by another worker), so two workers never send the same record, whether alone or in a batch; the
tasks of records exported in another worker's batch find them claimed or settled and do
nothing. Settling a try (synced, failed, rescheduled, handed off) clears the claim in the same
UPDATE. A worker that dies holding claims leaves them to expire (EXPORT_CLAIM_SECONDS) or to the
stuck-export recovery, which re-queues the export and releases the claim.

The claimant names this thread of this process on this machine: a task run again after the
database came back (approvals.management.commands.db_worker) takes over the claims it held
before, instead of waiting for them to expire.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from approvals.states import SyncStatus

# What settling a try writes: nobody holds the record any more.
NOT_CLAIMED = {"export_claimed_by": "", "export_claimed_until": None}
_HOST = socket.gethostname()[:40]


@dataclass(frozen=True)
class Claim:
    token: str
    until: datetime


def claimant() -> str:
    return f"{_HOST}:{os.getpid()}:{threading.get_ident()}"


def new_claim() -> Claim:
    lease = timedelta(seconds=settings.EXPORT_CLAIM_SECONDS)
    return Claim(token=f"{claimant()}/{secrets.token_hex(4)}"[-100:], until=timezone.now() + lease)


def _free(now: datetime) -> Q:
    return (
        Q(export_claimed_until__isnull=True)
        | Q(export_claimed_until__lt=now)
        | Q(export_claimed_by__startswith=f"{claimant()}/")
    )


def _due(now: datetime) -> Q:
    """The record's current try is due: not scheduled for later (a retry, a rate-limited try)."""
    return Q(export_started_at__isnull=True) | Q(export_started_at__lte=now)


def claim_record(record, claim: Claim) -> bool:
    """Claim `record` for its current attempt's try, due now; False when it is not exporting
    that attempt any more, its try is due later, or another worker holds it."""
    now = timezone.now()
    return bool(
        type(record)
        .objects.filter(
            _due(now),
            _free(now),
            pk=record.pk,
            sync_status=SyncStatus.EXPORTING,
            export_attempt=record.export_attempt,
        )
        .update(
            export_claimed_by=claim.token, export_claimed_until=claim.until, export_started_at=now
        )
    )


def claim_batch(leader, connection, claim: Claim, *, how_many: int) -> list:
    """Claim up to `how_many` other records of `leader`'s type whose exports wait, due now, to
    go to the same connection as `leader` (those naming it, or none while it is the active one);
    oldest first. Returns them, as claimed."""
    model = type(leader)
    now = timezone.now()
    same_connection = Q(erp_connection=connection)
    if connection.is_active:
        same_connection |= Q(erp_connection__isnull=True)
    waiting = (
        model.objects.filter(_due(now), _free(now), same_connection)
        .filter(sync_status=SyncStatus.EXPORTING, handed_off_to__isnull=True)
        .exclude(pk=leader.pk)
    )
    with transaction.atomic():
        # Rows another worker is claiming right now are skipped, not waited for.
        candidates = list(
            waiting.order_by("export_started_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:how_many]
        )
        waiting.filter(pk__in=candidates).update(
            export_claimed_by=claim.token, export_claimed_until=claim.until, export_started_at=now
        )
    return list(
        model.objects.filter(pk__in=candidates, export_claimed_by=claim.token).order_by("pk")
    )


def left_here(model):
    """The oldest record of `model` still exporting under a claim of this worker's thread, or
    None. A thread runs one task at a time and every settled try clears its claim, so such a
    record was left by a run of this thread that the database cut off mid-batch."""
    return (
        model.objects.filter(
            sync_status=SyncStatus.EXPORTING,
            export_claimed_by__startswith=f"{claimant()}/",
            export_claimed_until__gte=timezone.now(),
        )
        .order_by("pk")
        .first()
    )


def still_claimed(records: list, claim: Claim) -> list:
    """The records still exporting the attempt they were claimed for, under `claim`: right
    before sending, nothing settled or reset meanwhile goes out."""
    if not records:
        return []
    model = type(records[0])
    attempts = {record.pk: record.export_attempt for record in records}
    held = set(
        model.objects.filter(
            pk__in=attempts,
            sync_status=SyncStatus.EXPORTING,
            export_claimed_by=claim.token,
        ).values_list("pk", "export_attempt")
    )
    return [record for record in records if (record.pk, attempts[record.pk]) in held]
