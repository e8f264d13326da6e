"""A rejection is done whatever the mail server or one odd record does, and each record's
outcome is reported: an email that cannot be sent is retried, an error stops no other record."""

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from approvals.models import Commitment
from approvals.services.workflow import bulk
from approvals.states import SyncStatus
from tests.approvals.admin.helpers import decision_url, messages_of, refreshed, reviewed, send
from tests.factories import make_commitment


class MailServerDown(EmailBackend):
    """The locmem backend, refusing every message while `down` is set."""

    down = True

    def send_messages(self, messages):
        if MailServerDown.down:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def mail_server_down(settings):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.MailServerDown", "OPTIONS": {}}}
    MailServerDown.down = True
    yield MailServerDown
    MailServerDown.down = True


def _make_due() -> None:
    DBTaskResult.objects.filter(queue_name="default").update(run_after=timezone.now())


def _run_queued_emails() -> int:
    ran = 0
    while result := DBTaskResult.objects.filter(queue_name="default").ready().first():
        result.claim("test")
        result.task.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])
        result.set_successful(None)
        ran += 1
    return ran


def test_a_mail_server_outage_never_fails_a_rejection_and_the_emails_follow(
    approver_client,
    project,
    project_manager,
    mail_server_down,
    django_capture_on_commit_callbacks,
    caplog,
):
    # Stored before single-line fields refused line breaks.
    odd = make_commitment(project=project, title="Framing\r\nBcc: someone@example.com")
    commitments = send([odd, make_commitment(project=project)], by=project_manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = approver_client.post(
            decision_url(Commitment, "reject"),
            {**reviewed(commitments), "reason": "Wrong cost code"},
            follow=True,
        )

    assert response.status_code == 200
    assert messages_of(response)[0] == "2 of 2 commitments done."
    assert all(refreshed(c).sync_status == SyncStatus.REJECTED for c in commitments)
    assert mail.outbox == []
    assert "Could not email" in caplog.text
    queued = DBTaskResult.objects.filter(queue_name="default")
    assert queued.count() == 2
    assert all(result.run_after > result.enqueued_at for result in queued)

    _make_due()
    assert _run_queued_emails() == 2  # still down: each is queued once more, for later
    assert DBTaskResult.objects.filter(queue_name="default").ready().count() == 0
    _make_due()
    mail_server_down.down = False
    assert _run_queued_emails() == 2

    assert [message.to for message in mail.outbox] == [[project_manager.email]] * 2
    assert {message.subject for message in mail.outbox} == {
        f"Rejected: commitment {odd.number} 'Framing Bcc: someone@example.com'",
        f"Rejected: commitment {commitments[1].number} '{commitments[1].title}'",
    }


def test_an_unexpected_error_on_one_record_leaves_it_whole_and_the_others_done(
    approver_client, project, project_manager, monkeypatch
):
    first, broken, last = send(
        [make_commitment(project=project) for _ in range(3)], by=project_manager
    )
    real_reject = bulk.record_reject

    def reject_then_fail_on_broken(*, record, **kwargs):
        event = real_reject(record=record, **kwargs)
        if record.pk == broken.pk:
            raise RuntimeError("disk full")
        return event

    monkeypatch.setattr(bulk, "record_reject", reject_then_fail_on_broken)

    response = approver_client.post(
        decision_url(Commitment, "reject"),
        {**reviewed([first, broken, last]), "reason": "Over budget"},
        follow=True,
    )

    assert response.status_code == 200
    shown = messages_of(response)
    assert shown[0] == "2 of 3 commitments done."
    assert any(
        message.startswith(f"Commitment {broken.number}") and "nothing was changed" in message
        for message in shown
    ), shown
    assert refreshed(first).sync_status == SyncStatus.REJECTED
    assert refreshed(last).sync_status == SyncStatus.REJECTED
    assert refreshed(broken).sync_status == SyncStatus.READY_TO_EXPORT
    assert refreshed(broken).rejection_reason == ""
