"""The approvers' queue of vendor updates in the admin: list, accept, reject, retry, dashboard."""

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from approvals.models import ApprovalPolicy, Company
from approvals.services.workflow.vendor_updates import vendor_update_propose
from approvals.states import SyncStatus
from tests.approvals.admin.helpers import change_url, messages_of, refreshed
from tests.factories import make_company, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(erp_connection):
    return make_company(
        name="Acme Drywall",
        tax_id="12-3456789",
        city="Portland",
        phone="555-0100",
        sync_status=SyncStatus.SYNCED,
        erp_id="58",
        erp_connection=erp_connection,
    )


@pytest.fixture
def proposer(db):
    return make_user(role="approver", username="pat", first_name="Pat")


@pytest.fixture
def update(company, proposer):
    return vendor_update_propose(
        company=company, actor=proposer, new_values={"tax_id": "98-7654321", "phone": "555-0199"}
    )


def url(update, decision: str) -> str:
    return reverse(f"admin:approvals_vendorupdate_{decision}", args=[update.pk])


def tasks() -> int:
    return DBTaskResult.objects.filter(task_path__endswith="vendor_update_run").count()


def test_the_queue_lists_waiting_updates_with_the_sensitive_fields_marked(approver_client, update):
    page = approver_client.get(
        reverse("admin:approvals_vendorupdate_changelist") + "?status__exact=waiting"
    ).content.decode()
    assert "Acme Drywall" in page
    assert "Phone, <strong>Tax id</strong>" in page
    assert "Waiting for approval" in page


def test_the_accept_page_shows_old_and_new_and_queues_the_update(approver_client, update, company):
    page = approver_client.get(url(update, "accept")).content.decode()
    assert 'class="erp-sensitive"' in page
    assert "12-3456789" in page and "98-7654321" in page
    assert "who is paid or where: check it" in page

    response = approver_client.post(url(update, "accept"), {"version": update.version}, follow=True)

    assert messages_of(response) == [
        "You accepted the vendor update of Acme Drywall; the ERP vendor is being updated in "
        "the background."
    ]
    assert refreshed(update).status == "updating"
    assert refreshed(company).tax_id == "12-3456789"  # only once the ERP holds it
    assert tasks() == 1


def test_a_double_submit_of_the_accept_queues_one_task(approver_client, update):
    shown = {"version": update.version}
    approver_client.post(url(update, "accept"), shown)
    second = approver_client.post(url(update, "accept"), shown)

    assert second.status_code == 200
    assert "It is updating, so it cannot be accepted now." in second.content.decode()
    assert tasks() == 1


def test_the_accept_page_opened_before_the_company_changed_refuses(
    approver_client, update, company
):
    page = approver_client.get(url(update, "accept")).content.decode()
    assert 'value="Accept and update the vendor"' in page
    Company.objects.filter(pk=company.pk).update(phone="555-0142")  # an import, say

    response = approver_client.post(url(update, "accept"), {"version": update.version})

    text = response.content.decode()
    assert response.status_code == 200
    assert "The company changed since this update was proposed" in text
    assert "Phone is now &#x27;555-0142&#x27;, no longer &#x27;555-0100&#x27;" in text
    assert refreshed(update).status == "waiting"
    assert tasks() == 0
    # Every page of the update shows the value it holds now, not the one it had when proposed.
    shown = approver_client.get(url(update, "change")).content.decode()
    assert '555-0142 <strong class="erp-moved">(changed since it was proposed, from 555-0100)' in (
        shown
    )


def test_the_proposer_cannot_accept_their_own_update(client, update, proposer):
    client.force_login(proposer)
    page = client.get(url(update, "accept")).content.decode()
    assert "You proposed this vendor update yourself" in page
    assert 'value="Accept and update the vendor"' not in page

    response = client.post(url(update, "accept"), {"version": update.version})
    assert "You proposed this vendor update yourself" in response.content.decode()
    assert refreshed(update).status == "waiting"


def test_self_approval_follows_the_policy(client, update, proposer):
    ApprovalPolicy.objects.create(allow_self_approval=True)
    client.force_login(proposer)
    client.post(url(update, "accept"), {"version": update.version})
    assert refreshed(update).status == "updating"


def test_a_reject_needs_a_reason(approver_client, update):
    response = approver_client.post(url(update, "reject"), {"version": update.version})
    assert "Please say why you reject it" in response.content.decode()
    assert refreshed(update).status == "waiting"

    approver_client.post(
        url(update, "reject"), {"version": update.version, "reason": "Call them first."}
    )
    update = refreshed(update)
    assert update.status == "rejected"
    assert update.rejection_reason == "Call them first."


def test_values_with_markup_and_line_breaks_are_escaped(approver_client, erp_connection, proposer):
    company = make_company(
        name="Bravo Paint",
        sync_status=SyncStatus.SYNCED,
        erp_id="59",
        erp_connection=erp_connection,
    )
    update = vendor_update_propose(
        company=company,
        actor=proposer,
        new_values={"legal_name": '<img src=x onerror="alert(1)">'},
    )
    page = approver_client.get(url(update, "accept")).content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


@pytest.mark.parametrize("version", ["", "abc", "²", "-1"])
def test_a_malformed_version_gets_a_sentence(approver_client, update, version):
    response = approver_client.post(url(update, "accept"), {"version": version})
    assert response.status_code == 200
    assert "did not say which version" in response.content.decode()
    assert refreshed(update).status == "waiting"


def test_an_unknown_update_is_not_found(approver_client, update):
    assert approver_client.get("/admin/approvals/vendorupdate/999999/accept/").status_code == 404
    assert approver_client.get("/admin/approvals/vendorupdate/abc/change/").status_code == 404


def test_someone_without_the_right_to_approve_companies_is_refused(client, update):
    staff = make_user(username="ivan")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    assert client.get(url(update, "accept")).status_code == 403
    response = client.post(url(update, "accept"), {"version": update.version})
    assert response.status_code == 403
    assert refreshed(update).status == "waiting"


def test_the_dashboard_counts_the_waiting_updates(approver_client, update):
    page = approver_client.get(reverse("admin:approvals_dashboard")).content.decode()
    section = page[page.index('id="erp-vendor-updates"') :]
    assert "<strong>1</strong> waiting for approval" in section


def test_the_company_history_in_the_admin_lists_proposal_and_decision(
    approver_client, update, company
):
    approver_client.post(url(update, "reject"), {"version": update.version, "reason": "No."})
    page = approver_client.get(change_url(company)).content.decode()
    history = page[page.index('id="erp-history"') :]
    assert "Vendor update proposed" in history
    assert "Tax id: 12-3456789 → 98-7654321" in history
    assert "Vendor update rejected" in history
