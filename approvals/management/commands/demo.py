"""`make demo`: the QuickBooks Online sandbox (or, with `--erp xero`, the Xero sandbox; with
`--erp quickbooks_desktop`, the local QuickBooks Desktop and its Web Connector), a worker and the
web server, with demo data."""

import os
import subprocess
import sys
import time
from pathlib import Path

import requests
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

QUICKBOOKS_ONLINE_APP = "integrations.quickbooks_online"
XERO_APP = "integrations.xero"
QUICKBOOKS_DESKTOP_APP = "integrations.quickbooks_desktop"
SANDBOX_PORTS = {"quickbooks_online": 8010, "xero": 8020, "quickbooks_desktop": 8030}
# How often the demo's Web Connector runs by itself: a few seconds, so the demo shows what waits
# for it and then what it brought.
WEB_CONNECTOR_EVERY_SECONDS = 5


class Command(BaseCommand):
    help = "Start the QuickBooks Online sandbox, a worker and the import schedule, seed demo data, and serve the app."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--erp",
            choices=sorted(SANDBOX_PORTS),
            default="quickbooks_online",
            help="The accounting system the demo exports to (its local sandbox).",
        )
        parser.add_argument(
            "--sandbox-port",
            type=int,
            help="Default: 8010 (QuickBooks Online), 8020 (Xero), 8030 (QuickBooks Desktop).",
        )
        parser.add_argument(
            "--seed-only", action="store_true", help="Seed the demo data, then stop."
        )

    def handle(self, *args, port, erp, sandbox_port, seed_only, **options):
        if not settings.DEBUG:
            raise CommandError(
                "The demo runs only with DEBUG=true: its users have well-known passwords."
            )
        if erp == "xero":
            return self._xero_demo(port, sandbox_port or SANDBOX_PORTS["xero"], seed_only)
        if erp == "quickbooks_desktop":
            return self._quickbooks_desktop_demo(
                port, sandbox_port or SANDBOX_PORTS["quickbooks_desktop"], seed_only
            )
        sandbox_port = sandbox_port or SANDBOX_PORTS["quickbooks_online"]
        if not apps.is_installed(QUICKBOOKS_ONLINE_APP):
            raise CommandError(
                "The demo exports to the QuickBooks Online sandbox, which this installation "
                f"leaves out: add {QUICKBOOKS_ONLINE_APP} to ERP_APPS."
            )
        # Imported only now: an installation without QuickBooks Online never loads its code.
        from approvals.demo import seed_demo
        from integrations.quickbooks_online.sandbox.control import SandboxHandle

        call_command("migrate", interactive=False, verbosity=0)
        children = []
        try:
            sandbox_url = f"http://127.0.0.1:{sandbox_port}"
            _point_at_sandbox(sandbox_url)
            if not _is_serving(sandbox_url):
                children.append(self._start_sandbox(sandbox_port))
                _wait_until(sandbox_url, _is_serving, "QuickBooks Online sandbox")
            sandbox = SandboxHandle(sandbox_url)
            summary = seed_demo(sandbox=sandbox, password=settings.DEMO_PASSWORD)
            self.stdout.write("\n".join(summary))
            if seed_only:
                return
            children.append(_start_worker())
            children.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "erp_schedule", "--loop", "60"],
                    cwd=settings.BASE_DIR,
                )
            )
            self._print_banner(port, sandbox_url)
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        finally:
            for child in children:
                child.terminate()
            for child in children:
                child.wait(timeout=10)

    def _xero_demo(self, port: int, sandbox_port: int, seed_only: bool) -> None:
        if not apps.is_installed(XERO_APP):
            raise CommandError(
                f"The Xero demo exports to the Xero sandbox, which this installation leaves "
                f"out: add {XERO_APP} to ERP_APPS."
            )
        from approvals.demo.xero import seed_xero_demo
        from integrations.xero.sandbox.control import SandboxHandle

        call_command("migrate", interactive=False, verbosity=0)
        children = []
        try:
            sandbox_url = f"http://127.0.0.1:{sandbox_port}"
            _point_xero_at_sandbox(sandbox_url)
            if not _control_api_serves(sandbox_url):
                children.append(self._start_xero_sandbox(sandbox_port))
                _wait_until(sandbox_url, _control_api_serves, "Xero sandbox")
            summary = seed_xero_demo(
                sandbox=SandboxHandle(sandbox_url), password=settings.DEMO_PASSWORD
            )
            self.stdout.write("\n".join(summary))
            if seed_only:
                return
            children.append(_start_worker())
            self._print_banner(port, sandbox_url, erp_name="Xero")
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        finally:
            for child in children:
                child.terminate()
            for child in children:
                child.wait(timeout=10)

    def _quickbooks_desktop_demo(self, port: int, sandbox_port: int, seed_only: bool) -> None:
        if not apps.is_installed(QUICKBOOKS_DESKTOP_APP):
            raise CommandError(
                "The QuickBooks Desktop demo exports to the local QuickBooks Desktop, which this "
                f"installation leaves out: add {QUICKBOOKS_DESKTOP_APP} to ERP_APPS."
            )
        from approvals.demo.quickbooks_desktop import (
            WEB_CONNECTOR_USER,
            seed_quickbooks_desktop_demo,
            web_connector_login,
        )
        from integrations.quickbooks_desktop.sandbox.control import SandboxHandle

        call_command("migrate", interactive=False, verbosity=0)
        password = settings.DEMO_PASSWORD
        site_url = f"http://127.0.0.1:{port}"
        app_url = f"{site_url}/erp/quickbooks-desktop/qbwc/"
        # Before the Web Connector first runs: it would be refused, and refusals slow it down.
        web_connector_login(password=password)
        children = []
        try:
            # The Web Connector calls the site while the seed runs, so the site serves first.
            server = self._start_site(port)
            children.append(server)
            _wait_until(site_url, _site_serves, "web server")
            sandbox_url = f"http://127.0.0.1:{sandbox_port}"
            if not _control_api_serves(sandbox_url):
                children.append(
                    self._start_quickbooks_desktop(sandbox_port, app_url, WEB_CONNECTOR_USER)
                )
                _wait_until(sandbox_url, _control_api_serves, "QuickBooks Desktop sandbox")
            summary = seed_quickbooks_desktop_demo(
                sandbox=SandboxHandle(sandbox_url), password=password, app_url=app_url
            )
            self.stdout.write("\n".join(summary))
            if seed_only:
                return
            children.append(_start_worker())
            self._print_banner(
                port, f"{sandbox_url}/_sandbox/status", erp_name="QuickBooks Desktop"
            )
            self.stdout.write(
                f"Its Web Connector signs in as {WEB_CONNECTOR_USER} / {password} and runs "
                f"every {WEB_CONNECTOR_EVERY_SECONDS} s.\n"
            )
            try:
                server.wait()
            except KeyboardInterrupt:
                self.stdout.write("Stopped.")
        finally:
            for child in children:
                child.terminate()
            for child in children:
                child.wait(timeout=10)

    def _start_site(self, port: int) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=settings.BASE_DIR,
        )

    def _start_quickbooks_desktop(self, port: int, app_url: str, username: str) -> subprocess.Popen:
        data_file = Path(settings.BASE_DIR) / "var" / "quickbooks_desktop_sandbox.sqlite3"
        data_file.parent.mkdir(exist_ok=True)
        return subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "erp_sandbox",
                "quickbooks_desktop",
                "--port",
                str(port),
                "--app-url",
                app_url,
                "--username",
                username,
                "--password",
                settings.DEMO_PASSWORD,
                "--every-seconds",
                str(WEB_CONNECTOR_EVERY_SECONDS),
                "--data-file",
                str(data_file),
            ],
            cwd=settings.BASE_DIR,
        )

    def _start_xero_sandbox(self, port: int) -> subprocess.Popen:
        data_file = Path(settings.BASE_DIR) / "var" / "xero_sandbox.sqlite3"
        data_file.parent.mkdir(exist_ok=True)
        xero = settings.XERO
        return subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "erp_sandbox",
                "xero",
                "--port",
                str(port),
                "--auto-approve",
                "--data-file",
                str(data_file),
                "--client-id",
                xero["CLIENT_ID"],
                "--client-secret",
                xero["CLIENT_SECRET"],
            ],
            cwd=settings.BASE_DIR,
        )

    def _start_sandbox(self, port: int) -> subprocess.Popen:
        data_file = Path(settings.BASE_DIR) / "var" / "qbo_sandbox.sqlite3"
        data_file.parent.mkdir(exist_ok=True)
        qbo = settings.QUICKBOOKS_ONLINE
        return subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "erp_sandbox",
                "quickbooks_online",
                "--port",
                str(port),
                "--auto-approve",
                "--data-file",
                str(data_file),
                "--client-id",
                qbo["CLIENT_ID"],
                "--client-secret",
                qbo["CLIENT_SECRET"],
            ],
            cwd=settings.BASE_DIR,
        )

    def _print_banner(
        self, port: int, sandbox_url: str, *, erp_name: str = "QuickBooks Online"
    ) -> None:
        password = settings.DEMO_PASSWORD
        self.stdout.write(
            self.style.SUCCESS(
                f"\nDemo ready at http://127.0.0.1:{port}/\n"
                f"  project manager: pm / {password}\n"
                f"  accountant:      accountant / {password}  (ERP Integrations: /admin/)\n"
                f"  administrator:   admin / {password}\n"
                f"{erp_name} sandbox: {sandbox_url}\n"
            )
        )


