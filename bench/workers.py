"""Export workers as production runs them: `manage.py db_worker` processes on the exports queue."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, TaskResultStatus, get_date_max

from approvals.tasks import EXPORTS_QUEUE
from bench.database import current_database_url
from bench.sandbox_process import MANAGE

POLL_SECONDS = 0.2
STOP_SECONDS = 30


class WorkersDidNotFinish(Exception):
    pass


def exports_due_within(seconds: float) -> int:
    """Export tasks running, or waiting to run within `seconds` (a try rescheduled further
    out, such as one waiting for tomorrow's budget, is not counted)."""
    horizon = timezone.now() + timedelta(seconds=seconds)
    return (
        DBTaskResult.objects.filter(queue_name=EXPORTS_QUEUE)
        .filter(
            Q(status=TaskResultStatus.RUNNING)
            | Q(status=TaskResultStatus.READY, run_after=get_date_max())
            | Q(status=TaskResultStatus.READY, run_after__lte=horizon)
        )
        .count()
    )


def drain_exports(
    *,
    processes: int,
    environment: dict[str, str],
    timeout_seconds: float,
    due_within: float = 60.0,
) -> None:
    """Run `processes` long-running workers until no export task runs or comes due within
    `due_within` seconds, then stop them as a supervisor does (SIGTERM: each finishes its task).

    A worker is never told to wait: a try rescheduled by the rate limits (due in seconds) keeps
    the workers running until it has run; one rescheduled past `due_within` is left queued.
    """
    env = {
        **os.environ,
        **environment,
        "DATABASE_URL": current_database_url(),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DEBUG": "false",
    }
    command = [
        sys.executable,
        MANAGE,
        "db_worker",
        "--queue-name",
        EXPORTS_QUEUE,
        "--interval",
        "0.05",
        "--no-startup-delay",
        "--no-reload",
    ]
    # The worker logs every task; kept aside and shown only when a worker fails.
    with tempfile.TemporaryFile(mode="w+") as log:
        started = [
            subprocess.Popen(
                [*command, "--worker-id", f"bench-{number}"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            for number in range(processes)
        ]
        deadline = time.monotonic() + timeout_seconds
        try:
            while exports_due_within(due_within):
                if any(process.poll() is not None for process in started):
                    break
                if time.monotonic() > deadline:
                    raise WorkersDidNotFinish(
                        f"The export workers were still busy after {timeout_seconds:.0f} s."
                    )
                time.sleep(POLL_SECONDS)
            for process in started:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in started:
                process.wait(timeout=STOP_SECONDS)
        finally:
            for process in started:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        codes = [process.returncode for process in started]
        log.seek(0)
        tail = log.read()[-2000:]
    if any(code not in (0, -signal.SIGTERM) for code in codes):
        raise WorkersDidNotFinish(
            f"An export worker stopped with an error (exit codes {codes}):\n{tail}"
        )
