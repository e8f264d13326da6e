"""Serve a local ERP sandbox: `python manage.py erp_sandbox quickbooks_online --port 8010`.

Each accounting system of the registry brings its sandbox's options and serving (its sandbox
module: add_arguments(parser) and serve(options, stdout)); this command only picks it.
"""

from __future__ import annotations

from importlib import import_module

from django.core.management.base import BaseCommand

from integrations.registry import sandboxes


def _sandboxes() -> dict:
    """ERP kind as typed ("quickbooks_online") → its sandbox module."""
    return {
        str(getattr(kind, "value", kind)): import_module(path) for kind, path in sandboxes().items()
    }


class Command(BaseCommand):
    help = "Serve a faithful local sandbox of an accounting system's API."
    # The sandbox uses neither the database nor the apps: serving must not wait on their checks.
    requires_system_checks = []

    def add_arguments(self, parser):
        chosen = parser.add_subparsers(dest="erp", required=True, metavar="ERP")
        for kind, sandbox in _sandboxes().items():
            sandbox.add_arguments(chosen.add_parser(kind, help=sandbox.HELP))

    def handle(self, *args, erp, **options):
        _sandboxes()[erp].serve(options, self.stdout)
