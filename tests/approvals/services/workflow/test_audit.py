import pytest
from django.db import DatabaseError, connection, transaction

from approvals.models import AuditEvent, AuditTrailIsAppendOnly
from approvals.selectors import record_history
from approvals.services import record_accept, record_reject, record_resend, record_send
from approvals.states import Action, SyncStatus
from tests.factories import make_commitment

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(project, pm, approver):
    commitment = make_commitment(project=project)
    record_send(record=commitment, actor=pm)
    record_reject(record=commitment, actor=approver, reason="Retainage should be 5%.")
    record_resend(record=commitment, actor=pm)
    record_accept(record=commitment, actor=approver)
    return commitment


def test_one_event_per_state_change_with_who_from_to_and_why(history, pm, approver):
    events = list(record_history(history))
    assert [
        (event.action, event.actor, event.from_status, event.to_status, event.reason)
        for event in events
    ] == [
        (Action.SEND, pm, SyncStatus.NOT_SENT, SyncStatus.READY_TO_EXPORT, ""),
        (
            Action.REJECT,
            approver,
            SyncStatus.READY_TO_EXPORT,
            SyncStatus.REJECTED,
            "Retainage should be 5%.",
        ),
        (Action.RESEND, pm, SyncStatus.REJECTED, SyncStatus.READY_TO_EXPORT, ""),
        (Action.ACCEPT, approver, SyncStatus.READY_TO_EXPORT, SyncStatus.EXPORTING, ""),
    ]


def test_a_refused_step_writes_no_event(history, approver):
    before = AuditEvent.objects.count()
    with pytest.raises(Exception, match="cannot be rejected"):
        record_reject(record=history, actor=approver, reason="Too late.")
    assert AuditEvent.objects.count() == before


def test_the_model_refuses_to_rewrite_history(history):
    event = AuditEvent.objects.first()
    event.reason = "nothing happened"
    with pytest.raises(AuditTrailIsAppendOnly):
        event.save()
    with pytest.raises(AuditTrailIsAppendOnly):
        event.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE approvals_auditevent SET reason = 'forged'",
        "DELETE FROM approvals_auditevent",
    ],
)
def test_the_database_refuses_raw_updates_and_deletes(history, statement):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEvent.objects.filter(reason="Retainage should be 5%.").exists()
    assert AuditEvent.objects.count() == 4
