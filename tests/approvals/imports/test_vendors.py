import threading
import time

import pytest
from django.db import connections

from approvals.models import AuditEvent, Company, ERPVendor, SyncCursor
from approvals.services.importing import imports_vendors
from approvals.services.importing.sync_runs import SyncAlreadyRunning
from approvals.services.workflow.errors import NotPermitted, PreconditionsNotMet
from approvals.states import Action, Note, SyncStatus
from integrations.base import ERPError
from tests.factories import make_company, make_user

THREADED = pytest.mark.django_db(transaction=True)


def _sync(connection):
    return imports_vendors.vendors_sync(connection=connection)


def test_five_thousand_vendors_are_imported_matched_and_twice_changes_nothing(
    qbo_sandbox, qbo_connection
):
    qbo_sandbox.seed_vendors(5000, prefix="Supplier")
    qbo_sandbox.create_entity(
        "Vendor", {"DisplayName": "Star Framing, LLC", "PrimaryEmailAddr": {"Address": "a@b.co"}}
    )
    qbo_sandbox.create_entity(
        "Vendor",
        {"DisplayName": "Blue Sky Roofing", "PrimaryEmailAddr": {"Address": "Office@BlueSky.com"}},
    )
    star = make_company(name="Star Framing")
    roofing = make_company(name="Bluesky Roofers", email="office@bluesky.com")
    make_company(name="Nobody In QuickBooks")

    first = _sync(qbo_connection)
    assert first.created == 5002 and first.full_read
    again = _sync(qbo_connection)
    assert again.created == again.updated == 0
    assert ERPVendor.objects.count() == 5002

    suggestions = {
        s.vendor.display_name: (s.company, s.reason, s.for_link_all)
        for s in imports_vendors.vendor_suggestions(connection=qbo_connection)
    }
    assert suggestions == {
        "Star Framing, LLC": (star, "same name ignoring 'LLC'", True),
        # An email alone may be a bookkeeper's: shown, linked only by a person.
        "Blue Sky Roofing": (roofing, "same email", False),
    }
    approver = make_user(role="approver")
    outcomes = imports_vendors.vendors_link_all(
        suggestions=imports_vendors.vendor_suggestions(connection=qbo_connection), actor=approver
    )
    assert [outcome.ok for outcome in outcomes] == [True]
    imports_vendors.vendor_link(
        vendor=ERPVendor.objects.get(display_name="Blue Sky Roofing"),
        company=roofing,
        actor=approver,
    )
    star.refresh_from_db()
    assert star.sync_status == SyncStatus.SYNCED
    assert star.erp_id == ERPVendor.objects.get(display_name="Star Framing, LLC").erp_id
    link = AuditEvent.objects.get(object_id=star.pk, action=Action.LINK)
    assert link.reason == "same name ignoring 'LLC'" and link.actor == approver

    summary = imports_vendors.vendors_add_to_directory(
        connection=qbo_connection,
        vendors=imports_vendors.vendors_only_in_erp(connection=qbo_connection),
        actor=approver,
    )
    assert summary.created == 5000
    assert Company.objects.filter(sync_status=SyncStatus.SYNCED).count() == 5002
    assert AuditEvent.objects.filter(action=Action.IMPORT).count() == 5000
    repeat = imports_vendors.vendors_add_to_directory(
        connection=qbo_connection,
        vendors=ERPVendor.objects.filter(erp_connection=qbo_connection),
        actor=approver,
    )
    assert repeat.created == 0
    assert repeat.skipped["already in the company directory"] == 5002
    assert imports_vendors.vendors_only_in_erp(connection=qbo_connection).count() == 0
    assert list(imports_vendors.companies_only_here()) == [
        Company.objects.get(name="Nobody In QuickBooks")
    ]


def test_a_renamed_and_a_deactivated_vendor_reach_their_companies(qbo_sandbox, qbo_connection, qbo):
    kept = qbo.create("Vendor", {"DisplayName": "Acme Drywall"}, request_id="v-acme")
    gone = qbo.create("Vendor", {"DisplayName": "Old Paint Co"}, request_id="v-old")
    _sync(qbo_connection)
    approver = make_user(role="approver")
    acme, old = make_company(name="Acme Drywall"), make_company(name="Old Paint")
    for company, vendor in ((acme, kept), (old, gone)):
        imports_vendors.vendor_link(
            vendor=ERPVendor.objects.get(erp_id=vendor["Id"]), company=company, actor=approver
        )

    qbo.update(
        "Vendor",
        {"Id": kept["Id"], "SyncToken": kept["SyncToken"], "DisplayName": "Acme Drywall Inc"},
        request_id="v-acme-rename",
        sparse=True,
    )
    qbo.update(
        "Vendor",
        {"Id": gone["Id"], "SyncToken": gone["SyncToken"], "Active": False},
        request_id="v-old-off",
        sparse=True,
    )
    qbo_sandbox.clear_request_log()
    summary = _sync(qbo_connection)

    assert not summary.full_read and len(qbo_sandbox.request_log()) == 1
    assert summary.updated == 2
    acme.refresh_from_db()
    old.refresh_from_db()
    assert acme.name == "Acme Drywall Inc" and not acme.is_archived
    assert old.is_archived
    rename = AuditEvent.objects.get(object_id=acme.pk, action=Note.EDIT)
    assert rename.actor_label == "vendor sync from the ERP"
    assert rename.changes == [{"field": "Name", "old": "Acme Drywall", "new": "Acme Drywall Inc"}]
    assert not ERPVendor.objects.get(erp_id=gone["Id"]).is_active


