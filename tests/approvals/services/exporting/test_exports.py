"""The export runner: success, transient retries with back-off, permanent failures, recovery."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from approvals.models import AuditEvent, Commitment, CommitmentLine
from approvals.services import export_run, exports_recover_stuck, record_accept, record_send
from approvals.services.exporting.exports import idempotency_key, retry_delay_seconds
from approvals.services.workflow.approved import new_request_key
from approvals.states import Action, SyncStatus
from integrations.base import (
    ExportResult,
    PermanentERPError,
    RateLimitedError,
    TransientERPError,
)
from tests.factories import make_commitment

pytestmark = pytest.mark.django_db

LABEL = "approvals.commitment"


@pytest.fixture
def exporting(project, pm, approver):
    commitment = make_commitment(project=project)
    record_send(record=commitment, actor=pm)
    record_accept(record=commitment, actor=approver)
    return commitment


def export_tasks():
    return DBTaskResult.objects.filter(task_path="approvals.tasks.export_run").order_by(
        "enqueued_at"
    )


def come_due(record) -> None:
    """The time a retry was scheduled for has come (the worker runs it now)."""
    type(record).objects.filter(pk=record.pk).update(export_started_at=timezone.now())


def test_success_links_the_record_and_keeps_the_exchange(scripted_connector, exporting):
    line = CommitmentLine.objects.get(commitment=exporting)
    scripted_connector.SCRIPT.append(
        ExportResult(
            erp_id="145",
            version="0",
            doc_number="SC-1",
            line_ids={line.pk: "1"},
            request_payload={"DocNumber": "SC-1"},
            response_payload={"PurchaseOrder": {"Id": "145"}},
        )
    )
    assert export_run(model_label=LABEL, record_id=exporting.pk) == "synced"

    exporting.refresh_from_db()
    assert exporting.sync_status == SyncStatus.SYNCED
    assert (exporting.erp_id, exporting.erp_version, exporting.erp_doc_number) == (
        "145",
        "0",
        "SC-1",
    )
    assert exporting.erp_connection is not None
    assert exporting.erp_synced_at is not None
    line.refresh_from_db()
    assert line.erp_line_id == "1"
    event = AuditEvent.objects.get(action=Action.EXPORT_SUCCEEDED)
    assert event.actor_label == "export worker"
    assert event.request_payload == {"DocNumber": "SC-1"}
    assert event.response_payload == {"PurchaseOrder": {"Id": "145"}}
    assert scripted_connector.CALLS[0]["idempotency_key"] == idempotency_key(exporting)


def test_a_lost_answer_is_asked_again_with_the_same_key(scripted_connector, exporting):
    # No status: the request may have been done; only the same key may ask again (replay).
    scripted_connector.SCRIPT.append(TransientERPError("Did not answer in time."))
    assert export_run(model_label=LABEL, record_id=exporting.pk) == "retry scheduled"
    scripted_connector.SCRIPT.append(ExportResult(erp_id="9"))
    come_due(exporting)
    assert export_run(model_label=LABEL, record_id=exporting.pk, try_number=2) == "synced"

    keys = [call["idempotency_key"] for call in scripted_connector.CALLS]
    assert len(keys) == 2 and keys[0] == keys[1]


def test_after_an_error_answer_the_next_try_uses_a_new_key(scripted_connector, exporting, settings):
    settings.EXPORT_RETRY_BASE_SECONDS = 2
    scripted_connector.SCRIPT.append(TransientERPError("Throttled", status=429, retry_after=90))
    before = timezone.now()

    assert export_run(model_label=LABEL, record_id=exporting.pk) == "retry scheduled"

    exporting.refresh_from_db()
    assert exporting.sync_status == SyncStatus.EXPORTING
    retry = export_tasks().last()
    assert retry.args_kwargs["args"] == [LABEL, exporting.pk, 1, 2]
    assert retry.run_after >= before + timedelta(seconds=90)
    assert exporting.export_started_at == retry.run_after
    assert exporting.export_try == 2
    # Until then the task it replaced, run again by a worker, sends nothing.
    assert export_run(model_label=LABEL, record_id=exporting.pk) == "skipped: its try is due later"

    scripted_connector.SCRIPT.append(ExportResult(erp_id="9"))
    come_due(exporting)
    assert export_run(model_label=LABEL, record_id=exporting.pk, try_number=2) == "synced"
    keys = [call["idempotency_key"] for call in scripted_connector.CALLS]
    assert len(set(keys)) == 2
    assert all(len(key) <= 36 for key in keys)


def test_transient_errors_give_up_after_the_configured_tries(
    scripted_connector, exporting, settings
):
    settings.EXPORT_MAX_TRIES = 3
    scripted_connector.SCRIPT.append(TransientERPError("The service is unavailable."))

    assert export_run(model_label=LABEL, record_id=exporting.pk, try_number=3) == "failed"

    exporting.refresh_from_db()
    assert exporting.sync_status == SyncStatus.EXPORT_FAILED
    assert exporting.last_export_error == (
        "Xero did not answer after 3 tries: The service is unavailable."
    )


def test_a_throttled_try_runs_again_when_the_erp_said_without_counting_as_a_try(
    scripted_connector, exporting, settings
):
    settings.EXPORT_MAX_TRIES = 2
    before = timezone.now()
    for _ in range(3):
        scripted_connector.SCRIPT.append(
            RateLimitedError("Xero is receiving too many requests from us.", retry_after=45)
        )
    # Even the last try the settings allow, throttled again and again, is not failed.
    for _ in range(3):
        come_due(exporting)
        assert (
            export_run(model_label=LABEL, record_id=exporting.pk, try_number=2)
            == "rate limited: try rescheduled"
        )

    exporting.refresh_from_db()
    assert exporting.sync_status == SyncStatus.EXPORTING
    assert exporting.last_export_error == "Xero is receiving too many requests from us."
    retry = export_tasks().last()
    assert retry.args_kwargs["args"] == [LABEL, exporting.pk, 1, 2]
    assert (
        before + timedelta(seconds=45) <= retry.run_after <= timezone.now() + timedelta(seconds=45)
    )
    assert exporting.export_try == 2
    assert not AuditEvent.objects.filter(action=Action.EXPORT_FAILED).exists()
    scripted_connector.SCRIPT.append(ExportResult(erp_id="9"))
    come_due(exporting)
    assert export_run(model_label=LABEL, record_id=exporting.pk, try_number=2) == "synced"


def test_a_permanent_error_fails_the_export_in_plain_words(scripted_connector, exporting):
    scripted_connector.SCRIPT.append(
        PermanentERPError(
            "The vendor 'Acme Drywall' is inactive in the ERP.",
            response_body={"Fault": {"type": "ValidationFault"}},
        )
    )
    assert export_run(model_label=LABEL, record_id=exporting.pk) == "failed"
    exporting.refresh_from_db()
    assert exporting.sync_status == SyncStatus.EXPORT_FAILED
    assert exporting.last_export_error == "The vendor 'Acme Drywall' is inactive in the ERP."
    event = AuditEvent.objects.get(action=Action.EXPORT_FAILED)
    assert event.response_payload == {"Fault": {"type": "ValidationFault"}}


def test_an_unexpected_error_fails_the_export_instead_of_leaving_it_stuck(
    scripted_connector, exporting
):
    scripted_connector.SCRIPT.append(ZeroDivisionError("bug"))
    assert export_run(model_label=LABEL, record_id=exporting.pk) == "failed"
    exporting.refresh_from_db()
    assert exporting.sync_status == SyncStatus.EXPORT_FAILED
    assert "unexpected error" in exporting.last_export_error


def test_a_task_for_an_older_attempt_or_a_settled_record_does_nothing(
    scripted_connector, exporting
):
    assert (
        export_run(model_label=LABEL, record_id=exporting.pk, export_attempt=0)
        == "skipped: superseded by a later attempt"
    )
    Commitment.objects.filter(pk=exporting.pk).update(sync_status=SyncStatus.SYNCED)
    assert export_run(model_label=LABEL, record_id=exporting.pk) == "skipped: not exporting"
    assert scripted_connector.CALLS == []


def test_idempotency_keys_fit_quickbooks_batch_limit(exporting):
    Commitment.objects.filter(pk=exporting.pk).update(export_attempt=999)
    exporting.refresh_from_db()
    assert len(idempotency_key(exporting)) <= 36
    exporting.pk = 9_999_999_999
    assert len(new_request_key(exporting)) <= 36


def test_back_off_grows_and_honours_retry_after(settings):
    settings.EXPORT_RETRY_BASE_SECONDS = 10
    settings.EXPORT_RETRY_MAX_SECONDS = 60
    assert 10 <= retry_delay_seconds(try_number=1) <= 12.5
    assert 40 <= retry_delay_seconds(try_number=3) <= 50
    assert 60 <= retry_delay_seconds(try_number=9) <= 75
    assert retry_delay_seconds(try_number=1, retry_after=300) == 300


def test_stuck_exports_are_requeued_with_their_attempt(exporting):
    Commitment.objects.filter(pk=exporting.pk).update(
        export_started_at=timezone.now() - timedelta(minutes=20)
    )
    fresh = make_commitment(project=exporting.project)
    Commitment.objects.filter(pk=fresh.pk).update(
        sync_status=SyncStatus.EXPORTING, export_started_at=timezone.now()
    )
    out = io.StringIO()

    call_command("erp_recover_exports", "--minutes", "15", stdout=out)

    assert out.getvalue().strip() == "Re-queued 1 stuck export."
    tasks = list(export_tasks())
    assert [task.args_kwargs["args"] for task in tasks] == [
        [LABEL, exporting.pk, 1, 1],
        [LABEL, exporting.pk, 1, 1],
    ]
    assert exports_recover_stuck(older_than=timedelta(minutes=15)) == 0
