"""`manage.py erp_sandbox quickbooks_desktop [options]`: this sandbox's options and its serving."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import CommandError

from .server import ControlServer, build
from .web_connector import ConnectorSettings

HELP = (
    "QuickBooks Desktop: a company file behind a Web Connector that polls the endpoint over SOAP, "
    "with a control API for faults and seeding."
)


def add_arguments(parser) -> None:
    parser.add_argument("--app-url", required=True, help="The endpoint the Web Connector polls.")
    parser.add_argument("--username", required=True, help="The Web Connector user name.")
    parser.add_argument("--password", required=True, help="The password typed into QBWC.")
    parser.add_argument("--every-seconds", type=float, default=30.0, help="Auto-Run interval.")
    parser.add_argument(
        "--data-file",
        default=str(Path(settings.BASE_DIR) / "var" / "quickbooks_desktop_sandbox.sqlite3"),
    )
    parser.add_argument("--reset", action="store_true", help="Empty the company file first.")
    parser.add_argument("--host", default="127.0.0.1", help="Where the control API listens.")
    parser.add_argument("--port", type=int, default=8030, help="The control API's port.")


def serve(options: dict, stdout) -> None:
    """Serve until stopped; CommandError when an option is wrong or the port is taken."""
    app_url = options["app_url"]
    parts = urlsplit(app_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CommandError(f"--app-url {app_url!r} is not an http(s) URL.")
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        # The Web Connector accepts plain http only for localhost.
        raise CommandError("The Web Connector needs an https --app-url except on localhost.")
    if options["every_seconds"] <= 0:
        raise CommandError("--every-seconds must be more than 0.")
    data_file = Path(options["data_file"])
    data_file.parent.mkdir(parents=True, exist_ok=True)
    is_new = not data_file.exists()
    sandbox = build(
        ConnectorSettings(
            app_url=app_url,
            username=options["username"],
            password=options["password"],
            every_seconds=options["every_seconds"],
        ),
        str(data_file),
    )
    if options["reset"] or is_new:
        sandbox.reset()
    try:
        server = ControlServer(sandbox, options["host"], options["port"])
    except OSError as error:
        raise CommandError(
            f"Cannot listen on {options['host']}:{options['port']}: {error}"
        ) from None
    stdout.write(
        f"QuickBooks Desktop sandbox: {sandbox.company.company_name} ({data_file}); the Web "
        f"Connector polls {app_url} every {options['every_seconds']:g} s as {options['username']}."
    )
    stdout.write(f"Control API: {server.base_url}/_sandbox/status")
    sandbox.connector.start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        stdout.write("Stopped.")
    finally:
        sandbox.connector.stop()
        server.server_close()
        sandbox.books.close()
