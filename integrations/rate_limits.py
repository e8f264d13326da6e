"""An ERP company's rate limits, shared by every worker on every machine, counted in the database.

Each ERP declares its limits per connected company (`RateLimits`): calls per window (a minute,
scaled down by the benchmarks), calls at once, calls per day where the ERP has a daily budget,
and batch calls per window where batch requests have a limit of their own. Every call to the ERP
takes a `RateCall` row before it is sent and finishes it when the answer is in:

- it counts toward the window from when it is taken until a full window after its answer (the
  ERP counted it somewhere in between, so this never undercounts);
- it holds a place among the calls at once until it finishes, or until its lease expires: the
  request timeout plus a margin, so a worker that crashed mid-call never holds a place for ever;
- it counts toward the day for 24 hours from when it was taken (a rolling day: never more in any
  day, however the ERP aligns its own).

Why the database: every worker already shares it (the task queue lives there), so the limits
need nothing more to run, and a call is taken in one short transaction that locks the
connection's `RateBudget` row (PostgreSQL: that row's lock; SQLite, the demo on one machine:
its one writer at a time). Nobody sleeps holding that lock: a caller that finds no room leaves
the transaction and waits, briefly (ERP_RATE_LIMIT_MAX_WAIT_SECONDS), or gives up with
`BudgetExhausted`, a RateLimitedError naming when room frees up, and its work is rescheduled for
then (exports do not count it as a try). An ERP that throttles us anyway (another app on the
same company) pauses the connection for every worker for as long as it asked.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from integrations.base import RateLimitedError
from integrations.models import ERPConnection, RateBudget, RateCall

DAY = timedelta(days=1)
# While every place for a call at once is taken, look again this soon: a call usually ends in
# a fraction of a second, and the database is asked nothing while waiting.
BUSY_POLL_SECONDS = 0.02


@dataclass(frozen=True)
class RateLimits:
    """What one ERP company allows us, as the ERP's documentation states it."""

    per_window: int
    concurrent: int
    window_seconds: float = 60.0
    batch_per_window: int | None = None
    per_day: int | None = None
    lease_seconds: float = 60.0
    """How long a call may run before its place among the calls at once is presumed dead."""

    def __post_init__(self):
        limits = [self.per_window, self.concurrent, self.batch_per_window, self.per_day]
        if any(limit is not None and limit < 1 for limit in limits):
            raise ValueError("Every rate limit must allow at least one call.")
        if self.window_seconds <= 0 or self.lease_seconds <= 0:
            raise ValueError("A rate window and a call's lease must last longer than zero seconds.")


class BudgetExhausted(RateLimitedError):
    """Our share of the ERP's limits has no room for this call before `retry_after` seconds."""


def max_wait_seconds() -> float:
    return float(settings.ERP_RATE_LIMIT_MAX_WAIT_SECONDS)


@contextmanager
def call_slot(
    connection: ERPConnection,
    limits: RateLimits,
    *,
    erp_name: str,
    batch: bool = False,
    max_wait: float | None = None,
) -> Iterator[None]:
    """Hold a place for one call to the ERP while it runs.

    Waits (without any lock) while room frees up within `max_wait` seconds (the setting by
    default); raises BudgetExhausted when it would take longer.
    """
    taken = _patiently(
        lambda: take(connection, limits, batch=batch), erp_name=erp_name, max_wait=max_wait
    )
    try:
        yield
    finally:
        finish(taken, limits)


def wait_for_room(
    connection: ERPConnection,
    limits: RateLimits,
    *,
    calls: int,
    erp_name: str,
    max_wait: float | None = None,
) -> None:
    """Return once our share has room for `calls` calls in a row, taking none of them; waits
    and raises as `call_slot` does. Work that needs several calls in a row (a batch's look-up,
    then its create) asks first, so that it does not spend the first call and then stop for
    want of the next, to spend it again on its next try."""

    def room() -> float | None:
        budget = _ensure_budget(connection)
        wait = _wait_for_room(budget, limits, timezone.now(), batch=False, calls=calls)
        return wait if wait > 0 else None

    _patiently(room, erp_name=erp_name, max_wait=max_wait)


