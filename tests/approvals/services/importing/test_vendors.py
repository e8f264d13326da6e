"""The vendor import, with any ERP: the ERP's list kept page by page, matched, linked and imported
into the company directory, once, whatever runs at the same time. The scripted ERP holds the
vendors (tests/approvals/scripted_reader.py); QuickBooks Online's own reading of them is tested
in tests/integrations/quickbooks_online/imports/test_vendors.py."""

import threading

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
    erp_books, erp_connection
):
    erp_books.add_vendors(5000, prefix="Supplier")
    erp_books.add_vendor("Star Framing, LLC", email="a@b.co")
    erp_books.add_vendor("Blue Sky Roofing", email="Office@BlueSky.com")
    star = make_company(name="Star Framing")
    roofing = make_company(name="Bluesky Roofers", email="office@bluesky.com")
    make_company(name="Nobody In The ERP")

    first = _sync(erp_connection)
    assert first.created == 5002 and first.full_read
    assert erp_books.pages == 6  # five full pages and the last, short one
    again = _sync(erp_connection)
    assert again.created == again.updated == 0 and not again.full_read
    assert ERPVendor.objects.count() == 5002

    suggestions = {
        s.vendor.display_name: (s.company, s.reason, s.for_link_all)
        for s in imports_vendors.vendor_suggestions(connection=erp_connection)
    }
    assert suggestions == {
        "Star Framing, LLC": (star, "same name ignoring 'LLC'", True),
        # An email alone may be a bookkeeper's: shown, linked only by a person.
        "Blue Sky Roofing": (roofing, "same email", False),
    }
    approver = make_user(role="approver")
    outcomes = imports_vendors.vendors_link_all(
        suggestions=imports_vendors.vendor_suggestions(connection=erp_connection), actor=approver
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
        connection=erp_connection,
        vendors=imports_vendors.vendors_only_in_erp(connection=erp_connection),
        actor=approver,
    )
    assert summary.created == 5000
    assert Company.objects.filter(sync_status=SyncStatus.SYNCED).count() == 5002
    assert AuditEvent.objects.filter(action=Action.IMPORT).count() == 5000
    repeat = imports_vendors.vendors_add_to_directory(
        connection=erp_connection,
        vendors=ERPVendor.objects.filter(erp_connection=erp_connection),
        actor=approver,
    )
    assert repeat.created == 0
    assert repeat.skipped["already in the company directory"] == 5002
    assert imports_vendors.vendors_only_in_erp(connection=erp_connection).count() == 0
    assert list(imports_vendors.companies_only_here()) == [
        Company.objects.get(name="Nobody In The ERP")
    ]


def test_a_renamed_and_a_deactivated_vendor_reach_their_companies(erp_books, erp_connection):
    kept = erp_books.add_vendor("Acme Drywall")
    gone = erp_books.add_vendor("Old Paint Co")
    _sync(erp_connection)
    approver = make_user(role="approver")
    acme, old = make_company(name="Acme Drywall"), make_company(name="Old Paint")
    for company, vendor in ((acme, kept), (old, gone)):
        imports_vendors.vendor_link(
            vendor=ERPVendor.objects.get(erp_id=vendor.erp_id), company=company, actor=approver
        )

    erp_books.change(kept, display_name="Acme Drywall Inc")
    erp_books.change(gone, is_active=False)
    summary = _sync(erp_connection)

    assert not summary.full_read
    assert (summary.updated, summary.unchanged) == (2, 0)
    acme.refresh_from_db()
    old.refresh_from_db()
    assert acme.name == "Acme Drywall Inc" and not acme.is_archived
    assert acme.erp_version == "1"
    assert old.is_archived
    rename = AuditEvent.objects.get(object_id=acme.pk, action=Note.EDIT)
    assert rename.actor_label == "vendor sync from the ERP"
    assert rename.changes == [{"field": "Name", "old": "Acme Drywall", "new": "Acme Drywall Inc"}]
    assert not ERPVendor.objects.get(erp_id=gone.erp_id).is_active


def test_one_vendor_links_to_one_company_only(erp_books, erp_connection):
    erp_books.add_vendor("Solo Electric")
    _sync(erp_connection)
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


def test_project_managers_cannot_link_or_archive(erp_books, erp_connection):
    erp_books.add_vendor("Unused Vendor")
    _sync(erp_connection)
    vendor = ERPVendor.objects.get()
    manager = make_user(role="project_manager")
    with pytest.raises(NotPermitted):
        imports_vendors.vendor_archive(vendor=vendor, actor=manager)
    imports_vendors.vendor_archive(vendor=vendor, actor=make_user(role="approver"))
    assert imports_vendors.vendors_only_in_erp(connection=erp_connection).count() == 0


@THREADED
def test_two_imports_at_once_create_each_company_once(erp_books, erp_connection):
    erp_books.add_vendors(1500, prefix="Twin")
    _sync(erp_connection)
    approver = make_user(role="approver")
    errors = []

    def run():
        try:
            imports_vendors.vendors_add_to_directory(
                connection=erp_connection,
                vendors=ERPVendor.objects.filter(erp_connection=erp_connection),
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
def test_a_second_sync_while_one_runs_is_skipped(erp_books, erp_connection):
    erp_books.add_vendors(3000, prefix="Slow")
    erp_books.held = threading.Event()  # the ERP answers the first import only when let go
    outcome = {}

    def first():
        try:
            outcome["summary"] = _sync(erp_connection)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first)
    thread.start()
    assert erp_books.reading.wait(timeout=10)
    try:
        with pytest.raises(SyncAlreadyRunning) as skipped:
            _sync(erp_connection)
    finally:
        erp_books.held.set()
        thread.join(timeout=30)
    assert skipped.value.message == "An import of vendors is already running; this one was skipped."
    assert outcome["summary"].created == 3000
    assert erp_books.tokens == [""]  # the second run never reached the ERP


def test_an_import_resumes_after_a_failure_from_its_token_without_reading_twice(
    erp_books, erp_connection
):
    erp_books.add_vendors(2500, prefix="Resume")
    erp_books.reads_fail_after(2)

    with pytest.raises(ERPError):
        _sync(erp_connection)
    assert ERPVendor.objects.count() == 2000
    assert SyncCursor.objects.get().resume_token
    erp_books.reads_answered_again()

    resumed = _sync(erp_connection)

    # Only the third page is read: no vendor of the first two comes again.
    assert (resumed.created, resumed.updated, resumed.unchanged) == (500, 0, 0)
    assert erp_books.pages == 1
    assert ERPVendor.objects.count() == 2500
