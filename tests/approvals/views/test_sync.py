"""Send, retrieve and resend through the pages; reasons where sending is not possible yet."""

import pytest
from django.test import Client
from django.urls import reverse

from approvals.models import AuditEvent, CommitmentStatus
from approvals.services import record_reject
from tests.approvals.views.conftest import messages_of
from tests.factories import make_commitment, make_company, make_user


def _action(kind, record, action):
    return reverse("approvals:record_action", args=[kind, record.pk, action])


@pytest.fixture
def commitment(project, connection):
    vendor = make_company(synced=True, name="Acme Drywall")
    project.companies.add(vendor)
    return make_commitment(project=project, vendor=vendor, title="Drywall package")


def test_send_puts_the_commitment_in_the_approvers_queue(pm_client, pm, commitment):
    response = pm_client.post(_action("commitment", commitment, "send"), follow=True)

    commitment.refresh_from_db()
    assert commitment.sync_status == "ready_to_export"
    assert commitment.sent_by == pm
    assert any("was sent to the accounting approvers" in m for m in messages_of(response))
    page = response.content.decode()
    assert "badge-blue" in page
    assert "Retrieve" in page
    assert AuditEvent.objects.filter(object_id=commitment.pk, action="send").count() == 1


def test_retrieve_brings_it_back_before_the_approver_decides(pm_client, commitment):
    pm_client.post(_action("commitment", commitment, "send"))
    response = pm_client.post(_action("commitment", commitment, "retrieve"), follow=True)

    commitment.refresh_from_db()
    assert commitment.sync_status == "not_sent"
    assert any("was retrieved" in m for m in messages_of(response))
    assert "Send to ERP" in response.content.decode()


def test_a_rejection_shows_its_reason_and_offers_resend(pm_client, commitment):
    pm_client.post(_action("commitment", commitment, "send"))
    approver = make_user(role="approver", username="alice")
    commitment.refresh_from_db()
    record_reject(record=commitment, actor=approver, reason="Wrong retainage: use 5%.")

    page = pm_client.get(reverse("approvals:commitment_detail", args=[commitment.pk]))
    text = page.content.decode()
    assert "Wrong retainage: use 5%." in text
    assert "Rejected by alice" in text
    assert "Resend to ERP" in text
    assert "badge-yellow" in text

    pm_client.post(_action("commitment", commitment, "resend"))
    commitment.refresh_from_db()
    assert commitment.sync_status == "ready_to_export"


def test_history_shows_who_did_what_and_why(pm_client, commitment):
    pm_client.post(_action("commitment", commitment, "send"))
    commitment.refresh_from_db()
    record_reject(
        record=commitment, actor=make_user(role="approver", username="alice"), reason="No SOV."
    )

    page = pm_client.get(reverse("approvals:commitment_detail", args=[commitment.pk]))
    history = page.context["history"]
    assert [row["what"] for row in history] == ["Sent to ERP", "Rejected"]
    assert history[0]["who"] == "Pat"
    assert history[1]["who"] == "alice"
    assert history[1]["reason"] == "No SOV."
    assert history[1]["to_status"] == "Rejected"


def test_send_is_disabled_with_the_reasons_listed(pm_client, project, connection):
    vendor = make_company(name="Unlinked Framing")
    project.companies.add(vendor)
    commitment = make_commitment(project=project, vendor=vendor, status=CommitmentStatus.DRAFT)

    page = pm_client.get(reverse("approvals:commitment_detail", args=[commitment.pk]))
    text = page.content.decode()

    # Focusable, so a keyboard reaches it and a screen reader reads the reasons it names.
    assert (
        '<button type="submit" aria-disabled="true" aria-describedby="send-reasons">Send to ERP'
        in text
    )
    assert "Vendor &#x27;Unlinked Framing&#x27; is not linked to" in text
    assert f"Commitment {commitment.number} is not approved yet (it is Draft)." in text


def test_a_refused_send_is_a_message_not_an_error_page(pm_client, project, connection):
    commitment = make_commitment(project=project, status=CommitmentStatus.DRAFT)

    response = pm_client.post(_action("commitment", commitment, "send"), follow=True)

    assert response.status_code == 200
    commitment.refresh_from_db()
    assert commitment.sync_status == "not_sent"
    assert any("is not approved yet" in m for m in messages_of(response))


def test_retrieving_what_was_never_sent_is_a_message(pm_client, commitment):
    response = pm_client.post(_action("commitment", commitment, "retrieve"), follow=True)

    assert response.status_code == 200
    assert messages_of(response)
    commitment.refresh_from_db()
    assert commitment.sync_status == "not_sent"


def test_synced_records_show_their_erp_id(pm_client, project):
    commitment = make_commitment(project=project, synced=True)

    text = pm_client.get(reverse("approvals:project_detail", args=[project.pk])).content.decode()

    assert "badge-green" in text
    assert f"ERP id {commitment.erp_id}" in text
    assert f"ERP id {project.erp_id}" in text


def test_a_company_can_be_sent_from_its_page(pm_client, connection):
    company = make_company(name="Star Framing")

    pm_client.post(_action("company", company, "send"))

    company.refresh_from_db()
    assert company.sync_status == "ready_to_export"


def test_a_send_without_the_csrf_token_is_refused(pm, commitment):

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(pm)

    response = browser.post(_action("commitment", commitment, "send"))

    assert response.status_code == 403
    commitment.refresh_from_db()
    assert commitment.sync_status == "not_sent"


def test_the_send_form_carries_the_csrf_token(pm, commitment):

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(pm)
    page = browser.get(reverse("approvals:commitment_detail", args=[commitment.pk]))
    token = page.context["csrf_token"]

    browser.post(_action("commitment", commitment, "send"), {"csrfmiddlewaretoken": str(token)})

    commitment.refresh_from_db()
    assert commitment.sync_status == "ready_to_export"