def _patiently(attempt, *, erp_name: str, max_wait: float | None):
    """`attempt()` until it returns something other than seconds to wait, sleeping those
    seconds while they fit in `max_wait` (the setting by default); BudgetExhausted otherwise."""
    patience = max_wait_seconds() if max_wait is None else max_wait
    deadline = time.monotonic() + patience
    while True:
        outcome = attempt()
        if not isinstance(outcome, float):
            return outcome
        if outcome > deadline - time.monotonic():
            raise BudgetExhausted(
                f"We have used the requests {erp_name} allows us for now; the work carries on "
                f"in {_seconds(outcome)}.",
                retry_after=outcome,
            )
        time.sleep(outcome)


def take(connection: ERPConnection, limits: RateLimits, *, batch: bool = False) -> RateCall | float:
    """A call taken from the connection's budget, or the seconds until there may be room."""
    with transaction.atomic():
        budget = _locked_budget(connection)
        now = timezone.now()
        wait = _wait_for_room(budget, limits, now, batch=batch)
        if wait > 0:
            return wait
        # Stamped once admitted: a call that finished while the room was being counted has a
        # finish earlier than this start, so the record never shows more calls at once than
        # were let in.
        started = timezone.now()
        lease_until = started + timedelta(seconds=limits.lease_seconds)
        call = RateCall.objects.create(
            connection=connection,
            batch=batch,
            started_at=started,
            lease_until=lease_until,
            counts_until=lease_until + timedelta(seconds=limits.window_seconds),
        )
        # What no longer counts toward any limit is forgotten (kept for a day where a daily
        # budget counts it).
        forgotten = now - DAY if limits.per_day else now
        RateCall.objects.filter(
            connection=connection, counts_until__lt=now, started_at__lt=forgotten
        ).delete()
        return call


def finish(call: RateCall, limits: RateLimits) -> None:
    """The call's answer is in (or it failed): it frees its place at once, and counts toward
    the window for a full window from now."""
    now = timezone.now()
    RateCall.objects.filter(pk=call.pk).update(
        finished_at=now, counts_until=now + timedelta(seconds=limits.window_seconds)
    )


def pause(connection: ERPConnection, seconds: float) -> None:
    """The ERP throttled us anyway: no worker starts a call to it for `seconds`."""
    until = timezone.now() + timedelta(seconds=seconds)
    _ensure_budget(connection)
    RateBudget.objects.filter(
        Q(paused_until__isnull=True) | Q(paused_until__lt=until), connection=connection
    ).update(paused_until=until)


def note_erp_window(connection: ERPConnection, limits: RateLimits, *, remaining: int) -> None:
    """An answer just said how many calls the ERP has left in its own window, which is fixed and
    resets at a time it does not say. When none are left, no worker calls it before that window
    closes.

    When it opened is known to within an answer: at the answer that first showed it, taken as
    when it opened. That is never earlier than it truly did (a call reaches the ERP before its
    answer comes back), so the pause never ends before the window does. A new window shows by
    more calls left than the last answer said, or by the one we knew having closed; an answer
    that comes late (another worker's) can only make it look newer, never older."""
    now = timezone.now()
    window = timedelta(seconds=limits.window_seconds)
    with transaction.atomic():
        budget = _locked_budget(connection)
        opened = budget.erp_window_opened_at
        last = budget.erp_window_remaining
        if opened is None or opened + window <= now or last is None or remaining >= last:
            budget.erp_window_opened_at = opened = now
        budget.erp_window_remaining = remaining
        fields = ["erp_window_opened_at", "erp_window_remaining"]
        closes = opened + window
        if remaining == 0 and (budget.paused_until is None or budget.paused_until < closes):
            budget.paused_until = closes
            fields.append("paused_until")
        budget.save(update_fields=fields)


