"""Two approvers accept the same record at the same moment, on two database connections."""

import threading

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from approvals.models import AuditEvent, Commitment
from approvals.services import StaleState, record_accept, record_send
from approvals.states import Action, SyncStatus
from integrations.models import ERPKind
from tests.factories import make_commitment, make_erp_connection, make_project, make_user


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_accepts_export_once():
    make_erp_connection(kind=ERPKind.XERO)
    project = make_project(synced=True)
    pm = make_user(role="project_manager", projects=[project])
    approvers = [make_user(role="approver"), make_user(role="administrator")]
    commitment = make_commitment(project=project)
    record_send(record=commitment, actor=pm)

    start = threading.Barrier(2)
    outcomes = []

    def accept(approver):
        try:
            seen = Commitment.objects.get(pk=commitment.pk)
            start.wait(timeout=10)
            record_accept(record=seen, actor=approver)
            outcomes.append("accepted")
        except StaleState as error:
            outcomes.append(error.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(approver,)) for approver in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(outcomes) == 2
    assert outcomes.count("accepted") == 1
    [refusal] = [outcome for outcome in outcomes if outcome != "accepted"]
    assert refusal.startswith("This commitment was already accepted by user")
    commitment.refresh_from_db()
    assert commitment.sync_status == SyncStatus.EXPORTING
    assert commitment.export_attempt == 1
    assert DBTaskResult.objects.filter(task_path="approvals.tasks.export_run").count() == 1
    assert AuditEvent.objects.filter(action=Action.ACCEPT).count() == 1
