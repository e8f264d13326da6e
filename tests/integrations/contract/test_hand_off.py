"""A handed-off export settles once: the record waits for the ERP's own agent, locked and left
alone by the stuck-export recovery, and only the agent's answer for its current attempt settles
it; any other answer is kept in its history and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django_tasks_db.models import DBTaskResult

from approvals.locking import is_locked
from approvals.models import AuditEvent
from approvals.services import (
    TransitionNotAllowed,
    exports_recover_stuck,
    record_reject,
    record_retrieve,
    record_retry,
)
from approvals.states import Action, Note, SyncStatus
from tests.approvals.admin.helpers import run_queued_exports
from tests.integrations.contract.erp_under_test import HAND_OFF, applies
from tests.integrations.contract.test_exports import (
    accepted,
    fresh,
    worker_dies_once_the_erp_has_it,
)
from tests.reliability import scene


def history(record) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk
        ).order_by("created_at", "pk")
    )


def actions(record) -> list[str]:
    return [event.action for event in history(record)]


def handed_off(erp, books, name: str = "Hillcrest Glazing"):
    company = accepted(books, scene.new_company(name))
    assert run_queued_exports() == ["handed off"]
    return fresh(company)


def test_a_handed_off_export_waits_for_the_erp_locked_and_settles_once(erp):
    applies(erp, HAND_OFF)
    books = erp.open_books()
    company = handed_off(erp, books)

    assert company.sync_status == SyncStatus.AWAITING_ERP
    waiting = f"Waiting for {erp.erp_name}"
    assert company.sync_status_label == waiting
    assert company.handed_off_to == books.connection and company.handed_off_at is not None
    hand_off = history(company)[-1]
    assert hand_off.action == Action.HAND_OFF
    assert hand_off.reason.startswith(f"Handed to {erp.connector_name} as request ")
    assert hand_off.request_payload["Name"] == "Hillcrest Glazing"
    assert is_locked(company)
    assert exports_recover_stuck(older_than=timedelta(0)) == 0
    assert not DBTaskResult.objects.ready().exists()
    with pytest.raises(TransitionNotAllowed, match=f"is '{waiting}', so it cannot be"):
        record_reject(record=company, actor=books.approver, reason="Wrong vendor type.")
    with pytest.raises(TransitionNotAllowed, match=f"is '{waiting}', so it cannot be"):
        record_retrieve(record=company, actor=books.pm)

    assert erp.agent_answers() == ["synced"]
    company = fresh(company)
    assert company.sync_status == SyncStatus.SYNCED
    assert erp.documents(company) == [company.erp_id]
    assert (company.handed_off_to, company.handed_off_at) == (None, None)
    assert history(company)[-1].actor_label == erp.erp_name

    assert erp.answer_again(company) == "ignored"
    assert fresh(company).sync_status == SyncStatus.SYNCED
    assert actions(company).count(Action.EXPORT_SUCCEEDED) == 1
    ignored = history(company)[-1]
    assert ignored.action == Note.ERP_ANSWER_IGNORED
    assert ignored.reason == (
        f"{erp.erp_name} answered for export attempt 1 that it created document {company.erp_id}, which "
        "this company is linked to. The answer was ignored because that attempt was already "
        "settled (Synced)."
    )


def test_a_failure_answered_fails_the_attempt_and_a_late_answer_for_it_is_ignored(
    erp, mailoutbox, django_capture_on_commit_callbacks
):
    applies(erp, HAND_OFF)
    books = erp.open_books()
    company = handed_off(erp, books)
    said = erp.agent_fails_next()

    with django_capture_on_commit_callbacks(execute=True):
        assert erp.agent_answers() == ["failed"]

    company = fresh(company)
    assert company.sync_status == SyncStatus.EXPORT_FAILED
    assert said in company.last_export_error
    assert (company.handed_off_to, company.handed_off_at) == (None, None)
    assert [email.subject for email in mailoutbox] == ["Export failed: company 'Hillcrest Glazing'"]
    # As after any failed export, the worker asks the ERP whether the attempt left a document.
    assert run_queued_exports() == ["nothing in the ERP"]

    record_retry(record=company, actor=books.approver)
    assert run_queued_exports() == ["handed off"]
    assert erp.answer_again(company, attempt=1) == "ignored"
    company = fresh(company)
    assert company.sync_status == SyncStatus.AWAITING_ERP
    reason = history(company)[-1].reason
    assert reason.startswith(f"{erp.erp_name} answered for export attempt 1 that it failed: ")
    assert said in reason
    assert reason.endswith("The answer was ignored because the company is on export attempt 2 now.")

    assert erp.agent_answers() == ["synced"]
    assert fresh(company).sync_status == SyncStatus.SYNCED
    assert actions(company).count(Note.ERP_ANSWER_IGNORED) == 1


def test_an_answer_that_overtakes_the_record_of_the_hand_off_settles_it(erp):
    applies(erp, HAND_OFF)
    books = erp.open_books()
    company = accepted(books, scene.new_company("Hillcrest Glazing"))
    worker_dies_once_the_erp_has_it(company)

    assert erp.agent_answers() == ["synced"]
    assert exports_recover_stuck(older_than=timedelta(0)) == 0
    company = fresh(company)
    assert company.sync_status == SyncStatus.SYNCED
    assert erp.documents(company) == [company.erp_id]
    assert Action.HAND_OFF not in actions(company)


@pytest.mark.django_db(transaction=True)
def test_two_answers_at_once_settle_once(erp):
    applies(erp, HAND_OFF)
    books = erp.open_books()
    company = handed_off(erp, books)

    assert erp.answer_twice_at_once(company) == ["ignored", "synced"]

    company = fresh(company)
    assert company.sync_status == SyncStatus.SYNCED
    assert actions(company).count(Action.EXPORT_SUCCEEDED) == 1
    assert actions(company).count(Note.ERP_ANSWER_IGNORED) == 1
