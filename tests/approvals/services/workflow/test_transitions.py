"""Every (action, status) pair: allowed ones move as the table says, the rest are refused."""

import pytest

from approvals.models import AuditEvent, Company
from approvals.services import TransitionNotAllowed, record_transition
from approvals.states import TRANSITIONS, Action, SyncStatus
from tests.factories import make_company

pytestmark = pytest.mark.django_db

PAIRS = [(action, status) for action in Action for status in SyncStatus]


def company_in(status):
    company = make_company()
    Company.objects.filter(pk=company.pk).update(sync_status=status)
    company.refresh_from_db()
    return company


@pytest.mark.parametrize(("action", "status"), PAIRS, ids=[f"{a}-{s}" for a, s in PAIRS])
def test_the_state_table_is_the_only_authority(action, status):
    company = company_in(status)
    allowed, target = TRANSITIONS[action]

    if status in allowed:
        event = record_transition(record=company, action=action, system_actor="test")
        company.refresh_from_db()
        assert company.sync_status == target
        assert (event.action, event.from_status, event.to_status) == (action, status, target)
    else:
        with pytest.raises(TransitionNotAllowed):
            record_transition(record=company, action=action, system_actor="test")
        company.refresh_from_db()
        assert company.sync_status == status
        assert not AuditEvent.objects.exists()


def test_people_cannot_take_the_worker_steps():
    from approvals.services import NotPermitted
    from tests.factories import make_user

    company = company_in(SyncStatus.EXPORTING)
    with pytest.raises(NotPermitted) as refused:
        record_transition(
            record=company, action=Action.EXPORT_SUCCEEDED, actor=make_user(role="superuser")
        )
    assert refused.value.message == "Only the export worker can mark as exported a company."
