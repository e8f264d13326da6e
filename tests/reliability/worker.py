"""Run the real export worker in this process until a record's export has settled.

Each run of the worker (`db_worker --batch --max-tasks 1`) takes at most one task, so what
the record shows between two tries of its export can be read. Retries are queued with
`run_after` in the future; the worker leaves them alone until then, so this waits for the next
one to come due and runs the worker again, as a long-running worker would. Nothing inside our
code has its clock moved.
"""

from __future__ import annotations

import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from approvals.states import SyncStatus

EXPORT_TASK = "approvals.tasks.export_run"


@dataclass
class Settled:
    worker_runs: int = 0
    # What the accountant saw on the record while its export waited for a retry.
    interim_messages: list[str] = field(default_factory=list)


@contextmanager
def _signal_handlers_kept():
    """db_worker installs its own SIGINT/SIGTERM handlers; give pytest its own back."""
    kept = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in kept.items():
            signal.signal(sig, handler)


def run_worker_once() -> None:
    """One task at most, so the record can be read between an export's tries."""
    with _signal_handlers_kept():
        call_command(
            "db_worker",
            "--batch",
            "--max-tasks",
            "1",
            "--queue-name",
            "*",
            "--no-startup-delay",
            verbosity=0,
        )


def run_look_up_of(record, *, timeout: float = 30.0) -> None:
    """Run the worker until the look-up of `record`'s failed export has answered: the record
    linked to the document it found, or its attempt known to have left nothing."""
    deadline = time.monotonic() + timeout
    while True:
        record.refresh_from_db()
        if record.sync_status != SyncStatus.EXPORT_FAILED or (
            record.nothing_in_erp_for_attempt == record.export_attempt
        ):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the look-up of {record} did not answer in {timeout:.0f} s.")
        run_worker_once()


def settled_request_log(sandbox, *, quiet_seconds: float = 0.3) -> list[dict]:
    """The request log once held requests are let go and the last of them is written down."""
    sandbox.clear_faults()
    log = sandbox.request_log()
    while True:
        time.sleep(quiet_seconds)
        again = sandbox.request_log()
        if len(again) == len(log):
            return again
        log = again


def run_exports_until_settled(record, *, timeout: float = 30.0) -> Settled:
    """Run the worker until `record` is no longer exporting; fails if its export was lost."""
    settled = Settled()
    deadline = time.monotonic() + timeout
    while True:
        run_worker_once()
        settled.worker_runs += 1
        record.refresh_from_db()
        if record.sync_status != SyncStatus.EXPORTING:
            return settled
        if record.last_export_error and record.last_export_error not in settled.interim_messages:
            settled.interim_messages.append(record.last_export_error)
        due = (
            DBTaskResult.objects.filter(task_path=EXPORT_TASK, status="READY")
            .order_by("run_after")
            .values_list("run_after", flat=True)
            .first()
        )
        if due is None:
            raise AssertionError(f"{record} is exporting but no export task is queued: lost.")
        if time.monotonic() > deadline:
            raise AssertionError(f"{record} still exporting after {timeout:.0f} s.")
        time.sleep(max(0.0, min((due - timezone.now()).total_seconds(), 5.0)) + 0.01)
