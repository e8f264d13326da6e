from django.core import mail

from approvals.models import AuditEvent, Commitment
from approvals.states import SyncStatus
from tests.approvals.admin.helpers import (
    action_post,
    changelist_url,
    decision_url,
    ids_of,
    messages_of,
    refreshed,
    reviewed,
    send,
)
from tests.factories import make_commitment


def test_the_reject_action_shows_the_reason_page(approver_client, project, project_manager):
    commitments = send([make_commitment(project=project) for _ in range(2)], by=project_manager)

    response = approver_client.post(
        changelist_url(Commitment), action_post(commitments, "reject_selected")
    )

    assert response.status_code == 200
    assert response.templates[0].name == "admin/approvals/decision.html"
    page = response.content.decode()
    assert "Reason for the rejection" in page
    assert f'name="ids" value="{ids_of(commitments)}"' in page
    assert all(refreshed(c).sync_status == SyncStatus.READY_TO_EXPORT for c in commitments)


def test_the_reject_page_is_also_reached_by_get(approver_client, project, project_manager):
    (commitment,) = send([make_commitment(project=project)], by=project_manager)

    response = approver_client.get(decision_url(Commitment, "reject", [commitment]))

    assert response.status_code == 200
    assert commitment.title in response.content.decode()


def test_reject_without_a_reason_is_refused_with_a_message(
    approver_client, project, project_manager
):
    (commitment,) = send([make_commitment(project=project)], by=project_manager)

    response = approver_client.post(
        decision_url(Commitment, "reject"), {**reviewed([commitment]), "reason": "   "}
    )

    assert response.status_code == 200
    assert "the sender needs the reason to fix it" in response.content.decode()
    assert refreshed(commitment).sync_status == SyncStatus.READY_TO_EXPORT
    assert not AuditEvent.objects.filter(action="reject").exists()


def test_reject_with_a_reason_sends_every_selected_record_back(
    approver_client, approver, project, project_manager, django_capture_on_commit_callbacks
):
    commitments = send([make_commitment(project=project) for _ in range(3)], by=project_manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = approver_client.post(
            decision_url(Commitment, "reject"),
            {**reviewed(commitments), "reason": "Wrong cost code on line 2", "next": "/admin/"},
            follow=True,
        )

    assert response.redirect_chain[-1][0] == "/admin/"
    for commitment in commitments:
        commitment = refreshed(commitment)
        assert commitment.sync_status == SyncStatus.REJECTED
        assert commitment.rejection_reason == "Wrong cost code on line 2"
        assert commitment.decided_by == approver
    shown = messages_of(response)
    assert shown[0] == "3 of 3 commitments done."
    assert sum("rejected and sent back" in message for message in shown) == 3
    assert [message.to for message in mail.outbox] == [[project_manager.email]] * 3
    assert "Wrong cost code on line 2" in mail.outbox[0].body


def test_reject_reports_per_record_why_one_of_them_was_left_alone(
    approver_client, project, project_manager
):
    waiting, decided = send(
        [make_commitment(project=project) for _ in range(2)], by=project_manager
    )
    approver_client.post(
        decision_url(Commitment, "reject"),
        {**reviewed([decided]), "reason": "Duplicate"},
        follow=True,
    )

    response = approver_client.post(
        decision_url(Commitment, "reject"),
        {**reviewed([waiting, decided]), "reason": "Over budget"},
        follow=True,
    )

    shown = messages_of(response)
    assert shown[0] == "1 of 2 commitments done."
    assert (
        f"Commitment {decided.number} '{decided.title}': This commitment is 'Rejected', so it cannot be rejected."
        in shown
    )
    assert refreshed(waiting).rejection_reason == "Over budget"
    assert refreshed(decided).rejection_reason == "Duplicate"


def test_the_reject_page_of_a_failed_record_does_not_say_it_will_be_left_alone(
    approver_client, project, project_manager
):
    (commitment,) = send([make_commitment(project=project)], by=project_manager)
    Commitment.objects.filter(pk=commitment.pk).update(
        sync_status=SyncStatus.EXPORT_FAILED, nothing_in_erp_for_attempt=0
    )

    page = approver_client.get(decision_url(Commitment, "reject", [commitment])).content.decode()
    response = approver_client.post(
        decision_url(Commitment, "reject"),
        {**reviewed([commitment]), "reason": "Wrong cost code"},
        follow=True,
    )

    assert "it will be left as it is" not in page
    assert messages_of(response)[0] == "1 of 1 commitments done."
    assert refreshed(commitment).sync_status == SyncStatus.REJECTED
