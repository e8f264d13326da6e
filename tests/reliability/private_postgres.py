"""A PostgreSQL cluster of the test's own (initdb in a temporary folder, its own free port), so
the test can stop and start it without touching the machine's shared server."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg


def postgres_bin_dir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateCluster:
    """initdb, start, stop, start again; as the postgres OS user when running as root
    (initdb refuses root)."""

    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.base = Path(tempfile.mkdtemp(prefix="outage-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "postgres.log"
        self.port = _free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.base, user="postgres", group="postgres")

    def _run(self, *command: str, timeout: float = 120) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self._as_postgres else []
        subprocess.run(
            [*prefix, *command], check=True, capture_output=True, timeout=timeout, cwd=self.base
        )

    def create(self) -> None:
        self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        self.start()

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run(
            str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.log), "-w", "start",
        )  # fmt: skip

    def stop(self) -> None:
        """A fast shutdown, as a restart by the service manager does: every session is cut."""
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def accepts_connections(self) -> bool:
        try:
            with psycopg.connect(self.url("postgres"), connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False

    def wait_until_up(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not self.accepts_connections():
            if time.monotonic() > deadline:
                raise AssertionError(f"the private cluster did not come up:\n{self.log_tail()}")
            time.sleep(0.1)

    def create_database(self, name: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.base, ignore_errors=True)
