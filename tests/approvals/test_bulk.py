import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.models import CommitmentStatus
from approvals.services import (
    invoices_send_bulk,
    record_send,
    records_accept_bulk,
    records_reject_bulk,
)
from approvals.states import SyncStatus
from tests.factories import make_commitment, make_invoice, make_project

pytestmark = pytest.mark.django_db


def sent_commitments(project, pm, count):
    commitments = [make_commitment(project=project) for _ in range(count)]
    for commitment in commitments:
        record_send(record=commitment, actor=pm)
    return commitments


def test_one_failure_does_not_stop_the_others(project, pm, approver):
    good, bad, also_good = sent_commitments(project, pm, 3)
    type(bad).objects.filter(pk=bad.pk).update(status=CommitmentStatus.VOID)
    bad.refresh_from_db()

    outcomes = records_accept_bulk(records=[good, bad, also_good], actor=approver)

    assert [outcome.ok for outcome in outcomes] == [True, False, True]
    assert outcomes[0].message.endswith("accepted; the export is queued.")
    assert f"Commitment {bad.number} is not approved yet (it is Void)." in outcomes[1].message
    assert outcomes[1].record is bad
    assert bad.sync_status == SyncStatus.READY_TO_EXPORT
    assert good.sync_status == also_good.sync_status == SyncStatus.EXPORTING


def test_bulk_reject_reports_each_item(project, pm, approver):
    first, second = sent_commitments(project, pm, 2)
    records_reject_bulk(records=[first], actor=approver, reason="Duplicate.")
    outcomes = records_reject_bulk(records=[first, second], actor=approver, reason="Duplicate.")
    assert [outcome.ok for outcome in outcomes] == [False, True]
    assert "cannot be rejected" in outcomes[0].message


def test_bulk_send_of_invoices_mentions_possible_duplicates(project, pm):
    commitment = make_commitment(project=project, synced=True)
    make_invoice(commitment=commitment, number="10")
    twin = make_invoice(commitment=commitment, number="10", lines=[{"work_completed": "1"}])
    unique = make_invoice(commitment=commitment, number="11", lines=[{"work_completed": "2"}])
    outcomes = invoices_send_bulk(invoices=[twin, unique], actor=pm)
    assert all(outcome.ok for outcome in outcomes)
    assert "Possible duplicate of invoice 10" in outcomes[0].message
    assert outcomes[1].message.endswith("sent to the approvers.")


def test_bulk_accept_costs_the_same_few_queries_per_item(project, pm, approver):
    def queries_for(count):
        records = sent_commitments(make_project(synced=True, members=[pm]), pm, count)
        pm.__dict__.pop("_approvals_project_ids", None)
        with CaptureQueriesContext(connection) as captured:
            outcomes = records_accept_bulk(records=records, actor=approver)
        assert all(outcome.ok for outcome in outcomes)
        return len(captured)

    queries_for(1)  # warms the per-user permission and content-type caches
    one, two, six = queries_for(1), queries_for(2), queries_for(6)
    per_item = two - one
    assert six == one + 5 * per_item
    assert per_item <= 20