def test_one_vendor_links_to_one_company_only(qbo_sandbox, qbo_connection):
    qbo_sandbox.create_entity("Vendor", {"DisplayName": "Solo Electric"})
    _sync(qbo_connection)
    vendor = ERPVendor.objects.get()
    approver = make_user(role="approver")
    first, second = make_company(name="Solo Electric"), make_company(name="Solo Electric LLC")
    imports_vendors.vendor_link(vendor=vendor, company=first, actor=approver)
    with pytest.raises(PreconditionsNotMet) as refused:
        imports_vendors.vendor_link(vendor=vendor, company=second, actor=approver)
    assert (
        refused.value.message == f"Vendor 'Solo Electric' is already linked to company '{first}'."
    )
    second.refresh_from_db()
    assert second.sync_status == SyncStatus.NOT_SENT and second.erp_id == ""


def test_project_managers_cannot_link_or_archive(qbo_sandbox, qbo_connection):
    qbo_sandbox.create_entity("Vendor", {"DisplayName": "Unused Vendor"})
    _sync(qbo_connection)
    vendor = ERPVendor.objects.get()
    manager = make_user(role="project_manager")
    with pytest.raises(NotPermitted):
        imports_vendors.vendor_archive(vendor=vendor, actor=manager)
    imports_vendors.vendor_archive(vendor=vendor, actor=make_user(role="approver"))
    assert imports_vendors.vendors_only_in_erp(connection=qbo_connection).count() == 0


@THREADED
def test_two_imports_at_once_create_each_company_once(qbo_sandbox, qbo_connection):
    qbo_sandbox.seed_vendors(1500, prefix="Twin")
    _sync(qbo_connection)
    approver = make_user(role="approver")
    errors = []

    def run():
        try:
            imports_vendors.vendors_add_to_directory(
                connection=qbo_connection,
                vendors=ERPVendor.objects.filter(erp_connection=qbo_connection),
                actor=approver,
            )
        except Exception as error:  # reported below, so a failing thread fails the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Company.objects.count() == 1500
    assert AuditEvent.objects.filter(action=Action.IMPORT).count() == 1500


@THREADED
def test_a_second_sync_while_one_runs_is_skipped(qbo_sandbox, qbo_connection):
    qbo_sandbox.seed_vendors(3000, prefix="Slow")
    qbo_sandbox.inject_fault("latency", count=2, entity="query", seconds=1.0)
    outcome = {}

    def first():
        outcome["summary"] = _sync(qbo_connection)
        connections.close_all()

    thread = threading.Thread(target=first)
    thread.start()
    deadline = time.monotonic() + 5
    while not SyncCursor.objects.filter(lease_token__gt="").exists():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    with pytest.raises(SyncAlreadyRunning) as skipped:
        _sync(qbo_connection)
    thread.join()
    assert skipped.value.message == "An import of vendors is already running; this one was skipped."
    assert outcome["summary"].created == 3000


def test_an_import_resumes_after_a_failure_from_its_token_without_reading_twice(
    qbo_sandbox, qbo_connection
):
    qbo_sandbox.seed_vendors(2500, prefix="Resume")

    def fail_after_two_pages(summary):
        if summary.seen == 2000:
            qbo_sandbox.inject_fault("http_500", count=10, entity="query")

    with pytest.raises(ERPError):
        imports_vendors.vendors_sync(connection=qbo_connection, progress=fail_after_two_pages)
    assert ERPVendor.objects.count() == 2000
    assert SyncCursor.objects.get().resume_token
    qbo_sandbox.clear_faults()
    qbo_sandbox.clear_request_log()

    resumed = _sync(qbo_connection)

    # Only the third page is read: no vendor of the first two comes again.
    assert (resumed.created, resumed.updated, resumed.unchanged) == (500, 0, 0)
    assert len(qbo_sandbox.request_log()) == 1
    assert ERPVendor.objects.count() == 2500
