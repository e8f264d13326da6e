"""The project manager's rejected records: seen together with their reasons, resent together,
each with its own outcome."""

import pytest
from django.urls import reverse

from approvals.models import CostCode
from approvals.services import record_reject, record_send
from approvals.states import SyncStatus
from tests.approvals.views.conftest import messages_of
from tests.factories import (
    make_change_order,
    make_commitment,
    make_company,
    make_invoice,
    make_project,
    make_user,
)

REJECTED = reverse("approvals:rejected_list")


@pytest.fixture
def approver(db):
    return make_user(role="approver", first_name="Alex")


def rejected(records, *, by, sender, reason="Please fix line 2."):
    for record in records:
        record_send(record=record, actor=sender)
        record_reject(record=record, actor=by, reason=reason)
        record.refresh_from_db()
    return records


def test_the_page_lists_every_rejected_record_of_the_managers_projects_with_its_reason(
    pm_client, pm, project, connection, approver
):
    vendor = make_company(synced=True, name="Acme Drywall")
    commitment = make_commitment(project=project, vendor=vendor)
    synced = make_commitment(project=project, vendor=vendor, synced=True)
    invoice = make_invoice(commitment=synced, number="KC-7")
    change_order = make_change_order(commitment=synced)
    company = make_company(name="Pacific Plumbing")
    rejected(
        [commitment, invoice, change_order, company],
        by=approver,
        sender=pm,
        reason="<b>Wrong</b> amount\non line 2",
    )
    elsewhere = make_project(synced=True)
    others = make_user(role="project_manager", projects=[elsewhere])
    rejected([make_commitment(project=elsewhere, number="SC-999")], by=approver, sender=others)

    response = pm_client.get(REJECTED)

    page = response.content.decode()
    for key in (
        f"commitment:{commitment.pk}",
        f"invoice:{invoice.pk}",
        f"change-order:{change_order.pk}",
        f"company:{company.pk}",
    ):
        assert f'value="{key}"' in page
    assert "SC-999" not in page
    assert "&lt;b&gt;Wrong&lt;/b&gt; amount<br>on line 2" in page
    assert "Alex" in page
    assert 'aria-label="Resend invoice KC-7 (Acme Drywall)"' in page


def test_resending_several_says_what_became_of_each(pm_client, pm, project, connection, approver):
    fixed, not_fixed = rejected(
        [make_commitment(project=project, number=f"SC-{n}") for n in (1, 2)],
        by=approver,
        sender=pm,
    )
    # Still wrong: its cost code is no longer one of the ERP's.
    CostCode.objects.filter(pk=not_fixed.lines.get().cost_code_id).update(erp_id="")

    response = pm_client.post(
        REJECTED,
        {"record": [f"commitment:{fixed.pk}", f"commitment:{not_fixed.pk}"]},
        follow=True,
    )

    said = messages_of(response)
    assert said[0] == "1 of 2 records resent."
    assert f"Commitment SC-1 '{fixed.title}': sent to the approvers again." in said
    assert any(
        message.startswith("Commitment SC-2") and "not a standard" in message for message in said
    )
    fixed.refresh_from_db()
    not_fixed.refresh_from_db()
    assert fixed.sync_status == SyncStatus.READY_TO_EXPORT
    assert not_fixed.sync_status == SyncStatus.REJECTED
    assert f'value="commitment:{not_fixed.pk}"' in response.content.decode()


def test_records_not_rejected_on_ones_projects_cannot_be_resent_through_the_page(
    pm_client, pm, project, connection, approver
):
    elsewhere = make_project(synced=True)
    others = make_user(role="project_manager", projects=[elsewhere])
    (theirs,) = rejected([make_commitment(project=elsewhere)], by=approver, sender=others)
    waiting = make_commitment(project=project)
    record_send(record=waiting, actor=pm)

    response = pm_client.post(
        REJECTED,
        {"record": [f"commitment:{theirs.pk}", f"commitment:{waiting.pk}", "nonsense", ""]},
        follow=True,
    )

    assert messages_of(response) == ["Tick at least one record to resend."]
    theirs.refresh_from_db()
    assert theirs.sync_status == SyncStatus.REJECTED
