"""An installation with no ERP app (ERP_APPS="") starts, serves its URLs, passes its checks and
loads every management command of ours without importing any ERP's folder: an ERP is an app
one may leave out, and the workflow's tests run that way (`make test`)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.architecture.test_import_boundaries import ERP_MODULES

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: this test process has the default ERP apps loaded.
PROBE = """
import json, os, sys
import django
django.setup()
from django.apps import apps
from django.core import checks
from django.core.management import get_commands, load_command_class
from django.urls import get_resolver
from integrations import registry

get_resolver().url_patterns
problems = checks.run_checks(include_deployment_checks=True)
for name, app in get_commands().items():
    if app.split(".")[0] in ("approvals", "integrations", "accounts"):
        load_command_class(app, name)
print(json.dumps({
    "erp_apps": [config.name for config in apps.get_app_configs() if config.name.startswith(%r)],
    "installed": sorted(registry.installed()),
    "checks": sorted(problem.id for problem in problems),
    "loaded": sorted(name for name in sys.modules if name.startswith(%r)),
}))
"""


def probe(erp_apps: str | None) -> dict:
    """What a fresh process loads with ERP_APPS set to `erp_apps` (None: unset, the default)."""
    environment = {name: value for name, value in os.environ.items() if name != "ERP_APPS"}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=os.environ.get("SECRET_KEY") or "probe-only-secret-key",
        QBO_CLIENT_ID="sandbox-client",  # the sandbox's, so its deploy check speaks
    )
    if erp_apps is not None:
        environment["ERP_APPS"] = erp_apps
    result = subprocess.run(
        [sys.executable, "-c", PROBE % (ERP_MODULES, ERP_MODULES)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_an_erp_no_erp_code_is_loaded_and_no_erp_is_offered():
    found = probe("")
    assert found["erp_apps"] == []
    assert found["installed"] == []
    assert found["loaded"] == []
    assert "integrations.W002" not in found["checks"]  # QuickBooks Online's secrets: not asked
    assert "xero.W001" not in found["checks"]  # nor Xero's


def test_by_default_every_erp_we_ship_is_installed():
    found = probe(None)
    assert found["erp_apps"] == [
        "integrations.quickbooks_online",
        "integrations.xero",
        "integrations.quickbooks_desktop",
    ]
    assert found["installed"] == ["quickbooks_desktop", "quickbooks_online", "xero"]
    assert "integrations.W002" in found["checks"]  # its client id is still the sandbox's
    assert "xero.W001" in found["checks"]  # Xero's too
    assert "integrations.quickbooks_online.checks" in found["loaded"]
