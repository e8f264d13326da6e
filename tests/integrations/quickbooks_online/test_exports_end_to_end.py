"""Accept → export task → QuickBooks Online sandbox over a real socket, and back to synced."""

import pytest
from django_tasks_db.models import DBTaskResult

from approvals.models import AuditEvent
from approvals.services import record_accept, record_send
from approvals.states import Action, SyncStatus
from approvals.tasks import export_run
from tests.factories import make_company, make_user
from tests.reliability import scene

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _retries_due_at_once(settings):
    settings.EXPORT_RETRY_BASE_SECONDS = 0
    settings.EXPORT_RETRY_MAX_SECONDS = 0


def run_queued_exports() -> list[str]:
    """Run every queued export task once, in order, as a worker would (retries are due at once)."""
    done, outcomes = set(), []
    while True:
        pending = (
            DBTaskResult.objects.filter(task_path="approvals.tasks.export_run")
            .exclude(id__in=done)
            .order_by("enqueued_at")
            .first()
        )
        if pending is None:
            return outcomes
        done.add(pending.id)
        outcomes.append(export_run.call(*pending.args_kwargs["args"]))


@pytest.fixture
def accepted_vendor(qbo_connection):
    pm = make_user(role="project_manager")
    approver = make_user(role="approver")
    company = make_company(name="Riverside Drywall LLC", email="ap@riverside.example")
    record_send(record=company, actor=pm)
    record_accept(record=company, actor=approver)
    return company


def test_an_accepted_vendor_is_created_in_quickbooks(qbo_sandbox, accepted_vendor):
    assert run_queued_exports() == ["synced"]

    accepted_vendor.refresh_from_db()
    assert accepted_vendor.sync_status == SyncStatus.SYNCED
    vendors = [
        vendor
        for vendor in qbo_sandbox.entities("Vendor")
        if vendor["DisplayName"] == "Riverside Drywall LLC"
    ]
    assert [vendor["Id"] for vendor in vendors] == [accepted_vendor.erp_id]
    assert accepted_vendor.erp_version == vendors[0]["SyncToken"]
    event = AuditEvent.objects.get(action=Action.EXPORT_SUCCEEDED)
    assert event.request_payload["DisplayName"] == "Riverside Drywall LLC"


def test_a_lost_answer_never_makes_a_second_vendor(qbo_sandbox, accepted_vendor):
    qbo_sandbox.inject_fault("drop_after_commit", entity="vendor", method="POST", count=3)

    outcomes = run_queued_exports()

    assert outcomes[-1] == "synced"
    accepted_vendor.refresh_from_db()
    assert accepted_vendor.sync_status == SyncStatus.SYNCED
    vendors = [
        vendor
        for vendor in qbo_sandbox.entities("Vendor")
        if vendor["DisplayName"] == "Riverside Drywall LLC"
    ]
    assert len(vendors) == 1
    assert vendors[0]["Id"] == accepted_vendor.erp_id


@pytest.fixture
def books(qbo_sandbox, qbo_settings):
    """QuickBooks with our job, vendor and subcontract linked, as after earlier exports."""
    pm, approver = scene.people()
    return scene.open_books(qbo_sandbox, pm=pm, approver=approver, tag=825)


def test_an_invoice_from_a_vendor_made_inactive_after_linking_fails_naming_the_vendor(books):
    scene.deactivate(books.connection, "Vendor", books.vendor.erp_id)
    invoice = scene.new_invoice(books, number="INV-2500")
    record_send(record=invoice, actor=books.pm)
    record_accept(record=invoice, actor=books.approver)

    assert run_queued_exports() == ["failed"]

    invoice.refresh_from_db()
    assert invoice.sync_status == SyncStatus.EXPORT_FAILED
    assert invoice.last_export_error.startswith(
        "QuickBooks says something this record refers to is missing or inactive: Vendor "
        "assigned to this transaction has been deleted."
    )
    assert invoice.last_export_error.endswith(
        "In QuickBooks Online, vendor 'Acme Drywall' is inactive."
    )
    assert books.entities("Bill") == []
