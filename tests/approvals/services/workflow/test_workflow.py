from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from approvals.models import AuditEvent, Company, DirectExportSetting
from approvals.services import (
    PreconditionsNotMet,
    StaleState,
    TransitionNotAllowed,
    record_accept,
    record_reject,
    record_resend,
    record_retrieve,
    record_retry,
    record_send,
    record_unlink,
)
from approvals.states import Action, SyncStatus
from integrations.questions import AcceptQuestion, AcceptQuestions
from tests.factories import make_commitment, make_company, make_project

pytestmark = pytest.mark.django_db


def export_tasks():
    return DBTaskResult.objects.filter(task_path="approvals.tasks.export_run")


def test_rejected_commitment_is_resent_and_accepted(project, pm, approver):
    commitment = make_commitment(project=project, created_by=pm)

    record_send(record=commitment, actor=pm)
    record_reject(record=commitment, actor=approver, reason="  Wrong retainage percent.  ")
    commitment.refresh_from_db()
    assert commitment.sync_status == SyncStatus.REJECTED
    assert commitment.rejection_reason == "Wrong retainage percent."

    record_resend(record=commitment, actor=pm)
    record_accept(record=commitment, actor=approver)

    commitment.refresh_from_db()
    assert commitment.sync_status == SyncStatus.EXPORTING
    assert commitment.rejection_reason == ""
    assert commitment.decided_by == approver
    assert commitment.export_attempt == 1
    assert commitment.export_started_at is not None
    task = export_tasks().get()
    assert task.queue_name == "exports"
    assert task.args_kwargs["args"] == ["approvals.commitment", commitment.pk, 1, 1]
    assert list(
        AuditEvent.objects.filter(object_id=commitment.pk).values_list("action", flat=True)
    ) == [Action.SEND, Action.REJECT, Action.RESEND, Action.ACCEPT]


def test_send_records_sender_and_time(project, pm):
    commitment = make_commitment(project=project)
    record_send(record=commitment, actor=pm)
    commitment.refresh_from_db()
    assert commitment.sync_status == SyncStatus.READY_TO_EXPORT
    assert commitment.sent_by == pm
    assert timezone.now() - commitment.sent_at < timedelta(minutes=1)


def test_retrieve_takes_a_record_back_before_the_decision(project, pm):
    commitment = make_commitment(project=project)
    record_send(record=commitment, actor=pm)
    record_retrieve(record=commitment, actor=pm)
    commitment.refresh_from_db()
    assert commitment.sync_status == SyncStatus.NOT_SENT


def test_reject_needs_a_reason(project, pm, approver):
    commitment = make_commitment(project=project)
    record_send(record=commitment, actor=pm)
    for blank in ("   ", None, "\x00 "):
        with pytest.raises(PreconditionsNotMet) as refused:
            record_reject(record=commitment, actor=approver, reason=blank)
        assert refused.value.reasons == [
            "Give a reason for the rejection; the sender will read it."
        ]
    commitment.refresh_from_db()
    assert commitment.sync_status == SyncStatus.READY_TO_EXPORT

    record_reject(record=commitment, actor=approver, reason="Wrong\x00 vendor")
    commitment.refresh_from_db()
    assert commitment.rejection_reason == "Wrong vendor"


def test_rejection_emails_sender_and_creator_with_the_reason(
    project, pm, approver, django_capture_on_commit_callbacks
):
    from tests.factories import make_user

    creator = make_user(role="project_manager", projects=[project], email="creator@example.com")
    commitment = make_commitment(project=project, created_by=creator)
    record_send(record=commitment, actor=pm)

    with_reason = "The vendor is on hold."
    with django_capture_on_commit_callbacks(execute=True):
        record_reject(record=commitment, actor=approver, reason=with_reason)

    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == sorted([pm.email, "creator@example.com"])
    assert with_reason in mail.outbox[0].body
    assert "Alice" in mail.outbox[0].body
    assert mail.outbox[0].subject.startswith("Rejected: commitment")


def test_a_stale_accept_says_who_was_first(project, pm, approver, administrator):
    commitment = make_commitment(project=project)
    record_send(record=commitment, actor=pm)
    seen_by_admin = type(commitment).objects.get(pk=commitment.pk)

    record_accept(record=commitment, actor=approver)

    with pytest.raises(StaleState) as stale:
        record_accept(record=seen_by_admin, actor=administrator)
    at = timezone.localtime(AuditEvent.objects.latest("pk").created_at).strftime("%H:%M")
    assert stale.value.message == f"This commitment was already accepted by Alice at {at}."
    assert export_tasks().count() == 1
    assert AuditEvent.objects.filter(action=Action.ACCEPT).count() == 1


def test_a_synced_record_cannot_be_sent(project, pm):
    company = make_company(synced=True)
    with pytest.raises(TransitionNotAllowed) as refused:
        record_send(record=company, actor=pm)
    assert refused.value.message == "This company is 'Synced', so it cannot be sent."


