"""An ERP's sandbox as a separate process for the bench: its own interpreter, as in production
(the ERP does not share our CPU's Python lock), on a free port, its data in a folder of its
own, stopped on exit."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from integrations.models import ERPKind

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")
STARTUP_SECONDS = 30


class SandboxDidNotStart(Exception):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def sandbox_process[Handle](
    kind: ERPKind, options: list[str], handle: Callable[[str], Handle]
) -> Iterator[Handle]:
    """`manage.py erp_sandbox <kind>` with fresh data and `options`, yielding `handle` of its
    address once it answers."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix=f"bench-{kind.value}-") as folder:
        command = [
            sys.executable,
            MANAGE,
            "erp_sandbox",
            kind.value,
            "--port",
            str(port),
            "--data-file",
            str(Path(folder) / f"{kind.value}.sqlite3"),
            "--reset",
            "--auto-approve",
            *options,
        ]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=os.environ.copy())
        try:
            yield _wait_for(process, kind, lambda: handle(f"http://127.0.0.1:{port}"))
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for[Handle](
    process: subprocess.Popen, kind: ERPKind, handle: Callable[[], Handle]
) -> Handle:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SandboxDidNotStart(
                f"The {kind.label} sandbox stopped at start with code {process.returncode}."
            )
        try:
            return handle()
        except OSError:
            time.sleep(0.1)
    raise SandboxDidNotStart(f"The {kind.label} sandbox did not answer within {STARTUP_SECONDS} s.")
