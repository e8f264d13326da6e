"""Who may do what, checked at the service level (the UIs only hide buttons)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from approvals.models import Commitment, SubcontractorInvoice
from approvals.permissions import can_decide, can_send
from approvals.services import NotPermitted, record_accept, record_reject, record_send
from approvals.states import SyncStatus
from tests.factories import make_commitment, make_company, make_invoice, make_project, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(erp_connection):
    project = make_project(synced=True)
    other = make_project(synced=True)
    commitment = make_commitment(project=project)
    invoice = make_invoice(commitment=make_commitment(project=project, synced=True))
    return {
        "project": project,
        "commitment": commitment,
        "invoice": invoice,
        "pm_of_project": make_user(role="project_manager", projects=[project]),
        "pm_of_other": make_user(role="project_manager", projects=[other]),
        "member_without_role": make_user(projects=[project]),
        "approver": make_user(role="approver"),
        "invoice_approver": make_user(approve=[SubcontractorInvoice]),
        "administrator": make_user(role="administrator"),
        "superuser": make_user(role="superuser"),
        "anonymous": AnonymousUser(),
        "none": None,
    }


SEND = {
    "pm_of_project": True,
    "pm_of_other": False,
    "member_without_role": False,
    "approver": False,
    "invoice_approver": False,
    "administrator": True,
    "superuser": True,
    "anonymous": False,
    "none": False,
}

# (may decide on a commitment, may decide on an invoice)
DECIDE = {
    "pm_of_project": (False, False),
    "pm_of_other": (False, False),
    "member_without_role": (False, False),
    "approver": (True, True),
    "invoice_approver": (False, True),
    "administrator": (True, True),
    "superuser": (True, True),
    "anonymous": (False, False),
    "none": (False, False),
}


@pytest.mark.parametrize("who", SEND)
def test_send_matrix(scene, who):
    actor, commitment = scene[who], scene["commitment"]
    assert can_send(actor, commitment) is SEND[who]
    if SEND[who]:
        record_send(record=commitment, actor=actor)
        assert commitment.sync_status == SyncStatus.READY_TO_EXPORT
    else:
        with pytest.raises(NotPermitted):
            record_send(record=commitment, actor=actor)
        assert Commitment.objects.get(pk=commitment.pk).sync_status == SyncStatus.NOT_SENT


@pytest.mark.parametrize("who", DECIDE)
def test_decide_matrix(scene, who):
    actor = scene[who]
    on_commitment, on_invoice = DECIDE[who]
    for record, expected in ((scene["commitment"], on_commitment), (scene["invoice"], on_invoice)):
        record_send(record=record, actor=scene["administrator"])
        assert can_decide(actor, record) is expected
        if expected:
            record_reject(record=record, actor=actor, reason="Not this month.")
            assert record.sync_status == SyncStatus.REJECTED
        else:
            with pytest.raises(NotPermitted):
                record_accept(record=record, actor=actor)
            assert type(record).objects.get(pk=record.pk).sync_status == (
                SyncStatus.READY_TO_EXPORT
            )


def test_any_project_manager_may_send_a_company(scene):
    company = make_company()
    assert can_send(scene["pm_of_other"], company)
    assert not can_send(scene["approver"], company)


def test_refusals_say_why(scene):
    with pytest.raises(NotPermitted) as refused:
        record_send(record=scene["commitment"], actor=scene["pm_of_other"])
    assert refused.value.message == (
        f"Only project managers on project '{scene['project']}' can send its commitments."
    )
    record_send(record=scene["invoice"], actor=scene["pm_of_project"])
    with pytest.raises(NotPermitted) as refused:
        record_accept(record=scene["invoice"], actor=scene["pm_of_project"])
    assert refused.value.message == (
        "You do not have the right to approve invoices. Ask an administrator to give it to you."
    )
    with pytest.raises(NotPermitted) as refused:
        record_accept(record=scene["invoice"], actor=None)
    assert refused.value.message == "Please sign in first."