def _point_at_sandbox(sandbox_url: str) -> None:
    """This process and the worker it starts talk to the sandbox on the chosen port."""
    discovery_url = f"{sandbox_url}/.well-known/openid_configuration"
    settings.QUICKBOOKS_ONLINE["API_BASE_URL"] = sandbox_url
    settings.QUICKBOOKS_ONLINE["DISCOVERY_URL"] = discovery_url
    os.environ["QBO_API_BASE_URL"] = sandbox_url
    os.environ["QBO_DISCOVERY_URL"] = discovery_url


def _point_xero_at_sandbox(sandbox_url: str) -> None:
    """This process and the worker it starts talk to the Xero sandbox on the chosen port."""
    addresses = {
        "AUTHORIZE_URL": f"{sandbox_url}/identity/connect/authorize",
        "IDENTITY_BASE_URL": sandbox_url,
        "API_BASE_URL": sandbox_url,
    }
    for name, value in addresses.items():
        settings.XERO[name] = value
        os.environ[f"XERO_{name}"] = value


def _start_worker() -> subprocess.Popen:
    """The export worker: it hands accepted records to the ERP (or its agent's outbox)."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--no-reload"],
        cwd=settings.BASE_DIR,
    )


def _control_api_serves(base_url: str) -> bool:
    """The Xero or QuickBooks Desktop sandbox answers on its control API."""
    try:
        return requests.get(f"{base_url}/_sandbox/status", timeout=1).ok
    except requests.RequestException:
        return False


def _site_serves(base_url: str) -> bool:
    try:
        return requests.get(f"{base_url}/", timeout=1).status_code < 500
    except requests.RequestException:
        return False


def _wait_until(base_url: str, is_serving, name: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_serving(base_url):
            return
        time.sleep(0.2)
    raise CommandError(f"The {name} did not start at {base_url}.")


def _is_serving(base_url: str) -> bool:
    try:
        return requests.get(f"{base_url}/.well-known/openid_configuration", timeout=1).ok
    except requests.RequestException:
        return False