def day_spent_until(connection: ERPConnection, limits: RateLimits) -> datetime | None:
    """When the ERP's daily budget has room again, while it has none: our own count of the day
    is full, or the ERP held every worker back longer than a window (only its daily limit asks
    for that); None while calls can go out today."""
    now = timezone.now()
    until = []
    paused = (
        RateBudget.objects.filter(connection=connection)
        .values_list("paused_until", flat=True)
        .first()
    )
    if paused and (paused - now).total_seconds() > limits.window_seconds:
        until.append(paused)
    day_room = _day_room_at(connection.pk, limits, now)
    if day_room:
        until.append(day_room)
    return max(until, default=None)


def _wait_for_room(
    budget: RateBudget, limits: RateLimits, now: datetime, *, batch: bool, calls: int = 1
) -> float:
    """Seconds until `calls` more calls fit in every limit (0.0: now)."""
    calls = min(calls, limits.per_window, limits.per_day or calls)
    waits = [0.0]
    if budget.paused_until and budget.paused_until > now:
        waits.append((budget.paused_until - now).total_seconds())
    counted = RateCall.objects.filter(connection_id=budget.pk, counts_until__gt=now)
    tally = counted.aggregate(
        in_window=Count("pk"),
        batches=Count("pk", filter=Q(batch=True)),
        running=Count("pk", filter=Q(finished_at__isnull=True, lease_until__gt=now)),
    )
    if tally["running"] >= limits.concurrent:
        waits.append(BUSY_POLL_SECONDS)
    over = tally["in_window"] + calls - 1 - limits.per_window
    if over >= 0:
        waits.append(_until_counted_out(counted, over, now))
    if batch and limits.batch_per_window and tally["batches"] >= limits.batch_per_window:
        waits.append(
            _until_counted_out(
                counted.filter(batch=True), tally["batches"] - limits.batch_per_window, now
            )
        )
    day_room = _day_room_at(budget.pk, limits, now, calls=calls)
    if day_room:
        waits.append((day_room - now).total_seconds())
    return max(waits)


def _day_room_at(
    connection_id: int, limits: RateLimits, now: datetime, *, calls: int = 1
) -> datetime | None:
    """When the daily budget has room for `calls` more calls again, while our count of the last
    24 hours leaves less."""
    if not limits.per_day:
        return None
    today = RateCall.objects.filter(connection_id=connection_id, started_at__gt=now - DAY)
    made = today.count()
    over = made + calls - 1 - limits.per_day
    if over < 0:
        return None
    oldest = today.order_by("started_at").values_list("started_at", flat=True)[over]
    return oldest + DAY


def _until_counted_out(counted, position: int, now: datetime) -> float:
    """Seconds until all but `position` of the counted calls (oldest first) stop counting."""
    leaves = counted.order_by("counts_until").values_list("counts_until", flat=True)[position]
    return max((leaves - now).total_seconds(), BUSY_POLL_SECONDS)


def _locked_budget(connection: ERPConnection) -> RateBudget:
    """The connection's budget row, locked until the caller's transaction ends."""
    _ensure_budget(connection)
    return RateBudget.objects.select_for_update().get(connection=connection)


def _ensure_budget(connection: ERPConnection) -> RateBudget:
    budget = RateBudget.objects.filter(connection=connection).first()
    if budget is not None:
        return budget
    try:
        with transaction.atomic():
            return RateBudget.objects.create(connection=connection)
    except IntegrityError:  # another worker created it first
        return RateBudget.objects.get(connection=connection)


def _seconds(wait: float) -> str:
    if wait < 90:
        return f"{max(wait, 1):.0f} seconds"
    if wait < 90 * 60:
        return f"{wait / 60:.0f} minutes"
    return f"{wait / 3600:.1f} hours"
