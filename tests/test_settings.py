import subprocess
import sys

from django.conf import settings


def test_database_comes_from_environment(monkeypatch):
    assert settings.DATABASES["default"]["ENGINE"] in {
        "django.db.backends.postgresql",
        "django.db.backends.sqlite3",
    }


def test_production_settings_pass_deploy_checks(tmp_path):
    env = {
        "DEBUG": "false",
        "SECRET_KEY": "a-long-production-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "erp.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "FIELD_ENCRYPTION_KEYS": "qRCz6wDVTsCsGXL9cZ0dHFz2EcfDuHNeRfY6bMBjyfE=",
        "QBO_CLIENT_ID": "intuit-client-id",
        "QBO_CLIENT_SECRET": "intuit-client-secret",
        "QBO_WEBHOOK_VERIFIER_TOKEN": "intuit-verifier-token",
        "XERO_CLIENT_ID": "xero-client-id",
        "XERO_CLIENT_SECRET": "xero-client-secret",
        "XERO_WEBHOOK_KEY": "xero-webhook-key",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
