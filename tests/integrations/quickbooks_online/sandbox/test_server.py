"""The server as a whole: persistence across restarts, concurrency, the management command."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from integrations.quickbooks_online.sandbox.app import SandboxConfig
from integrations.quickbooks_online.sandbox.control import SandboxHandle
from integrations.quickbooks_online.sandbox.server import start_in_thread

from .conftest import CompanyAPI, json_of

PROJECT = Path(__file__).resolve().parents[4]


def stop(server) -> None:
    server.shutdown()
    server.server_close()
    server.sandbox.store.close()


def test_data_and_tokens_survive_a_restart(tmp_path):
    data_file = str(tmp_path / "qbo.sqlite3")
    first = start_in_thread(SandboxConfig(data_file=data_file))
    handle = SandboxHandle(first.base_url)
    tokens = handle.issue_tokens()
    vendor = CompanyAPI(handle, tokens["access_token"]).create("Vendor", {"DisplayName": "Acme"})
    stop(first)
    second = start_in_thread(SandboxConfig(data_file=data_file))
    try:
        again = CompanyAPI(SandboxHandle(second.base_url), tokens["access_token"])
        assert json_of(again.get(f"vendor/{vendor['Id']}"))["Vendor"]["DisplayName"] == "Acme"
        assert again.post("vendor", {"DisplayName": "Brick"}).status_code == 200
    finally:
        stop(second)


def test_concurrent_creates_of_one_name_make_exactly_one_vendor(api, qbo_sandbox):
    statuses = []

    def create():
        session = requests.Session()
        session.headers.update(api.session.headers)
        statuses.append(
            session.post(api.url("vendor"), json={"DisplayName": "Race Co"}, timeout=10).status_code
        )

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [400] * 7
    assert len(qbo_sandbox.entities("Vendor")) == 1


def test_concurrent_updates_with_one_sync_token_let_exactly_one_win(api):
    vendor = api.create("Vendor", {"DisplayName": "Acme"})
    statuses = []

    def update(number):
        session = requests.Session()
        session.headers.update(api.session.headers)
        payload = {"Id": vendor["Id"], "SyncToken": "0", "sparse": True, "AcctNum": str(number)}
        statuses.append(session.post(api.url("vendor"), json=payload, timeout=10).status_code)

    threads = [threading.Thread(target=update, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [400] * 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_management_command_serves_the_sandbox(tmp_path):
    port = free_port()
    command = [
        sys.executable,
        "manage.py",
        "erp_sandbox",
        "quickbooks_online",
        "--port",
        str(port),
        "--data-file",
        str(tmp_path / "cmd.sqlite3"),
        "--reset",
        "--auto-approve",
        "--client-id",
        "cli-client",
        "--client-secret",
        "cli-secret",
        "--rate-window-seconds",
        "5",
        "--requests-per-window",
        "50",
        "--fault",
        "http_503,count=1,entity=vendor",
    ]
    process = subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                handle = SandboxHandle(base_url, timeout=1)
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode()
                assert time.monotonic() < deadline, "the sandbox did not start"
                time.sleep(0.1)
        status = handle.status()
        assert (status["client_id"], status["auto_approve"]) == ("cli-client", True)
        assert (status["limits"]["window_seconds"], status["limits"]["requests_per_window"]) == (
            5,
            50,
        )
        assert status["faults"][0]["kind"] == "http_503"
        api = CompanyAPI(handle, handle.issue_tokens()["access_token"])
        assert api.post("vendor", {"DisplayName": "Acme"}).status_code == 503
        assert api.post("vendor", {"DisplayName": "Acme"}).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_management_command_refuses_an_unknown_fault(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "erp_sandbox",
            "quickbooks_online",
            "--data-file",
            str(tmp_path / "x.sqlite3"),
            "--fault",
            "meteor",
        ],
        cwd=PROJECT,
        capture_output=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert b"Unknown fault 'meteor'" in result.stderr
