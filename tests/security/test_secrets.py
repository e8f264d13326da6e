"""OAuth tokens are encrypted at rest, and no token or secret ever reaches a log: an administrator
connects QuickBooks through the sandbox, the access token expires, a vendor is exported."""

import logging

import pytest
from django.db import connection as database
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from approvals.models import AuditEvent
from approvals.services import record_accept, record_send
from approvals.tasks import export_run
from integrations.crypto import decrypt
from integrations.models import ERPConnection
from tests.factories import make_company, make_user
from tests.integrations.quickbooks_online.test_connect import approve_at_quickbooks, our_path

pytestmark = pytest.mark.django_db


def raw_row(connection_pk: int) -> dict:
    """The ERPConnection row exactly as PostgreSQL (or SQLite) stores it."""
    with database.cursor() as cursor:
        cursor.execute("SELECT * FROM integrations_erpconnection WHERE id = %s", [connection_pk])
        columns = [column.name for column in cursor.description]
        return dict(zip(columns, cursor.fetchone(), strict=True))


def connect(qbo_sandbox) -> ERPConnection:
    administrator = make_user(role="superuser")
    client = Client()
    client.force_login(administrator)
    authorize = client.post(reverse("quickbooks_online:connect"))["Location"]
    callback = client.get(our_path(approve_at_quickbooks(authorize)))
    assert callback.status_code == 302
    return ERPConnection.objects.get(is_active=True)


def export_a_vendor() -> str:
    company = make_company(name="Riverside Drywall LLC")
    record_send(record=company, actor=make_user(role="project_manager"))
    record_accept(record=company, actor=make_user(role="approver"))
    [task] = DBTaskResult.objects.filter(task_path="approvals.tasks.export_run")
    return export_run.call(*task.args_kwargs["args"])


def test_tokens_are_encrypted_at_rest_and_never_logged(qbo_sandbox, qbo_settings, caplog):
    caplog.set_level(logging.DEBUG)
    connected = connect(qbo_sandbox)
    first_tokens = [connected.access_token, connected.refresh_token]
    qbo_sandbox.expire_access_tokens()

    assert export_a_vendor() == "synced"

    connected.refresh_from_db()
    assert connected.access_token not in first_tokens, "the export should have refreshed"
    secrets = {
        *first_tokens,
        connected.access_token,
        connected.refresh_token,
        qbo_settings["CLIENT_SECRET"],
    }
    row = raw_row(connected.pk)
    for column in ("access_token", "refresh_token"):
        assert decrypt(row[column]) == getattr(connected, column)
    stored = " ".join(str(value) for value in row.values())
    logged = caplog.text + " ".join(
        str(record.args) for record in caplog.records if record.args is not None
    )
    audit = " ".join(
        str(event.request_payload) + str(event.response_payload)
        for event in AuditEvent.objects.all()
    )
    assert "Bearer" not in logged
    assert "Authorization" not in logged
    for secret in secrets:
        assert secret not in stored
        assert secret not in logged
        assert secret not in audit
    assert caplog.records, "nothing was logged, so nothing was checked"
