"""Vendor updates from proposal to the ERP vendor: the services, the worker's task and the emails,
with any ERP. The scripted connector answers the worker's updates and the scripted reader
brings the ERP's vendor list (tests/approvals/scripted_connector.py, scripted_reader.py); the
update through QuickBooks Online's connector is tested in
tests/integrations/quickbooks_online/test_vendor_updates.py."""

from __future__ import annotations

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from approvals.models import ApprovalPolicy, AuditEvent, Company, VendorUpdate, VendorUpdateStatus
from approvals.services.exporting.vendor_update_runs import vendor_update_run
from approvals.services.importing.imports_vendors import vendors_sync
from approvals.services.workflow.errors import (
    NotPermitted,
    PreconditionsNotMet,
    StaleState,
    TransitionNotAllowed,
)
from approvals.services.workflow.vendor_updates import (
    NOTHING_CHANGED,
    VendorUpdateOpen,
    vendor_update_accept,
    vendor_update_propose,
    vendor_update_reject,
    vendor_update_retry,
    vendor_update_withdraw,
)
from approvals.states import Note, SyncStatus
from integrations.base import DuplicateNameError, TransientERPError, VendorUpdateResult
from tests.approvals.admin.helpers import run_queued_exports
from tests.factories import make_company, make_user

pytestmark = pytest.mark.django_db
S = VendorUpdateStatus


TAKEN = "The ERP already has another vendor named 'Bravo Paint'."


@pytest.fixture
def vendor(erp_books):
    return erp_books.add_vendor(
        "Acme Drywall",
        company_name="Acme Drywall",
        email="ap@acme.test",
        phone="555-0100",
        tax_id="12-3456789",
        address_line1="12 Harbor Road",
        city="Portland",
        postal_code="97201",
    )


@pytest.fixture
def company(vendor, erp_connection):
    return make_company(
        name="Acme Drywall",
        email="ap@acme.test",
        phone="555-0100",
        tax_id="12-3456789",
        address_line1="12 Harbor Road",
        city="Portland",
        postal_code="97201",
        sync_status=SyncStatus.SYNCED,
        erp_id=vendor.erp_id,
        erp_version=vendor.version,
        erp_connection=erp_connection,
    )


@pytest.fixture
def proposer(db):
    return make_user(role="approver", username="pat", first_name="Pat")


@pytest.fixture
def approver(db):
    return make_user(role="approver", username="alice", first_name="Alice")


def history(company, action=None) -> list[AuditEvent]:
    events = AuditEvent.objects.filter(object_id=company.pk, content_type__model="company")
    if action is not None:
        events = events.filter(action=action)
    return list(events.order_by("created_at", "pk"))


def vendor_update_tasks() -> int:
    return DBTaskResult.objects.filter(task_path__endswith="vendor_update_run").count()


def accepted(update, by):
    update.refresh_from_db()
    return vendor_update_accept(update=update, actor=by, version=update.version)


def test_a_proposal_waits_and_leaves_the_company_as_it_is(company, proposer):
    update = vendor_update_propose(
        company=company, actor=proposer, new_values={"phone": "555-0199", "name": "Acme Drywall"}
    )

    company.refresh_from_db()
    assert company.phone == "555-0100"
    assert update.status == S.WAITING
    assert update.changes == [
        {"field": "phone", "label": "Phone", "old": "555-0100", "new": "555-0199"}
    ]
    [event] = history(company, Note.VENDOR_UPDATE_PROPOSED)
    assert event.actor == proposer
    assert event.changes == [{"field": "Phone", "old": "555-0100", "new": "555-0199"}]


def test_nothing_changed_proposes_nothing(company, proposer):
    with pytest.raises(PreconditionsNotMet, match=NOTHING_CHANGED):
        vendor_update_propose(company=company, actor=proposer, new_values={"city": "Portland"})
    assert not VendorUpdate.objects.exists()


