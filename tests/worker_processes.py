"""Real `manage.py db_worker` processes on this test's database, exporting to the sandbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    """The URL of the test database this process uses (pytest-django renamed it)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{quote(db['NAME'], safe='')}"


def worker_environment(sandbox, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """What a worker process exporting to the QuickBooks Online sandbox needs."""
    return process_environment(
        {
            "QBO_API_BASE_URL": sandbox.base_url,
            "QBO_DISCOVERY_URL": sandbox.discovery_url,
            "QBO_CLIENT_ID": sandbox.client_id,
            "QBO_CLIENT_SECRET": sandbox.client_secret,
            **(overrides or {}),
        }
    )


def xero_worker_environment(sandbox, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The same with the Xero sandbox, which serves Xero's identity and API hosts on one."""
    return process_environment(
        {
            "XERO_API_BASE_URL": sandbox.base_url,
            "XERO_IDENTITY_BASE_URL": sandbox.base_url,
            "XERO_CLIENT_ID": sandbox.client_id,
            "XERO_CLIENT_SECRET": sandbox.client_secret,
            **(overrides or {}),
        }
    )


def process_environment(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """What any process of ours needs to work on this test's database: its URL and our keys
    (to read the stored tokens)."""
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        **(overrides or {}),
    }


class WorkerPool:
    """Starts `db_worker` processes; `stop` ends them (and only them) when the test is over."""

    def __init__(self, environment: dict[str, str], log_dir: Path, *, name: str = "worker"):
        self.environment = environment
        self.log_dir = log_dir
        self.name = name
        self.processes: list[subprocess.Popen] = []

    def start(self, count: int = 1) -> list[subprocess.Popen]:
        started = []
        for _ in range(count):
            number = len(self.processes) + 1
            with (self.log_dir / f"worker-{number}.log").open("wb") as log:
                process = subprocess.Popen(
                    [
                        sys.executable,
                        "manage.py",
                        "db_worker",
                        "--queue-name",
                        "*",
                        "--interval",
                        "0.05",
                        "--no-startup-delay",
                        "--no-reload",
                        "--worker-id",
                        f"{self.name}-{number}-{os.getpid()}",
                    ],
                    cwd=PROJECT_ROOT,
                    env=self.environment,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            self.processes.append(process)
            started.append(process)
        return started

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL: no handler runs, no transaction is finished, the task row stays claimed."""
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def alive(self) -> int:
        return sum(process.poll() is None for process in self.processes)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name} ---\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.log_dir.glob("worker-*.log"))
        )
