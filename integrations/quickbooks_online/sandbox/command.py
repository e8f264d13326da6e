"""`manage.py erp_sandbox quickbooks_online [options]`: this sandbox's options and its serving."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from integrations.quickbooks_online.sandbox.app import Sandbox, SandboxConfig
from integrations.quickbooks_online.sandbox.chaos import KINDS, FaultRule
from integrations.quickbooks_online.sandbox.server import SandboxServer
from integrations.quickbooks_online.sandbox.throttle import Limits
from integrations.quickbooks_online.sandbox.webhooks import FORMATS, WebhookSettings

HELP = "QuickBooks Online: OAuth, the accounting API, webhooks, throttles and injected faults."


def fault_rule(spec: str) -> FaultRule:
    """`kind[,count=N][,entity=E][,method=M][,seconds=S][,items=I]`, e.g.
    `http_503,count=2,entity=bill` or `drop_mid_batch,items=2`."""
    kind, *options = [part.strip() for part in spec.split(",")]
    if kind not in KINDS:
        raise CommandError(f"Unknown fault {kind!r}; choose from {', '.join(KINDS)}.")
    values = {}
    for option in options:
        name, _, value = option.partition("=")
        if name not in ("count", "entity", "method", "seconds", "items") or not value:
            raise CommandError(f"Fault option {option!r} is not name=value with a known name.")
        values[name] = value
    try:
        return FaultRule(
            kind=kind,
            count=int(values.get("count", 1)),
            entity=values.get("entity"),
            method=values.get("method"),
            seconds=float(values["seconds"]) if "seconds" in values else None,
            items=int(values["items"]) if "items" in values else None,
        )
    except ValueError as error:
        raise CommandError(f"Fault {spec!r}: {error}") from None


def add_arguments(parser) -> None:
    """This sandbox's options, after `erp_sandbox quickbooks_online`."""
    defaults = Limits()
    qbo = settings.QUICKBOOKS_ONLINE
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument(
        "--data-file", default=str(Path(settings.BASE_DIR) / "var" / "qbo_sandbox.sqlite3")
    )
    parser.add_argument("--reset", action="store_true", help="Empty the sandbox's data first.")
    parser.add_argument("--auto-approve", action="store_true", help="Skip the consent page.")
    parser.add_argument("--client-id", default=qbo["CLIENT_ID"])
    parser.add_argument("--client-secret", default=qbo["CLIENT_SECRET"])
    parser.add_argument(
        "--redirect-uri",
        action="append",
        default=[],
        help="A registered redirect URI (repeatable); any http(s) URL when none is given.",
    )
    parser.add_argument("--webhook-url")
    parser.add_argument("--webhook-verifier", default=qbo["WEBHOOK_VERIFIER_TOKEN"])
    parser.add_argument("--webhook-format", choices=FORMATS, default="legacy")
    parser.add_argument("--rate-window-seconds", type=float, default=defaults.window_seconds)
    parser.add_argument("--requests-per-window", type=int, default=defaults.requests_per_window)
    parser.add_argument("--concurrent-limit", type=int, default=defaults.concurrent)
    parser.add_argument(
        "--batch-requests-per-window", type=int, default=defaults.batch_requests_per_window
    )
    parser.add_argument("--throttle-body", choices=["xml", "json"], default="xml")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="Inject a fault: kind[,count=N][,entity=E][,method=M][,seconds=S][,items=I]. "
        f"Kinds: {', '.join(KINDS)}.",
    )


def serve(options: dict, stdout) -> None:
    """Serve until stopped; CommandError when its port is taken."""
    config = SandboxConfig(
        data_file=options["data_file"],
        client_id=options["client_id"],
        client_secret=options["client_secret"],
        auto_approve=options["auto_approve"],
        redirect_uris=tuple(options["redirect_uri"]),
        limits=Limits(
            requests_per_window=options["requests_per_window"],
            concurrent=options["concurrent_limit"],
            batch_requests_per_window=options["batch_requests_per_window"],
            window_seconds=options["rate_window_seconds"],
            throttle_body=options["throttle_body"],
        ),
        webhook=WebhookSettings(
            url=options["webhook_url"],
            verifier=options["webhook_verifier"],
            format=options["webhook_format"],
        ),
        initial_faults=[fault_rule(spec) for spec in options["fault"]],
    )
    sandbox = Sandbox(config)
    if options["reset"]:
        sandbox.reset()
        for rule in config.initial_faults:
            sandbox.faults.add(rule)
    try:
        server = SandboxServer(sandbox, options["host"], options["port"])
    except OSError as error:
        raise CommandError(
            f"Cannot listen on {options['host']}:{options['port']}: {error}"
        ) from None
    stdout.write(
        f"QuickBooks Online sandbox on {server.base_url} "
        f"(company {config.company_name}, realm {config.realm_id}; data in {config.data_file})"
    )
    stdout.write(f"Discovery: {server.base_url}/.well-known/openid_configuration")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        stdout.write("Stopped.")
    finally:
        server.server_close()
        sandbox.store.close()
