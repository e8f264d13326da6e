"""Odd text typed into the decision pages' addresses gets a sentence, never an error page."""

from approvals.models import AuditEvent, Commitment
from approvals.states import SyncStatus
from tests.approvals.admin.helpers import decision_url, messages_of, refreshed, send
from tests.factories import make_commitment


def test_ids_that_are_not_plain_numbers_select_nothing(approver_client, project, project_manager):
    (commitment,) = send([make_commitment(project=project)], by=project_manager)
    url = decision_url(Commitment, "reject")

    shown = approver_client.get(url, {"ids": "²"}, follow=True)
    posted = approver_client.post(
        url, {"ids": f"²,{commitment.pk}", "versions": "²:1", "reason": "No"}, follow=True
    )

    assert shown.status_code == 200
    assert "None of the selected commitments exist." in messages_of(shown)
    assert posted.status_code == 200
    assert any("did not say which version" in message for message in messages_of(posted))
    assert refreshed(commitment).sync_status == SyncStatus.READY_TO_EXPORT
    assert not AuditEvent.objects.filter(action="reject").exists()


def test_ids_past_the_largest_database_key_select_nothing(approver_client):
    too_big = "99999999999999999999"
    for decision in ("accept", "reject", "retry", "unlink"):
        url = decision_url(Commitment, decision)

        shown = approver_client.get(url, {"ids": too_big}, follow=True)
        posted = approver_client.post(
            url, {"ids": too_big, "versions": f"{too_big}:{too_big}", "reason": "No"}, follow=True
        )

        assert shown.status_code == 200, decision
        assert "None of the selected commitments exist." in messages_of(shown)
        assert posted.status_code == 200, decision
