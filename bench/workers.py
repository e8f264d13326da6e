"""Export workers as production runs them: `manage.py db_worker` processes on the exports queue."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from approvals.tasks import EXPORTS_QUEUE
from bench.database import current_database_url
from bench.quickbooks import MANAGE


class WorkersDidNotFinish(Exception):
    pass


def drain_exports(*, processes: int, environment: dict[str, str], timeout_seconds: float) -> None:
    """Run `processes` workers until the exports queue has nothing due, then return."""
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
        "--batch",
        "--interval",
        "0",
        "--no-startup-delay",
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
        try:
            for process in started:
                process.wait(timeout=timeout_seconds)
        except subprocess.TimeoutExpired as error:
            raise WorkersDidNotFinish(
                f"The export workers were still busy after {timeout_seconds:.0f} s."
            ) from error
        finally:
            for process in started:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        codes = [process.returncode for process in started]
        log.seek(0)
        tail = log.read()[-2000:]
    if any(codes):
        raise WorkersDidNotFinish(
            f"An export worker stopped with an error (exit codes {codes}):\n{tail}"
        )
