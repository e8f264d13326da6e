"""`manage.py erp_sandbox quickbooks_desktop`: the company and its Web Connector, auto-running."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from integrations import registry
from tests.qbd_sandbox_plugin import QuickBooksDesktopHandle

from .conftest import message
from .scripted_endpoint import Script

PROJECT = Path(__file__).resolve().parents[4]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_erp_sandbox_serves_the_local_quickbooks_desktop():
    assert (
        registry.sandboxes()["quickbooks_desktop"]
        == "integrations.quickbooks_desktop.sandbox.command"
    )


def test_the_command_runs_the_web_connector_on_its_schedule(tmp_path, endpoint):
    endpoint.load(
        Script(username="cli-user", password="cli-secret", steps=[message("<CompanyQueryRq/>")])
    )
    port = free_port()
    command = [
        sys.executable,
        "manage.py",
        "erp_sandbox",
        "quickbooks_desktop",
        "--app-url",
        endpoint.url,
        "--username",
        "cli-user",
        "--password",
        "cli-secret",
        "--every-seconds",
        "0.5",
        "--data-file",
        str(tmp_path / "company.sqlite3"),
        "--reset",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        handle = QuickBooksDesktopHandle(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 20
        while True:
            try:
                runs = handle.call("GET", "runs")["runs"]
                if len(runs) >= 2:
                    break
            except requests.ConnectionError:
                assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the Web Connector did not run twice"
            time.sleep(0.1)
        assert runs[0]["outcome"] == "ok", runs[0]
        assert handle.status()["records"] == {"Account": 7}
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(
    ("app_url", "expected"),
    [
        ("http://books.example.com/erp/quickbooks-desktop/qbwc/", b"needs an https --app-url"),
        ("ftp://localhost/qbwc/", b"is not an http(s) URL"),
    ],
)
def test_the_command_refuses_what_the_web_connector_would(tmp_path, app_url, expected):
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "erp_sandbox",
            "quickbooks_desktop",
            "--app-url",
            app_url,
            "--username",
            "u",
            "--password",
            "p",
            "--data-file",
            str(tmp_path / "x.sqlite3"),
        ],
        cwd=PROJECT,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert expected in result.stderr