def test_a_company_not_synced_is_edited_directly(erp_connection, proposer):
    unsynced = make_company()
    with pytest.raises(TransitionNotAllowed, match="edited directly"):
        vendor_update_propose(company=unsynced, actor=proposer, new_values={"phone": "1"})


def test_a_project_manager_may_not_propose_unless_the_policy_says_so(company):
    pm = make_user(role="project_manager")
    with pytest.raises(NotPermitted, match="only accounting approvers and administrators"):
        vendor_update_propose(company=company, actor=pm, new_values={"phone": "555-0199"})

    ApprovalPolicy.objects.create(vendor_updates_proposed_by="editors")
    update = vendor_update_propose(company=company, actor=pm, new_values={"phone": "555-0199"})
    assert update.proposed_by == pm


def test_a_second_proposal_names_who_proposed_the_first_and_when(company, proposer, approver):
    vendor_update_propose(company=company, actor=proposer, new_values={"phone": "555-0199"})
    with pytest.raises(VendorUpdateOpen) as refused:
        vendor_update_propose(company=company, actor=approver, new_values={"city": "Salem"})
    assert "The vendor update of Acme Drywall is still open (waiting for approval): Pat " in (
        refused.value.message
    )
    assert " proposed it at " in refused.value.message
    assert VendorUpdate.objects.count() == 1


def test_a_tax_id_change_emails_every_approver_with_the_tax_id_masked(
    company, proposer, django_capture_on_commit_callbacks
):
    company_approver = make_user(username="carl", approve=[Company])
    administrator = make_user(role="administrator", username="ada")
    make_user(role="project_manager", username="pm")
    make_user(username="ivan", approve=[])

    with django_capture_on_commit_callbacks(execute=True):
        vendor_update_propose(
            company=company,
            actor=proposer,
            new_values={"tax_id": "98-7654321", "city": "Salem", "phone": "555-0199"},
        )

    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == sorted([proposer.email, company_approver.email, administrator.email])
    body = mail.outbox[0].body
    assert "Pat proposed a change to where payments to Acme Drywall go" in body
    assert "Tax id: ••••••6789 → ••••••4321" in body
    assert "12-3456789" not in body and "98-7654321" not in body
    assert "City: Portland → Salem" in body
    assert "Phone" not in body
    assert "Acme Drywall" in mail.outbox[0].subject


