import pytest

from approvals.locking import lines_locked, locked_fields
from approvals.services import record_accept, record_reject, record_send
from approvals.states import SyncStatus
from tests.factories import (
    make_change_order,
    make_commitment,
    make_company,
    make_invoice,
    make_project,
)

pytestmark = pytest.mark.django_db


def test_a_commitment_locks_what_the_erp_depends_on_once_sent(project, pm, approver):
    commitment = make_commitment(project=project)
    assert locked_fields(commitment) == frozenset()
    assert not lines_locked(commitment)

    record_send(record=commitment, actor=pm)
    assert {"vendor", "title", "number", "status"} <= locked_fields(commitment)
    assert "description" in locked_fields(commitment)
    assert lines_locked(commitment)

    record_reject(record=commitment, actor=approver, reason="Wrong vendor.")
    assert locked_fields(commitment) == frozenset()
    assert not lines_locked(commitment)


def test_synced_and_exporting_records_stay_locked(project, pm, approver):
    commitment = make_commitment(project=project)
    record_send(record=commitment, actor=pm)
    record_accept(record=commitment, actor=approver)
    assert commitment.sync_status == SyncStatus.EXPORTING
    assert lines_locked(commitment)

    company = make_company(synced=True)
    assert "name" in locked_fields(company)
    assert not lines_locked(company)


def test_every_locked_field_exists_on_its_model(erp_connection):
    records = [
        make_project(),
        make_company(),
        make_commitment(),
        make_change_order(),
        make_invoice(),
    ]
    for record in records:
        model = type(record)
        model.objects.filter(pk=record.pk).update(sync_status=SyncStatus.READY_TO_EXPORT)
        record.refresh_from_db()
        names = {field.name for field in model._meta.get_fields()}
        assert locked_fields(record)
        assert locked_fields(record) <= names, model
