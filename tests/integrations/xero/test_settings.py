"""Xero's settings come from the environment, each one listed in .env.example, and `check
--deploy` names the ones still at the local sandbox's values."""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.core.checks import run_checks

ROOT = Path(__file__).resolve().parents[3]


def test_every_xero_variable_the_settings_read_is_in_env_example():
    read = set(
        re.findall(r'env(?:\.\w+)?\(\s*"(XERO_\w+)"', (ROOT / "config/settings.py").read_text())
    )
    listed = set(re.findall(r"^#?\s*(XERO_\w+)=", (ROOT / ".env.example").read_text(), re.M))
    assert "XERO_WEBHOOK_KEY" in read
    assert read - listed == set()


def test_the_webhook_key_is_read_from_the_environment():
    environment = {**os.environ, "XERO_WEBHOOK_KEY": "key-from-the-portal"}
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.XERO['WEBHOOK_KEY'])",
        ],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert shown.stdout.strip().splitlines()[-1] == "key-from-the-portal"


def deploy_warnings() -> list[str]:
    return [m.msg for m in run_checks(include_deployment_checks=True) if m.id == "xero.W001"]


def test_deploy_check_names_a_webhook_key_left_at_the_sandboxs(settings):
    settings.XERO = {**settings.XERO, "CLIENT_ID": "app", "CLIENT_SECRET": "secret"}
    settings.XERO["WEBHOOK_KEY"] = "sandbox-webhook-key"
    assert deploy_warnings() == [
        "XERO_WEBHOOK_KEY is not set: Xero's webhook key is still the local sandbox's."
    ]
    settings.XERO = {**settings.XERO, "WEBHOOK_KEY": "key-from-the-portal"}
    assert deploy_warnings() == []
