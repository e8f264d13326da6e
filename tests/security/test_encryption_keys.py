"""Encryption keys rotate without losing the ERP connection, and a token no key can read makes
the connection read as "disconnected — reconnect" everywhere, never a 500, until a reconnect."""

import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection as database
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from approvals.models import Company
from approvals.services import record_accept, record_send
from approvals.states import SyncStatus
from approvals.sync_tasks import sync_run
from approvals.tasks import export_run
from integrations.models import ERPConnection
from tests.approvals.admin.helpers import decision_url
from tests.factories import make_company, make_erp_connection, make_user
from tests.integrations.quickbooks_online.test_connect import approve_at_quickbooks, our_path

pytestmark = pytest.mark.django_db

DISCONNECTED = "disconnected — reconnect"
CONNECTION_URL = reverse("quickbooks_online:connection")


def stored_ciphertext(connection_pk: int) -> str:
    with database.cursor() as cursor:
        cursor.execute(
            "SELECT refresh_token FROM integrations_erpconnection WHERE id = %s", [connection_pk]
        )
        return cursor.fetchone()[0]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def connect_through_quickbooks(client: Client) -> None:
    authorize = client.post(reverse("quickbooks_online:connect"))["Location"]
    assert client.get(our_path(approve_at_quickbooks(authorize))).status_code == 302


def page_text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def followed_messages(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


def run_export_tasks() -> list:
    outcomes = []
    for task in DBTaskResult.objects.filter(task_path="approvals.tasks.export_run"):
        outcomes.append(export_run.call(*task.args_kwargs["args"]))
        task.delete()
    return outcomes


def test_a_new_key_first_keeps_secrets_written_with_the_old_one_readable(settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = []
    settings.FIELD_ENCRYPTION_KEY = old_key
    connection = make_erp_connection(access_token="access-1", refresh_token="refresh-1")

    settings.FIELD_ENCRYPTION_KEY = ""
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    connection = ERPConnection.objects.get(pk=connection.pk)
    assert (connection.access_token, connection.refresh_token) == ("access-1", "refresh-1")
    connection.refresh_token = "refresh-2"
    connection.save()
    assert Fernet(new_key).decrypt(stored_ciphertext(connection.pk).encode()) == b"refresh-2"

    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert ERPConnection.objects.get(pk=connection.pk).refresh_token == "refresh-2"
    assert not ERPConnection.objects.get(pk=connection.pk).authorization_unreadable


def test_saving_a_connection_whose_tokens_no_key_reads_keeps_their_ciphertext(settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    connection = make_erp_connection(access_token="access-1", refresh_token="refresh-1")
    written = stored_ciphertext(connection.pk)

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    unreadable = ERPConnection.objects.get(pk=connection.pk)
    unreadable.company_name = "Renamed"
    unreadable.save()

    assert unreadable.authorization_unreadable
    assert stored_ciphertext(connection.pk) == written


def test_a_rotated_secret_key_reads_as_disconnected_everywhere_until_reconnected(
    qbo_sandbox, qbo_settings, settings
):
    settings.FIELD_ENCRYPTION_KEYS = []
    settings.FIELD_ENCRYPTION_KEY = ""
    administrator = make_user(role="superuser")
    manager = make_user(role="project_manager")
    approver = make_user(role="approver")
    admin_client = signed_in(administrator)
    connect_through_quickbooks(admin_client)
    connection = ERPConnection.objects.get(is_active=True)
    waiting, exporting = make_company(name="Harbor Steel"), make_company(name="Lakeside Glass")
    for company in (waiting, exporting):
        record_send(record=company, actor=manager)
    record_accept(record=exporting, actor=approver)
    unsent = make_company(name="Summit Electric")

    settings.SECRET_KEY = "a-rotated-secret-key-" + "y" * 40
    # A new SECRET_KEY ends every session: everyone signs in again.
    admin_client = signed_in(administrator)

    assert DISCONNECTED in page_text(admin_client.get(CONNECTION_URL)).lower()
    decision_page = signed_in(approver).get(decision_url(Company, "accept", [waiting]))
    assert DISCONNECTED in page_text(decision_page)
    sent = signed_in(manager).post(
        reverse("approvals:record_action", args=["company", unsent.pk, "send"]), follow=True
    )
    assert sent.status_code == 200
    assert DISCONNECTED in followed_messages(sent)
    [outcome] = run_export_tasks()
    assert outcome != "synced"
    exporting.refresh_from_db()
    assert exporting.sync_status != SyncStatus.SYNCED
    assert DISCONNECTED in sync_run.call("vendors", connection.pk)["skipped"]
    with pytest.raises(CommandError, match=DISCONNECTED):
        call_command("erp_sync", "vendors")

    connect_through_quickbooks(admin_client)

    assert DISCONNECTED not in page_text(admin_client.get(CONNECTION_URL)).lower()
    reconnected = ERPConnection.objects.get(is_active=True)
    assert reconnected.pk == connection.pk
    assert not reconnected.authorization_unreadable
    assert record_accept(record=waiting, actor=approver)
    assert run_export_tasks() == ["synced"]


def deploy_check(**secrets) -> subprocess.CompletedProcess:
    env = {
        "DEBUG": "false",
        "SECRET_KEY": "a-long-production-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "erp.example.com",
        "DATABASE_URL": "sqlite:///:memory:",
        "PATH": "/usr/bin:/bin",
        **secrets,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_deploy_check_names_each_missing_production_secret():
    result = deploy_check()

    assert result.returncode != 0
    for secret in (
        "FIELD_ENCRYPTION_KEYS",
        "QBO_CLIENT_ID",
        "QBO_CLIENT_SECRET",
        "QBO_WEBHOOK_VERIFIER_TOKEN",
        "XERO_CLIENT_ID",
        "XERO_CLIENT_SECRET",
    ):
        assert f"{secret} is not set" in result.stderr + result.stdout