def test_a_phone_only_change_emails_nobody(company, proposer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        vendor_update_propose(company=company, actor=proposer, new_values={"phone": "555-0199"})
    assert mail.outbox == []


def test_accepted_the_worker_updates_the_vendor_then_the_company_in_one_step(
    company, proposer, approver, scripted_connector
):
    update = vendor_update_propose(
        company=company,
        actor=proposer,
        new_values={"tax_id": "98-7654321", "address_line1": "4 Mill Lane", "phone": "555-0199"},
    )
    accepted(update, approver)
    assert scripted_connector.CALLS == []  # the accept asked nothing of the ERP
    update.refresh_from_db()
    assert update.status == S.UPDATING
    sent = {"vendor": company.erp_id, "TaxId": "98-7654321"}
    scripted_connector.SCRIPT.append(
        VendorUpdateResult(version="1", request_payload=sent, response_payload={"version": "1"})
    )

    assert run_queued_exports() == ["applied"]

    [call] = scripted_connector.CALLS
    assert call["record"] == company
    assert call["new_values"] == {
        "tax_id": "98-7654321",
        "address_line1": "4 Mill Lane",
        "phone": "555-0199",
    }
    assert call["request_key"] == update.request_key
    update.refresh_from_db()
    company.refresh_from_db()
    assert update.status == S.APPLIED
    assert (company.tax_id, company.address_line1, company.phone) == (
        "98-7654321",
        "4 Mill Lane",
        "555-0199",
    )
    assert company.erp_version == "1"
    [applied] = history(company, Note.VENDOR_UPDATE_APPLIED)
    assert applied.actor_label == "export worker"
    assert {change["field"] for change in applied.changes} == {
        "Tax id",
        "Address line1",
        "Phone",
    }
    assert applied.request_payload == sent
    assert applied.response_payload == {"version": "1"}
    assert [event.action for event in history(company)] == [
        Note.VENDOR_UPDATE_PROPOSED,
        Note.VENDOR_UPDATE_ACCEPTED,
        Note.VENDOR_UPDATE_APPLIED,
    ]


def test_a_name_another_vendor_has_fails_with_a_sentence_and_the_company_keeps_its_name(
    company, proposer, approver, scripted_connector, django_capture_on_commit_callbacks
):
    scripted_connector.SCRIPT.append(DuplicateNameError(TAKEN, code="taken"))
    update = vendor_update_propose(
        company=company, actor=proposer, new_values={"name": "Bravo Paint"}
    )
    accepted(update, approver)

    with django_capture_on_commit_callbacks(execute=True):
        assert run_queued_exports() == ["failed"]

    update.refresh_from_db()
    company.refresh_from_db()
    assert update.status == S.FAILED
    assert update.last_error == TAKEN
    assert company.name == "Acme Drywall"
    [failed] = history(company, Note.VENDOR_UPDATE_FAILED)
    assert failed.reason == update.last_error
    [email] = mail.outbox
    assert email.to == [proposer.email]
    assert "Bravo Paint" in email.body

    # The approver rejects it; a late task for the failed attempt then does nothing.
    vendor_update_reject(update=update, actor=approver, reason="Keep the old name.")
    assert vendor_update_run(update_id=update.pk, attempt=update.attempt) == (
        "skipped: not updating"
    )
    assert len(scripted_connector.CALLS) == 1


def test_a_failed_update_is_retried_once_the_cause_is_fixed(
    company, proposer, approver, scripted_connector
):
    scripted_connector.SCRIPT += [
        DuplicateNameError(TAKEN, code="taken"),
        VendorUpdateResult(version="1"),  # the other vendor was renamed in the ERP meanwhile
    ]
    update = vendor_update_propose(
        company=company, actor=proposer, new_values={"name": "Bravo Paint"}
    )
    accepted(update, approver)
    assert run_queued_exports() == ["failed"]

    update.refresh_from_db()
    vendor_update_retry(update=update, actor=approver, version=update.version)
    assert run_queued_exports() == ["applied"]
    company.refresh_from_db()
    assert company.name == "Bravo Paint"
    assert [call["new_values"] for call in scripted_connector.CALLS] == [
        {"name": "Bravo Paint"}
    ] * 2


def test_the_worker_does_nothing_for_a_withdrawn_proposal(company, proposer, scripted_connector):
    update = vendor_update_propose(company=company, actor=proposer, new_values={"phone": "1"})
    vendor_update_withdraw(update=update, actor=proposer)

    assert vendor_update_run(update_id=update.pk, attempt=0) == "skipped: not updating"
    assert vendor_update_run(update_id=update.pk, attempt=1) == "skipped: not updating"
    assert scripted_connector.CALLS == []
    update.refresh_from_db()
    assert update.status == S.WITHDRAWN
    [event] = history(company, Note.VENDOR_UPDATE_WITHDRAWN)
    assert event.actor == proposer


def test_only_the_proposer_withdraws(company, proposer, approver):
    update = vendor_update_propose(company=company, actor=proposer, new_values={"phone": "1"})
    with pytest.raises(NotPermitted, match="Only the person who proposed"):
        vendor_update_withdraw(update=update, actor=approver)


def test_a_double_accept_queues_one_task_and_updates_once(
    company, proposer, approver, scripted_connector
):
    scripted_connector.SCRIPT.append(VendorUpdateResult(version="1"))
    update = vendor_update_propose(company=company, actor=proposer, new_values={"phone": "1"})
    update.refresh_from_db()
    shown = update.version
    vendor_update_accept(update=update, actor=approver, version=shown)
    again = VendorUpdate.objects.get(pk=update.pk)
    with pytest.raises(StaleState):
        vendor_update_accept(
            update=VendorUpdate(**_fields(again, status=S.WAITING)), actor=approver, version=shown
        )

    assert vendor_update_tasks() == 1
    assert run_queued_exports() == ["applied"]
    assert len(scripted_connector.CALLS) == 1
    assert len(history(company, Note.VENDOR_UPDATE_ACCEPTED)) == 1


def test_the_proposer_cannot_accept_their_own_change_unless_the_policy_allows_it(company, proposer):
    update = vendor_update_propose(company=company, actor=proposer, new_values={"phone": "1"})
    with pytest.raises(NotPermitted, match="You proposed this vendor update yourself"):
        accepted(update, proposer)

    ApprovalPolicy.objects.create(allow_self_approval=True)
    accepted(update, proposer)
    [event] = history(company, Note.VENDOR_UPDATE_ACCEPTED)
    assert "Accepted by the person who proposed it, as the approval policy allows" in event.reason


def test_a_rename_imported_from_the_erp_stops_the_accept(
    company, proposer, approver, erp_books, erp_connection, vendor
):
    update = vendor_update_propose(
        company=company, actor=proposer, new_values={"name": "Acme Interiors"}
    )
    vendors_sync(connection=erp_connection)  # the first, full read
    erp_books.change(vendor, display_name="Acme Drywall Inc")
    vendors_sync(connection=erp_connection)
    company.refresh_from_db()
    assert company.name == "Acme Drywall Inc"  # the import follows the rename, in the history

    with pytest.raises(
        PreconditionsNotMet, match="Name is now 'Acme Drywall Inc', no longer 'Acme Drywall'"
    ):
        accepted(update, approver)
    update.refresh_from_db()
    assert update.status == S.WAITING
    assert vendor_update_tasks() == 0


def test_a_change_after_the_accept_stops_the_worker_before_anything_is_sent(
    company, proposer, approver, scripted_connector
):
    update = vendor_update_propose(company=company, actor=proposer, new_values={"city": "Salem"})
    accepted(update, approver)
    Company.objects.filter(pk=company.pk).update(city="Eugene")

    assert run_queued_exports() == ["failed: company changed"]
    update.refresh_from_db()
    assert update.status == S.FAILED
    assert "City is now 'Eugene', no longer 'Portland'" in update.last_error
    assert scripted_connector.CALLS == []


def test_an_erp_outage_is_retried_later_with_the_exports_back_off(
    company, proposer, approver, scripted_connector
):
    scripted_connector.SCRIPT.append(
        TransientERPError("The ERP is down for maintenance.", status=503)
    )
    update = vendor_update_propose(company=company, actor=proposer, new_values={"city": "Salem"})
    accepted(update, approver)
    key = VendorUpdate.objects.get(pk=update.pk).request_key

    assert run_queued_exports() == ["retry scheduled"]
    update.refresh_from_db()
    assert update.status == S.UPDATING
    assert update.last_error == "The ERP is down for maintenance."
    assert update.request_key != key  # the ERP answered an error: the next try asks anew
    assert vendor_update_tasks() == 2


def test_a_reject_needs_a_reason_and_tells_the_proposer(
    company, proposer, approver, django_capture_on_commit_callbacks
):
    update = vendor_update_propose(company=company, actor=proposer, new_values={"phone": "1"})
    with pytest.raises(PreconditionsNotMet, match="Give a reason"):
        vendor_update_reject(update=update, actor=approver, reason="   ")
    with django_capture_on_commit_callbacks(execute=True):
        vendor_update_reject(update=update, actor=approver, reason="Call them first.")
    [email] = mail.outbox
    assert email.to == [proposer.email]
    assert "Call them first." in email.body
    [event] = history(company, Note.VENDOR_UPDATE_REJECTED)
    assert event.reason == "Call them first."


def _fields(update: VendorUpdate, **overrides) -> dict:
    """The row as a page opened before the first accept still held it."""
    names = [field.attname for field in VendorUpdate._meta.concrete_fields]
    return {**{name: getattr(update, name) for name in names}, **overrides}
