"""The rules that keep an approval meaning one thing: who may approve, what an approval covers,
and what happens to records that are mid-export or failed.

The workflow here runs against the scripted connector (no network); the QuickBooks-specific
paths are in test_approved_once.py.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from approvals.models import (
    ApprovalPolicy,
    AuditEvent,
    Commitment,
    CostCode,
    DirectExportSetting,
    SubcontractorInvoice,
)
from approvals.services import (
    NotPermitted,
    PreconditionsNotMet,
    StaleState,
    TransitionNotAllowed,
    export_run,
    record_accept,
    record_reject,
    record_retrieve,
    record_retry,
    record_send,
    records_accept_bulk,
)
from approvals.services.workflow.approved import latest_approval
from approvals.states import Action, Note, SyncStatus
from integrations.base import ExportResult, PermanentERPError, TransientERPError
from tests.approvals.admin.helpers import (
    change_url,
    decision_url,
    messages_of,
    run_queued_exports,
)
from tests.factories import make_commitment, make_invoice, make_user
from tests.html_forms import form_values

pytestmark = pytest.mark.django_db


def events(record) -> list[tuple[str, str, str]]:
    return list(
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk
        )
        .order_by("created_at", "pk")
        .values_list("action", "from_status", "to_status")
    )


def fresh(record):
    record.refresh_from_db()
    return record


def exporting_commitment(project, pm, approver):
    commitment = make_commitment(project=project)
    record_send(record=commitment, actor=pm)
    record_accept(record=commitment, actor=approver)
    return fresh(commitment)


def look_ups_queued(record) -> int:
    return (
        DBTaskResult.objects.ready()
        .filter(task_path="approvals.tasks.lookup_run", args_kwargs__args__1=record.pk)
        .count()
    )


def failed_commitment(scripted_connector, project, pm, approver):
    commitment = exporting_commitment(project, pm, approver)
    scripted_connector.SCRIPT.append(PermanentERPError("The vendor is inactive."))
    export_run(model_label="approvals.commitment", record_id=commitment.pk)
    # That was the run the accept queued; the look-up of the failed attempt stays queued.
    DBTaskResult.objects.filter(task_path="approvals.tasks.export_run").delete()
    return fresh(commitment)


# Separation of duties -------------------------------------------------------------------------


def test_an_approver_cannot_accept_what_they_sent_or_created(scripted_connector, project):
    hybrid = make_user(role="approver", projects=[project], first_name="Hana")
    hybrid.groups.add(*make_user(role="project_manager").groups.all())
    hybrid = type(hybrid).objects.get(pk=hybrid.pk)
    sent = make_commitment(project=project)
    record_send(record=sent, actor=hybrid)
    created = make_commitment(project=project, created_by=hybrid)
    record_send(record=created, actor=make_user(role="project_manager", projects=[project]))

    with pytest.raises(NotPermitted, match="You sent this commitment yourself"):
        record_accept(record=sent, actor=hybrid)
    with pytest.raises(NotPermitted, match="You created this commitment yourself"):
        record_accept(record=created, actor=hybrid)
    assert fresh(sent).sync_status == SyncStatus.READY_TO_EXPORT

    # A second approver may; so may the first once an administrator allows it for small teams.
    record_accept(record=sent, actor=make_user(role="approver"))
    ApprovalPolicy.objects.create(allow_self_approval=True)
    record_accept(record=created, actor=hybrid)
    accept = AuditEvent.objects.get(object_id=created.pk, action=Action.ACCEPT)
    assert "Accepted by the person who created it, as the approval policy allows" in accept.reason


def test_an_administrator_is_held_to_separation_of_duties_in_bulk_too(project, pm):
    administrator = make_user(role="administrator", first_name="Ada")
    mine = make_invoice(commitment=make_commitment(project=project, synced=True))
    record_send(record=mine, actor=administrator)
    theirs = make_invoice(
        commitment=mine.commitment, lines=[{"work_completed": "2500.00"}], number="KC-2"
    )
    record_send(record=theirs, actor=pm)

    outcomes = records_accept_bulk(records=[mine, theirs], actor=administrator)

    assert [outcome.ok for outcome in outcomes] == [False, True]
    assert "another approver must accept it" in outcomes[0].message
    assert fresh(mine).sync_status == SyncStatus.READY_TO_EXPORT


# What is approved ------------------------------------------------------------------------------


def test_the_accept_keeps_the_document_its_fingerprint_and_its_identity(
    scripted_connector, project, pm, approver
):
    commitment = exporting_commitment(project, pm, approver)
    approved = AuditEvent.objects.get(object_id=commitment.pk, action=Action.ACCEPT).approved
    assert len(approved["fingerprint"]) == 64
    assert approved["document"]["Number"] == commitment.number
    assert approved["identity"] == {"record": f"approvals.Commitment:{commitment.pk}"}
    assert latest_approval(commitment).document == approved["document"]
    assert commitment.export_request_key.startswith(f"po-{commitment.pk}-")


def test_a_cost_code_relinked_between_accept_and_export_is_refused_with_what_changed(
    scripted_connector, project, pm, approver
):
    commitment = exporting_commitment(project, pm, approver)
    code = commitment.lines.get().cost_code
    CostCode.objects.filter(pk=code.pk).update(code="99-9999")

    outcome = export_run(model_label="approvals.commitment", record_id=commitment.pk)

    commitment = fresh(commitment)
    assert outcome == "failed: changed since approved"
    assert commitment.sync_status == SyncStatus.EXPORT_FAILED
    assert commitment.last_export_error.startswith("This commitment changed after it was approved")
    assert f"'{code.code} {code.name}" in commitment.last_export_error
    assert "99-9999" in commitment.last_export_error
    assert scripted_connector.CALLS == []  # nothing was sent


def test_a_retry_exports_the_approved_version_not_a_new_one(
    scripted_connector, project, pm, approver
):
    commitment = failed_commitment(scripted_connector, project, pm, approver)
    approved = latest_approval(commitment)
    first_key = commitment.export_request_key

    from approvals.services import record_retry

    record_retry(record=commitment, actor=approver)
    commitment = fresh(commitment)
    assert latest_approval(commitment) == approved
    assert commitment.export_request_key != first_key
    scripted_connector.SCRIPT.append(ExportResult(erp_id="77"))
    assert export_run(model_label="approvals.commitment", record_id=commitment.pk) == "synced"


def test_an_edit_in_the_admin_is_audited_and_makes_open_decision_pages_stale(
    client, project, pm, approver
):
    administrator = make_user(role="administrator", first_name="Ada")
    commitment = make_commitment(project=project, title="Drywall")
    client.force_login(administrator)
    page = form_values(client.get(change_url(commitment)).content.decode(), containing="title")
    saved = {**page, "title": "Drywall <b>and</b> framing", "_save": "Save"}
    response = client.post(change_url(commitment), saved)
    assert response.status_code == 302

    commitment = fresh(commitment)
    assert commitment.review_version == 2
    edit = AuditEvent.objects.get(object_id=commitment.pk, action=Note.EDIT)
    assert edit.actor == administrator
    assert edit.changes == [
        {"field": "Title", "old": "Drywall", "new": "Drywall <b>and</b> framing"}
    ]
    history = client.get(change_url(commitment)).content.decode()
    assert "Title: Drywall → Drywall &lt;b&gt;and&lt;/b&gt;" in history


def test_a_reject_page_left_open_does_not_reject_a_record_changed_since(
    client, project, pm, approver
):
    commitment = make_commitment(project=project)
    record_send(record=commitment, actor=pm)
    client.force_login(approver)
    page = form_values(
        client.get(decision_url(Commitment, "reject", [commitment])).content.decode(),
        containing="ids",
    )
    record_retrieve(record=commitment, actor=pm)
    Commitment.objects.filter(pk=commitment.pk).update(review_version=5)
    record_send(record=fresh(commitment), actor=pm)

    response = client.post(
        decision_url(Commitment, "reject"), {**page, "reason": "Wrong vendor."}, follow=True
    )

    assert "changed after you opened this page" in " ".join(messages_of(response))
    assert fresh(commitment).sync_status == SyncStatus.READY_TO_EXPORT


# Records mid-export and failed ------------------------------------------------------------------


def test_a_record_being_exported_can_be_neither_retrieved_nor_rejected(
    scripted_connector, project, pm, approver
):
    commitment = exporting_commitment(project, pm, approver)
    with pytest.raises(TransitionNotAllowed, match="'Exporting', so it cannot be retrieved"):
        record_retrieve(record=commitment, actor=pm)
    with pytest.raises(TransitionNotAllowed, match="'Exporting', so it cannot be rejected"):
        record_reject(record=commitment, actor=approver, reason="Stop")
    assert scripted_connector.CALLS == []


def test_a_failed_record_is_looked_up_in_the_background_not_while_someone_waits(
    scripted_connector, project, pm, approver
):
    commitment = failed_commitment(scripted_connector, project, pm, approver)
    scripted_connector.FOUND.append(ExportResult(erp_id="501"))

    with pytest.raises(PreconditionsNotMet, match="being asked whether its last export") as said:
        record_retrieve(record=commitment, actor=pm)

    assert "Try again in a minute" in said.value.message
    assert len(scripted_connector.FOUND) == 1, "the refusal itself asked the ERP"
    assert fresh(commitment).sync_status == SyncStatus.EXPORT_FAILED
    assert look_ups_queued(commitment) == 1, "one look-up, not one per click"


def test_a_failed_record_whose_look_up_cannot_reach_the_erp_is_not_retrieved_and_says_why(
    scripted_connector, project, pm, approver
):
    commitment = failed_commitment(scripted_connector, project, pm, approver)
    scripted_connector.FOUND.append(TransientERPError("Scripted ERP did not answer in time."))

    assert run_queued_exports() == ["look-up could not answer; asked again later"]
    with pytest.raises(PreconditionsNotMet, match="was not retrieved") as refusal:
        record_retrieve(record=fresh(commitment), actor=pm)

    assert "The last check could not tell: Scripted ERP did not answer in time." in (
        refusal.value.message
    )
    commitment = fresh(commitment)
    assert commitment.sync_status == SyncStatus.EXPORT_FAILED
    assert commitment.erp_lookup_at is not None, "the look-up is asked again later"
    assert events(commitment)[-1][0] == Action.EXPORT_FAILED


def test_a_failed_record_the_erp_holds_is_linked_by_the_look_up_and_cannot_be_rejected(
    scripted_connector, project, pm, approver, mailoutbox, django_capture_on_commit_callbacks
):
    commitment = failed_commitment(scripted_connector, project, pm, approver)
    line = commitment.lines.get()
    scripted_connector.FOUND.append(ExportResult(erp_id="501", line_ids={line.pk: "1"}))

    with django_capture_on_commit_callbacks(execute=True):
        assert run_queued_exports() == ["linked"]

    # Those told the export failed are told it settled, so nobody enters it again.
    (settled,) = [mail for mail in mailoutbox if mail.subject.startswith("Export settled")]
    assert settled.to == [approver.email]
    assert "holds the document its last attempt created (id 501)" in " ".join(settled.body.split())

    commitment = fresh(commitment)
    assert (commitment.sync_status, commitment.erp_id) == (SyncStatus.SYNCED, "501")
    assert fresh(line).erp_line_id == "1"
    found = AuditEvent.objects.filter(object_id=commitment.pk).latest("pk")
    assert (found.action, found.actor, found.actor_label) == (
        Action.FOUND_IN_ERP,
        None,
        "export worker",
    )
    assert "Scripted ERP holds the document its last attempt created (id 501)" in found.reason
    with pytest.raises(TransitionNotAllowed, match="'Synced', so it cannot be rejected"):
        record_reject(record=commitment, actor=approver, reason="Wrong vendor")


def test_a_failed_record_the_erp_does_not_hold_is_retrieved_and_can_be_corrected(
    scripted_connector, project, pm, approver, client
):
    commitment = failed_commitment(scripted_connector, project, pm, approver)
    assert run_queued_exports() == ["nothing in the ERP"]

    record_retrieve(record=fresh(commitment), actor=pm)

    commitment = fresh(commitment)
    assert commitment.sync_status == SyncStatus.NOT_SENT
    assert (commitment.export_request_key, commitment.last_export_error) == ("", "")
    assert events(commitment)[-1] == (
        Action.RETRIEVE,
        SyncStatus.EXPORT_FAILED,
        SyncStatus.NOT_SENT,
    )
    client.force_login(pm)
    page = client.get(reverse("approvals:commitment_detail", args=[commitment.pk]))
    assert "Send to ERP" in page.content.decode()


def test_a_page_loaded_before_a_retry_failed_again_does_not_reject_the_unchecked_attempt(
    scripted_connector, project, pm, approver
):
    commitment = failed_commitment(scripted_connector, project, pm, approver)
    assert run_queued_exports() == ["nothing in the ERP"]
    left_open = fresh(commitment)  # the reject page shows attempt 1, checked: nothing there
    record_retry(record=fresh(commitment), actor=approver)
    scripted_connector.SCRIPT.append(TransientERPError("Scripted ERP timed out."))
    export_run(
        model_label="approvals.commitment", record_id=commitment.pk, try_number=99
    )  # the last try of attempt 2: its answer may have created the document
    assert fresh(commitment).sync_status == SyncStatus.EXPORT_FAILED

    with pytest.raises(PreconditionsNotMet, match="being asked whether its last export"):
        record_reject(record=left_open, actor=approver, reason="Wrong vendor")

    assert fresh(commitment).sync_status == SyncStatus.EXPORT_FAILED


def test_the_scheduler_queues_the_look_up_of_failed_records_nobody_looked_up(
    scripted_connector, project, pm, approver
):
    commitment = failed_commitment(scripted_connector, project, pm, approver)
    DBTaskResult.objects.all().delete()  # the worker that would have run it died with its queue
    Commitment.objects.filter(pk=commitment.pk).update(erp_lookup_at=None)

    call_command("erp_schedule", stdout=StringIO())

    assert look_ups_queued(commitment) == 1
    assert run_queued_exports() == ["nothing in the ERP"]
    record_retrieve(record=fresh(commitment), actor=pm)
    assert fresh(commitment).sync_status == SyncStatus.NOT_SENT


def test_the_pm_page_of_a_failed_record_offers_retrieve_not_edit(
    scripted_connector, project, pm, approver, client
):
    commitment = failed_commitment(scripted_connector, project, pm, approver)
    client.force_login(pm)
    page = client.get(reverse("approvals:commitment_detail", args=[commitment.pk])).content.decode()
    assert "Retrieve" in page
    assert "It stays as it was approved" in page
    assert "We are checking whether the accounting system kept the document" in page

    assert run_queued_exports() == ["nothing in the ERP"]
    page = client.get(reverse("approvals:commitment_detail", args=[commitment.pk])).content.decode()
    assert "The accounting system holds nothing of it: to correct it, retrieve it." in page


# Direct export ---------------------------------------------------------------------------------


def test_direct_export_keeps_a_possible_duplicate_for_an_approver_and_says_why(
    scripted_connector, project, pm
):
    DirectExportSetting.objects.create(
        content_type=ContentType.objects.get_for_model(SubcontractorInvoice), enabled=True
    )
    commitment = make_commitment(project=project, synced=True)
    first = make_invoice(commitment=commitment, number="KC-1")
    record_send(record=first, actor=pm)
    twin = make_invoice(commitment=commitment, number="KC-1")

    record_send(record=twin, actor=pm)

    assert fresh(first).sync_status == SyncStatus.EXPORTING
    accept = AuditEvent.objects.get(object_id=first.pk, action=Action.ACCEPT)
    assert (accept.actor, accept.actor_label) == (None, "direct export setting")
    assert fresh(twin).sync_status == SyncStatus.READY_TO_EXPORT
    send = AuditEvent.objects.get(object_id=twin.pk, action=Action.SEND)
    assert send.reason.startswith("Kept for an approver although direct export is on")
    assert "KC-1" in send.reason
    assert DBTaskResult.objects.count() == 1


def test_a_stale_accept_in_bulk_leaves_the_others_accepted(project, pm, approver):
    commitment = make_commitment(project=project, synced=True)
    kept = make_invoice(commitment=commitment)
    edited = make_invoice(commitment=commitment, lines=[{"work_completed": "2500.00"}])
    for invoice in (kept, edited):
        record_send(record=invoice, actor=pm)
    SubcontractorInvoice.objects.filter(pk=edited.pk).update(review_version=2)

    outcomes = records_accept_bulk(
        records=[fresh(kept), fresh(edited)],
        actor=approver,
        review_versions={kept.pk: 1, edited.pk: 1},
    )

    assert [outcome.ok for outcome in outcomes] == [True, False]
    assert "changed after you opened this page" in outcomes[1].message
    with pytest.raises(StaleState):
        record_accept(record=fresh(edited), actor=approver, review_version=1)


def test_an_accept_that_does_not_say_which_version_it_reviewed_is_refused(
    client, project, pm, approver
):
    commitment = make_commitment(project=project)
    record_send(record=commitment, actor=pm)
    client.force_login(approver)
    page = form_values(
        client.get(decision_url(Commitment, "accept", [commitment])).content.decode(),
        containing="ids",
    )
    page.pop("versions")

    response = client.post(decision_url(Commitment, "accept"), page, follow=True)

    assert "did not say which version of it you reviewed" in " ".join(messages_of(response))
    assert fresh(commitment).sync_status == SyncStatus.READY_TO_EXPORT


def test_an_approver_who_edited_the_record_does_not_accept_it(client, project, pm):
    administrator = make_user(role="administrator", first_name="Ada")
    commitment = make_commitment(project=project, title="Drywall")
    client.force_login(administrator)
    page = form_values(client.get(change_url(commitment)).content.decode(), containing="title")
    client.post(change_url(commitment), {**page, "title": "Drywall, 10x", "_save": "Save"})
    record_send(record=fresh(commitment), actor=pm)

    with pytest.raises(NotPermitted, match="You edited this commitment yourself"):
        record_accept(record=fresh(commitment), actor=administrator)
    outcomes = records_accept_bulk(records=[fresh(commitment)], actor=administrator)
    assert not outcomes[0].ok and "You edited this commitment yourself" in outcomes[0].message
    record_accept(record=fresh(commitment), actor=make_user(role="approver"))
