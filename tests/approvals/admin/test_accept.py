"""Accepting from the queue: the page first, then the services, with an outcome per record."""

from django_tasks_db.models import DBTaskResult

from approvals.models import AuditEvent, Commitment, Company, CostCode
from approvals.states import SyncStatus
from tests.approvals.admin.helpers import (
    action_post,
    changelist_url,
    decision_url,
    messages_of,
    refreshed,
    reviewed,
    send,
)
from tests.factories import make_commitment, make_company


def queued_exports() -> list[list]:
    return [
        result.args_kwargs["args"][:2]
        for result in DBTaskResult.objects.filter(task_path="approvals.tasks.export_run")
    ]


def test_the_accept_action_shows_what_will_happen_before_anything_does(
    approver_client, project, project_manager
):
    commitments = send([make_commitment(project=project) for _ in range(2)], by=project_manager)

    response = approver_client.post(
        changelist_url(Commitment, queue="ready"), action_post(commitments, "accept_selected")
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "are exported to Scripted ERP in the background" in page
    assert page.count("Nothing to check first.") == 2
    assert page.count("Scripted ERP commitment") == 2  # the connector's description of each
    assert 'value="Accept and export"' in page
    assert f'name="next" value="{changelist_url(Commitment, queue="ready")}"' in page
    assert queued_exports() == []
    assert all(refreshed(c).sync_status == SyncStatus.READY_TO_EXPORT for c in commitments)


def test_the_accept_page_warns_about_a_record_that_will_not_pass(
    approver_client, project, project_manager
):
    ready, broken = send([make_commitment(project=project) for _ in range(2)], by=project_manager)
    # An import from the ERP removed the item behind the broken commitment's cost code.
    CostCode.objects.filter(pk=broken.lines.get().cost_code_id).update(erp_id="")

    page = approver_client.get(decision_url(Commitment, "accept", [ready, broken])).content.decode()

    assert page.count("Nothing to check first.") == 1
    assert "which is not a standard Scripted ERP cost code" in page


def test_bulk_accept_reports_each_record_and_one_failure_stops_no_other(
    approver_client, approver, project, project_manager
):
    first, broken, last = send(
        [make_commitment(project=project) for _ in range(3)], by=project_manager
    )
    CostCode.objects.filter(pk=broken.lines.get().cost_code_id).update(erp_id="")

    response = approver_client.post(
        decision_url(Commitment, "accept"),
        {**reviewed([first, broken, last]), "next": changelist_url(Commitment)},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == changelist_url(Commitment)
    shown = messages_of(response)
    assert shown[0] == "2 of 3 commitments done."
    assert f"Commitment {first.number} '{first.title}': accepted; the export is queued." in shown
    assert f"Commitment {last.number} '{last.title}': accepted; the export is queued." in shown
    refusal = next(message for message in shown if broken.number in message)
    assert "which is not a standard Scripted ERP cost code" in refusal
    assert refreshed(first).sync_status == SyncStatus.EXPORTING
    assert refreshed(last).sync_status == SyncStatus.EXPORTING
    assert refreshed(broken).sync_status == SyncStatus.READY_TO_EXPORT
    assert sorted(queued_exports()) == sorted(
        [["approvals.commitment", first.pk], ["approvals.commitment", last.pk]]
    )
    assert refreshed(first).decided_by == approver
    assert AuditEvent.objects.filter(action="accept").count() == 2


def test_a_vendor_type_not_offered_is_refused(approver_client, project_manager):
    (company,) = send([make_company()], by=project_manager)

    response = approver_client.post(
        decision_url(Company, "accept"), {**reviewed([company]), "vendor_type": "Friend"}
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert refreshed(company).sync_status == SyncStatus.READY_TO_EXPORT


def test_a_project_manager_cannot_accept_through_the_url(client, project_manager):
    (company,) = send([make_company()], by=project_manager)
    client.force_login(project_manager)

    response = client.post(decision_url(Company, "accept"), {**reviewed([company])})

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert refreshed(company).sync_status == SyncStatus.READY_TO_EXPORT


def test_selecting_more_than_the_limit_is_refused_with_a_message(
    approver_client, project, project_manager, monkeypatch
):
    from approvals.admin.records import CommitmentAdmin

    monkeypatch.setattr(CommitmentAdmin, "decision_limit", 2)
    commitments = send([make_commitment(project=project) for _ in range(3)], by=project_manager)

    response = approver_client.post(
        changelist_url(Commitment), action_post(commitments, "accept_selected"), follow=True
    )

    assert (
        "Please select at most 2 commitments at a time: filter the queue by project or vendor "
        "to narrow it down." in messages_of(response)
    )
    assert queued_exports() == []