def test_the_accept_asks_what_the_connected_erp_declares(scripted_connector, approver, pm):
    # The scripted ERP puts a contact in a group and asks nothing of a project: no customer.
    project = make_project()
    type(project).objects.filter(pk=project.pk).update(sync_status=SyncStatus.READY_TO_EXPORT)
    project.refresh_from_db()
    record_accept(record=project, actor=approver)
    project.refresh_from_db()
    assert (project.sync_status, project.erp_parent_customer_id) == (SyncStatus.EXPORTING, "")

    company = make_company()
    record_send(record=company, actor=pm)
    with pytest.raises(PreconditionsNotMet) as refused:
        record_accept(record=company, actor=approver, choices={"parent_customer_id": "58"})
    assert refused.value.reasons == [
        "'parent_customer_id' is not something to choose when accepting a company."
    ]
    with pytest.raises(PreconditionsNotMet) as refused:
        record_accept(record=company, actor=approver, choices={"vendor_type": "x" * 51})
    assert refused.value.reasons == ["The contact group is longer than 50 characters."]

    record_accept(record=company, actor=approver, choices={"vendor_type": " trades "})
    company.refresh_from_db()
    assert company.vendor_type == "trades"


def test_a_required_question_left_unanswered_refuses_the_accept(
    scripted_connector, monkeypatch, approver
):
    required = AcceptQuestions(
        choices=(
            AcceptQuestion(
                name="parent_customer_id",
                field="erp_parent_customer_id",
                label="Region",
                choices=(("7", "North"),),
                required=True,
                missing="Choose the region the project reports under.",
            ),
        )
    )
    monkeypatch.setattr(
        scripted_connector.ScriptedConnector, "accept_questions", lambda self, model: required
    )
    project = make_project()
    type(project).objects.filter(pk=project.pk).update(sync_status=SyncStatus.READY_TO_EXPORT)
    project.refresh_from_db()

    with pytest.raises(PreconditionsNotMet) as refused:
        record_accept(record=project, actor=approver)
    assert refused.value.reasons == ["Choose the region the project reports under."]

    record_accept(record=project, actor=approver, choices={"parent_customer_id": "7"})
    project.refresh_from_db()
    assert (project.sync_status, project.erp_parent_customer_id) == (SyncStatus.EXPORTING, "7")


def test_without_a_usable_erp_nothing_is_asked_at_accept(erp_connection, approver, pm):
    company = make_company()
    record_send(record=company, actor=pm)
    with pytest.raises(PreconditionsNotMet) as refused:
        record_accept(record=company, actor=approver, choices={"vendor_type": "Subcontractor"})
    assert refused.value.reasons == [
        "'vendor_type' is not something to choose when accepting a company."
    ]


def test_direct_export_accepts_at_send(erp_connection, pm):
    from django.contrib.contenttypes.models import ContentType

    DirectExportSetting.objects.create(
        content_type=ContentType.objects.get_for_model(Company), enabled=True
    )
    company = make_company()

    record_send(record=company, actor=pm)

    company.refresh_from_db()
    assert company.sync_status == SyncStatus.EXPORTING
    accept = AuditEvent.objects.get(action=Action.ACCEPT)
    assert accept.actor is None
    assert accept.actor_label == "direct export setting"
    assert export_tasks().count() == 1


def test_retry_starts_a_new_attempt(project, pm, approver):
    commitment = make_commitment(project=project)
    record_send(record=commitment, actor=pm)
    record_accept(record=commitment, actor=approver)
    type(commitment).objects.filter(pk=commitment.pk).update(
        sync_status=SyncStatus.EXPORT_FAILED, last_export_error="Vendor is inactive."
    )
    commitment.refresh_from_db()

    record_retry(record=commitment, actor=approver)

    commitment.refresh_from_db()
    assert commitment.sync_status == SyncStatus.EXPORTING
    assert commitment.export_attempt == 2
    assert commitment.last_export_error == ""
    assert [task.args_kwargs["args"][2] for task in export_tasks().order_by("enqueued_at")] == [
        1,
        2,
    ]


def test_unlink_trusts_the_last_vendor_sync_and_says_how_fresh_it_is(erp_connection, approver):
    from approvals.models import ERPVendor, SyncCursor, SyncKind

    company = make_company(synced=True)
    SyncCursor.objects.create(
        erp_connection=erp_connection,
        kind=SyncKind.VENDORS,
        last_success_at=timezone.now() - timedelta(minutes=5, seconds=10),
    )
    vendor = ERPVendor.objects.create(
        erp_connection=erp_connection, erp_id=company.erp_id, display_name=company.name
    )
    with pytest.raises(PreconditionsNotMet) as refused:
        record_unlink(record=company, actor=approver)
    assert "still exists (as of the last sync 5 minutes ago)" in refused.value.message
    assert "Delete or void it in Xero first" in refused.value.message

    vendor.is_active = False
    vendor.save()
    record_unlink(record=company, actor=approver)
    company.refresh_from_db()
    assert company.sync_status == SyncStatus.NOT_SENT
    assert company.erp_id == ""
    assert AuditEvent.objects.get(action=Action.UNLINK).reason.startswith("The Xero")
