"""`manage.py erp_sandbox xero [options]`: this sandbox's options and its serving."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from integrations.xero.sandbox import seeding
from integrations.xero.sandbox.app import Sandbox, SandboxConfig
from integrations.xero.sandbox.chaos import KINDS, PROBLEMS, FaultRule
from integrations.xero.sandbox.server import SandboxServer
from integrations.xero.sandbox.throttle import Limits
from integrations.xero.sandbox.webhooks import WebhookSettings

HELP = "Xero: OAuth, connections, the accounting API, webhooks, limits and injected faults."


def fault_rule(spec: str) -> FaultRule:
    """`kind[,count=N][,resource=R][,method=M][,seconds=S][,problem=P]`,
    e.g. `http_503,count=2,resource=invoices`."""
    kind, *options = [part.strip() for part in spec.split(",")]
    if kind not in KINDS:
        raise CommandError(f"Unknown fault {kind!r}; choose from {', '.join(KINDS)}.")
    values = {}
    for option in options:
        name, _, value = option.partition("=")
        if name not in ("count", "resource", "method", "seconds", "problem") or not value:
            raise CommandError(f"Fault option {option!r} is not name=value with a known name.")
        values[name] = value
    if values.get("problem", "minute") not in PROBLEMS:
        raise CommandError(f"Fault problem must be one of {', '.join(PROBLEMS)}.")
    try:
        return FaultRule(
            kind=kind,
            count=int(values.get("count", 1)),
            resource=values.get("resource"),
            method=values.get("method"),
            seconds=float(values["seconds"]) if "seconds" in values else None,
            problem=values.get("problem", "minute"),
        )
    except ValueError as error:
        raise CommandError(f"Fault {spec!r}: {error}") from None


def add_arguments(parser) -> None:
    """This sandbox's options, after `erp_sandbox xero`."""
    defaults = Limits()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8020)
    parser.add_argument(
        "--data-file", default=str(Path(settings.BASE_DIR) / "var" / "xero_sandbox.sqlite3")
    )
    parser.add_argument("--reset", action="store_true", help="Empty the sandbox's data first.")
    parser.add_argument("--auto-approve", action="store_true", help="Skip the consent page.")
    parser.add_argument("--client-id", default="sandbox-client")
    parser.add_argument("--client-secret", default="sandbox-secret")
    parser.add_argument("--app-name", default="Sandbox App", help="The envelope's ProviderName.")
    parser.add_argument(
        "--redirect-uri",
        action="append",
        default=[],
        metavar="URI",
        help="A redirect URI registered for the app (repeatable); with none, any is taken.",
    )
    parser.add_argument(
        "--country",
        default="AU",
        help=f"The organisation's country: {', '.join(seeding.COUNTRIES)} (UK for GB).",
    )
    parser.add_argument(
        "--second-organisation",
        metavar="COUNTRY",
        help="Also serve a second organisation in this country (e.g. NZ or UK).",
    )
    parser.add_argument("--max-active-options", type=int, default=100)
    parser.add_argument("--webhook-url")
    parser.add_argument("--webhook-key", default="sandbox-webhook-key")
    parser.add_argument("--per-minute", type=int, default=defaults.per_minute)
    parser.add_argument("--per-day", type=int, default=defaults.per_day)
    parser.add_argument("--concurrent", type=int, default=defaults.concurrent)
    parser.add_argument("--app-per-minute", type=int, default=defaults.app_per_minute)
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="Inject a fault: kind[,count=N][,resource=R][,method=M][,seconds=S][,problem=P]. "
        f"Kinds: {', '.join(KINDS)}.",
    )


def serve(options: dict, stdout) -> None:
    """Serve until stopped; CommandError when its port is taken or an option is wrong."""
    for country in (options["country"], options["second_organisation"]):
        if country:
            try:
                seeding.country_of(country)
            except ValueError as error:
                raise CommandError(str(error)) from None
    config = SandboxConfig(
        data_file=options["data_file"],
        client_id=options["client_id"],
        client_secret=options["client_secret"],
        app_name=options["app_name"],
        redirect_uris=tuple(options["redirect_uri"]),
        auto_approve=options["auto_approve"],
        country=options["country"],
        second_country=options["second_organisation"],
        max_active_options=options["max_active_options"],
        limits=Limits(
            per_minute=options["per_minute"],
            per_day=options["per_day"],
            concurrent=options["concurrent"],
            app_per_minute=options["app_per_minute"],
        ),
        webhook=WebhookSettings(url=options["webhook_url"], key=options["webhook_key"]),
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
    organisations = ", ".join(
        f"{org['Name']} ({org['OrganisationID']})" for org in sandbox.organisations()
    )
    stdout.write(f"Xero sandbox on {server.base_url}: {organisations}; data in {config.data_file}")
    stdout.write(
        f"Accounting API: {server.base_url}/api.xro/2.0 · token: {server.base_url}/connect/token"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        stdout.write("Stopped.")
    finally:
        server.server_close()
        sandbox.store.close()
