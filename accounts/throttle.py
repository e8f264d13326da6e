"""Failed sign-ins slow down one account from one address, never the account everywhere.

After FAILURES_ALLOWED failures, each separated from the last by less than FORGIVEN_AFTER, the
next attempt from that address waits FIRST_WAIT, then twice as long after each further failure
(at most MAX_WAIT). Attempts from other addresses are not affected, so nobody can lock the
accountant out by failing on purpose from elsewhere.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import LoginThrottle

FAILURES_ALLOWED = 5
FORGIVEN_AFTER = timedelta(minutes=15)
FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)


class TooManyFailures(Exception):
    def __init__(self, wait: timedelta):
        super().__init__(wait)
        self.wait = wait

    @property
    def message(self) -> str:
        return (
            "Too many failed sign-ins for this account from your network address. "
            f"Please wait {_duration(self.wait)} and try again."
        )


def attempt(*, username: str, address: str, authenticate) -> None:
    """Run `authenticate` (which raises ValidationError on refusal) unless this account must wait at this address;
    raises TooManyFailures instead while it must. Failures and successes are recorded."""
    key = username.casefold()[:150]
    refusal = None
    with transaction.atomic():
        # The row lock makes concurrent attempts of one account at one address take turns.
        throttle, _ = LoginThrottle.objects.select_for_update().get_or_create(
            username=key, address=address
        )
        now = timezone.now()
        _forget_if_quiet(throttle, now)
        wait = remaining_wait(throttle, now)
        if wait:
            raise TooManyFailures(wait)
        try:
            authenticate()
        except ValidationError as error:
            refusal = error
            throttle.failures += 1
            throttle.last_failure_at = now
            throttle.save(update_fields=["failures", "last_failure_at"])
        else:
            throttle.delete()
    if refusal is not None:
        raise refusal


def remaining_wait(throttle: LoginThrottle, now: datetime) -> timedelta | None:
    if throttle.failures < FAILURES_ALLOWED or throttle.last_failure_at is None:
        return None
    wait = min(FIRST_WAIT * 2 ** (throttle.failures - FAILURES_ALLOWED), MAX_WAIT)
    remaining = throttle.last_failure_at + wait - now
    return remaining if remaining > timedelta(0) else None


def _forget_if_quiet(throttle: LoginThrottle, now: datetime) -> None:
    if throttle.last_failure_at and now - throttle.last_failure_at >= FORGIVEN_AFTER:
        throttle.failures = 0


def _duration(wait: timedelta) -> str:
    seconds = max(1, int(wait.total_seconds() + 0.999))
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{(seconds + 59) // 60} minutes"
