"""Who reaches the ERP Integrations admin and who may decide there."""

import pytest
from django.contrib.auth.models import Permission

from approvals.models import Commitment, SubcontractorInvoice
from approvals.states import SyncStatus
from tests.approvals.admin.helpers import (
    action_post,
    change_url,
    changelist_url,
    decision_url,
    refreshed,
    reviewed,
    send,
)
from tests.factories import make_commitment, make_user

DECISION_ACTIONS = {"accept_selected", "reject_selected", "retry_selected", "unlink_selected"}


def offered_actions(response) -> set[str]:
    action_form = response.context["action_form"]
    if action_form is None:
        return set()
    return {name for name, _ in action_form.fields["action"].choices if name}


def test_a_project_manager_is_sent_to_the_admin_login(client, project_manager):
    client.force_login(project_manager)

    for url in (
        "/admin/",
        changelist_url(Commitment),
        "/admin/approvals/dashboard/",
        decision_url(Commitment, "accept"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_an_approver_is_offered_the_four_decisions(approver_client, project, project_manager):
    send([make_commitment(project=project)], by=project_manager)

    response = approver_client.get(changelist_url(Commitment))

    assert response.status_code == 200
    assert offered_actions(response) == DECISION_ACTIONS


def test_an_approver_without_the_right_for_a_type_is_not_offered_its_decisions(
    client, project, project_manager
):
    invoices_only = make_user(approve=[SubcontractorInvoice])
    invoices_only.is_staff = True
    invoices_only.save(update_fields=["is_staff"])
    invoices_only.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_commitment", "view_subcontractorinvoice"])
    )
    (commitment,) = send([make_commitment(project=project)], by=project_manager)
    client.force_login(invoices_only)

    listing = client.get(changelist_url(Commitment))
    invoices = client.get(changelist_url(SubcontractorInvoice))
    page = client.get(decision_url(Commitment, "accept", [commitment]))
    post = client.post(decision_url(Commitment, "accept"), {**reviewed([commitment])})
    action = client.post(changelist_url(Commitment), action_post([commitment], "accept_selected"))

    assert listing.status_code == 200
    assert offered_actions(listing) == set()
    assert offered_actions(invoices) == DECISION_ACTIONS
    assert page.status_code == 403
    assert post.status_code == 403
    assert "admin/approvals/decision.html" not in [t.name for t in action.templates]
    assert refreshed(commitment).sync_status == SyncStatus.READY_TO_EXPORT


@pytest.mark.parametrize("role", ["administrator", "superuser"])
def test_administrators_decide_on_every_type(client, role, project, project_manager):
    (commitment,) = send([make_commitment(project=project)], by=project_manager)
    client.force_login(make_user(role=role))

    listing = client.get(changelist_url(Commitment))
    page = client.get(decision_url(Commitment, "reject", [commitment]))

    assert offered_actions(listing) == DECISION_ACTIONS
    assert page.status_code == 200


def test_decisions_are_offered_on_the_change_page(approver_client, project, project_manager):
    (commitment,) = send([make_commitment(project=project)], by=project_manager)

    response = approver_client.get(change_url(commitment))

    assert response.status_code == 200
    assert offered_actions(response) == DECISION_ACTIONS


def test_the_change_page_action_leads_to_the_decision_page_and_back(
    approver_client, project, project_manager
):
    (commitment,) = send([make_commitment(project=project)], by=project_manager)

    page = approver_client.post(
        change_url(commitment),
        {"CHANGE_FORM-action": "reject_selected", "_selected_action": [str(commitment.pk)]},
    )
    assert page.status_code == 200
    assert f'name="next" value="{change_url(commitment)}"' in page.content.decode()

    done = approver_client.post(
        decision_url(Commitment, "reject"),
        {**reviewed([commitment]), "reason": "Wrong vendor", "next": change_url(commitment)},
    )

    assert done.status_code == 302
    assert done["Location"] == change_url(commitment)
    assert refreshed(commitment).sync_status == SyncStatus.REJECTED


def test_the_return_address_never_leaves_the_site(approver_client, project, project_manager):
    (commitment,) = send([make_commitment(project=project)], by=project_manager)

    done = approver_client.post(
        decision_url(Commitment, "reject"),
        {**reviewed([commitment]), "reason": "No", "next": "https://evil.example.com/"},
    )

    assert done["Location"] == changelist_url(Commitment)
