"""Imports from Xero through the workflow's services, against the sandbox over a real socket:
contacts, tracking options, items, and job costs with payments, voids, deletions and drift."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals.models import (
    BillPaymentAllocation,
    Commitment,
    CostCode,
    ERPBill,
    ERPJob,
    ERPVendor,
    JobCostTransaction,
    Project,
    SubcontractorInvoice,
    SyncCursor,
    SyncKind,
)
from approvals.services.importing.imports_cost_codes import cost_codes_sync
from approvals.services.importing.imports_jobs import (
    jobs_ready_to_import,
    jobs_sync,
    project_number_and_name,
)
from approvals.services.importing.imports_vendors import vendors_sync
from approvals.services.importing.job_costs import job_costs_sync
from approvals.states import ERPDrift, SyncStatus
from integrations.base import ERPError
from integrations.xero import mapping, reading
from tests.factories import make_commitment, make_company, make_invoice, make_user
from tests.integrations.xero.books import SomeoneInXero


@pytest.fixture
def xero(xero_connection):
    return SomeoneInXero(xero_connection)


def test_every_contact_comes_in_suppliers_marked_and_archived_ones_inactive(
    xero, xero_connection, xero_sandbox
):
    supplier = xero.contact("Harbour Drywall Pty Ltd", EmailAddress="accounts@harbour.example")
    customer = xero.contact("Owner Holdings")
    gone = xero.contact("Old Plumbing Co")
    xero.bill(supplier, "HD-1", [xero.line("100.00")])
    xero.archive_contact(gone)

    summary = vendors_sync(connection=xero_connection)

    assert summary.created == 3 and summary.full_read
    stored = {v.erp_id: v for v in ERPVendor.objects.filter(erp_connection=xero_connection)}
    assert stored[supplier].is_supplier and stored[supplier].is_active
    assert stored[supplier].email == "accounts@harbour.example"
    assert not stored[customer].is_supplier and stored[customer].is_active
    assert not stored[gone].is_active


def test_a_second_contact_import_reads_only_what_changed_since(xero, xero_connection, settings):
    settings.ERP_CHANGES_OVERLAP_SECONDS = 0
    first = xero.contact("Harbour Drywall Pty Ltd")
    xero.contact("Owner Holdings")
    time.sleep(1.1)  # If-Modified-Since counts whole seconds: the next run starts a second later
    vendors_sync(connection=xero_connection)
    xero.archive_contact(first)

    summary = vendors_sync(connection=xero_connection)

    assert not summary.full_read
    assert (summary.updated, summary.created, summary.unchanged) == (1, 0, 0)
    assert not ERPVendor.objects.get(erp_id=first).is_active


def test_tracking_options_of_the_project_category_wait_to_be_added_as_projects(
    xero, xero_connection
):
    clinic = xero.option("P-104 Riverside Clinic")
    closed = xero.option("P-090 Old Depot")
    xero.archive_option(closed)

    jobs_sync(connection=xero_connection)

    ready = list(jobs_ready_to_import(connection=xero_connection))
    assert [job.erp_id for job in ready] == [clinic]
    assert project_number_and_name(ready[0]) == ("P-104", "Riverside Clinic")
    assert not ERPJob.objects.get(erp_id=closed).is_active


def test_job_import_without_a_project_category_says_what_to_choose(xero_connection):
    xero_connection.settings = {
        k: v for k, v in xero_connection.settings.items() if k != "tracking_category_id"
    }
    xero_connection.save(update_fields=["settings"])

    with pytest.raises(ERPError, match="Choose the tracking category of projects"):
        jobs_sync(connection=xero_connection)


def test_items_become_cost_codes(xero, xero_connection):
    item_id = xero.item("09-2900", "Drywall")

    cost_codes_sync(connection=xero_connection)

    cost_code = CostCode.objects.get(erp_connection=xero_connection, erp_id=item_id)
    assert (cost_code.code, cost_code.name) == ("09-2900", "Drywall")


def test_options_deleted_or_archived_in_xero_become_inactive_at_the_next_import(
    xero, xero_connection
):
    clinic = xero.option("P-104 Riverside Clinic")
    depot = xero.option("P-090 Old Depot")
    annex = xero.option("P-091 Annex")
    jobs_sync(connection=xero_connection)
    assert {job.erp_id for job in jobs_ready_to_import(connection=xero_connection)} == {
        clinic,
        depot,
        annex,
    }
    xero.delete_option(depot)
    xero.archive_option(annex)

    summary = jobs_sync(connection=xero_connection)

    assert [job.erp_id for job in jobs_ready_to_import(connection=xero_connection)] == [clinic]
    stored = {job.erp_id: job.is_active for job in ERPJob.objects.all()}
    assert stored == {clinic: True, depot: False, annex: False}
    assert (summary.updated, summary.unchanged) == (2, 1)


def test_items_deleted_or_no_longer_bought_in_xero_make_their_cost_codes_inactive(
    xero, xero_connection
):
    drywall = xero.item("09-2900", "Drywall")
    paint = xero.item("09-9100", "Paint")
    hire = xero.item("01-5400", "Equipment hire")
    cost_codes_sync(connection=xero_connection)
    xero.delete_item(paint)
    xero.change_item(hire, IsPurchased=False)

    cost_codes_sync(connection=xero_connection)

    active = dict(
        CostCode.objects.filter(erp_connection=xero_connection).values_list("code", "is_active")
    )
    assert active == {"09-2900": True, "09-9100": False, "01-5400": False}
    assert CostCode.objects.get(code="09-2900").erp_id == drywall
    # An item back in use makes its cost code active again.
    xero.change_item(hire, IsPurchased=True)
    cost_codes_sync(connection=xero_connection)
    assert CostCode.objects.get(code="01-5400").is_active


@pytest.fixture
def project_books(xero, xero_connection):
    """A project on its tracking option with job-cost syncing on, a cost code on its item, and
    a synced invoice exported as bill HD-7 (1,000.00 of work on the cost code, 100.00 retainage
    on the liability account)."""
    option = xero.option("P-104 Riverside Clinic")
    other_option = xero.option("P-200 Elsewhere")
    item_id = xero.item("09-2900", "Drywall")
    cost_codes_sync(connection=xero_connection)
    vendor_id = xero.contact("Harbour Drywall Pty Ltd")
    project = Project.objects.create(
        number="P-104",
        name="Riverside Clinic",
        erp_connection=xero_connection,
        erp_id=option,
        sync_status=SyncStatus.SYNCED,
        job_cost_sync_enabled=True,
    )
    company = make_company(name="Harbour Drywall Pty Ltd")
    type(company).objects.filter(pk=company.pk).update(
        erp_id=vendor_id, erp_connection=xero_connection, sync_status=SyncStatus.SYNCED
    )
    company.refresh_from_db()
    cost_code = CostCode.objects.get(erp_connection=xero_connection, erp_id=item_id)
    commitment = make_commitment(
        project=project, vendor=company, lines=((cost_code, "10000.00"),), currency="AUD"
    )
    invoice = make_invoice(commitment=commitment, number="HD-7")
    # The bill as the export sends it.
    bill_id = xero.send(mapping.bill_payload(invoice, mapping.Books.of(xero_connection.settings)))
    SubcontractorInvoice.objects.filter(pk=invoice.pk).update(
        erp_id=bill_id, erp_connection=xero_connection, sync_status=SyncStatus.SYNCED
    )
    return {
        "commitment": commitment,
        "project": project,
        "option": option,
        "other_option": other_option,
        "item_id": item_id,
        "vendor_id": vendor_id,
        "invoice": invoice,
        "bill_id": bill_id,
    }


def costs(project) -> list[tuple]:
    return sorted(
        JobCostTransaction.objects.filter(project=project).values_list(
            "txn_type", "doc_number", "amount", "cost_code__code"
        )
    )


def test_job_costs_come_from_bills_credit_notes_and_spend_money_on_the_projects_option(
    xero, xero_connection, project_books
):
    books = project_books
    xero.credit_note(books["vendor_id"], "CN-3", [xero.line("250.00", option=books["option"])])
    xero.spend_money(books["vendor_id"], "Card 0412", [xero.line("80.00", option=books["option"])])
    xero.bill(books["vendor_id"], "ELSE-1", [xero.line("999.00", option=books["other_option"])])
    xero.bill(
        books["vendor_id"], "DR-1", [xero.line("500.00", option=books["option"])], status="DRAFT"
    )

    summary = job_costs_sync(connection=xero_connection)

    # The retainage line (a liability, no tracking) and the draft are not costs of the job.
    assert costs(books["project"]) == [
        ("bill", "HD-7", Decimal("1000.00"), "09-2900"),
        ("credit", "CN-3", Decimal("-250.00"), None),
        ("expense", "Card 0412", Decimal("80.00"), None),
    ]
    assert summary.created == 3
    assert set(
        JobCostTransaction.objects.filter(project=books["project"]).values_list(
            "account_name", flat=True
        )
    ) == {"320 Subcontractors"}
    # Every bill of the contact is kept for the duplicate check, the draft too.
    assert set(
        ERPBill.objects.filter(erp_connection=xero_connection).values_list("number", flat=True)
    ) == {"HD-7", "ELSE-1", "DR-1"}

    again = job_costs_sync(connection=xero_connection)
    assert (again.created, again.updated, again.deleted) == (0, 0, 0)
    assert costs(books["project"])[0][2] == Decimal("1000.00")


def test_payments_become_paid_to_date_and_a_deleted_payment_is_given_back(
    xero, xero_connection, project_books
):
    books = project_books
    job_costs_sync(connection=xero_connection)
    payment = xero.pay(books["bill_id"], "400.00")

    job_costs_sync(connection=xero_connection)
    invoice = SubcontractorInvoice.objects.get(pk=books["invoice"].pk)
    assert invoice.amount_paid == Decimal("400.00")
    assert str(invoice.last_paid_on) == "2026-06-15"

    xero.delete_payment(payment)
    job_costs_sync(connection=xero_connection)
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("0.00")
    assert not BillPaymentAllocation.objects.filter(payment_id=payment).exists()


def test_a_voided_bill_leaves_the_job_and_its_invoice_shows_the_void(
    xero, xero_connection, project_books
):
    books = project_books
    job_costs_sync(connection=xero_connection)
    assert costs(books["project"])

    xero.set_bill(books["bill_id"], Status="VOIDED")
    job_costs_sync(connection=xero_connection)

    assert costs(books["project"]) == []
    invoice = SubcontractorInvoice.objects.get(pk=books["invoice"].pk)
    assert invoice.erp_drift == ERPDrift.VOIDED
    assert invoice.erp_drift_note == "Bill HD-7 was voided in Xero."
    assert ERPBill.objects.get(erp_id=books["bill_id"]).is_voided


def test_a_deleted_draft_bill_is_forgotten(xero, xero_connection, project_books):
    books = project_books
    draft = xero.bill(
        books["vendor_id"], "DR-9", [xero.line("70.00", option=books["option"])], status="DRAFT"
    )
    job_costs_sync(connection=xero_connection)
    assert ERPBill.objects.filter(erp_id=draft).exists()

    xero.set_bill(draft, Status="DELETED")
    job_costs_sync(connection=xero_connection)

    assert not ERPBill.objects.filter(erp_id=draft).exists()


def test_a_synced_bill_changed_in_xero_is_flagged_in_xeros_words(
    xero, xero_connection, project_books
):
    books = project_books
    job_costs_sync(connection=xero_connection)
    invoice = SubcontractorInvoice.objects.get(pk=books["invoice"].pk)
    assert invoice.erp_drift == ERPDrift.NONE

    xero.set_bill(
        books["bill_id"],
        LineItems=[
            xero.line("1200.00", option=books["option"], item_code="09-2900"),
            {
                "Description": "Retainage",
                "Quantity": Decimal(1),
                "UnitAmount": Decimal("-100.00"),
                "AccountCode": "830",
                "TaxType": "BASEXCLUDED",
            },
        ],
    )
    job_costs_sync(connection=xero_connection)

    invoice.refresh_from_db()
    assert invoice.erp_drift == ERPDrift.EDITED
    assert invoice.erp_drift_note == (
        "Bill HD-7 was changed in Xero: it comes to 1,100.00 where 900.00 was approved."
    )
    assert costs(books["project"])[0][2] == Decimal("1200.00")


def test_the_job_cost_import_resumes_at_the_list_it_stopped_at(
    xero, xero_connection, xero_sandbox, project_books
):
    books = project_books
    xero.credit_note(books["vendor_id"], "CN-3", [xero.line("250.00", option=books["option"])])
    job_costs_sync(connection=xero_connection)
    xero.spend_money(books["vendor_id"], "Card 0412", [xero.line("80.00", option=books["option"])])
    xero_sandbox.inject_fault("http_500", resource="payments")

    with pytest.raises(ERPError):
        job_costs_sync(connection=xero_connection)
    # Bills, credit notes and spend money were stored with the token after them.
    assert ("expense", "Card 0412", Decimal("80.00"), None) in costs(books["project"])
    cursor = SyncCursor.objects.get(erp_connection=xero_connection, kind=SyncKind.JOB_COSTS)
    assert '"position": 3' in cursor.resume_token

    xero_sandbox.clear_request_log()
    job_costs_sync(connection=xero_connection)
    read = {
        entry["path"].rsplit("/", 1)[-1]
        for entry in xero_sandbox.request_log()
        if entry["method"] == "GET"
    }
    assert read == {"Payments", "PurchaseOrders"}


def test_a_bill_moved_to_another_tracking_option_is_flagged_though_its_total_is_the_same(
    xero, xero_connection, project_books
):
    books = project_books
    job_costs_sync(connection=xero_connection)
    retainage = {
        "Description": "Retainage",
        "Quantity": Decimal(1),
        "UnitAmount": Decimal("-100.00"),
        "AccountCode": "830",
        "TaxType": "BASEXCLUDED",
    }
    moved = xero.line("1000.00", option=books["other_option"], item_code="09-2900")

    xero.set_bill(books["bill_id"], LineItems=[moved, retainage])
    job_costs_sync(connection=xero_connection)

    invoice = SubcontractorInvoice.objects.get(pk=books["invoice"].pk)
    assert invoice.erp_drift == ERPDrift.EDITED
    assert invoice.erp_drift_note == (
        "Bill HD-7 was changed in Xero: its lines were changed (tracking option, item or amount "
        "per line; same total)."
    )
    assert costs(books["project"]) == []


def test_a_first_read_stopped_midway_resumes_and_forgets_none_of_the_pages_before(
    xero, xero_connection, xero_sandbox, project_books, monkeypatch
):
    books = project_books
    # Costs read before, so a stopped run resumes rather than starting over for a new project.
    Project.objects.filter(pk=books["project"].pk).update(job_costs_synced_at=timezone.now())
    monkeypatch.setattr(reading, "PAGE_SIZE", 1)
    for number in ("HD-8", "HD-9"):
        xero.bill(books["vendor_id"], number, [xero.line("10.00", option=books["option"])])
    xero_sandbox.inject_fault("http_500", resource="invoices", method="GET", after=1)

    with pytest.raises(ERPError):
        job_costs_sync(connection=xero_connection)
    first_page = set(ERPBill.objects.values_list("number", flat=True))
    assert len(first_page) == 1

    job_costs_sync(connection=xero_connection)

    assert set(ERPBill.objects.values_list("number", flat=True)) == {"HD-7", "HD-8", "HD-9"}
    assert [row[1] for row in costs(books["project"])] == ["HD-7", "HD-8", "HD-9"]


def test_a_synced_purchase_order_changed_then_deleted_in_xero_is_flagged(
    xero, xero_connection, project_books
):
    commitment = project_books["commitment"]
    order = mapping.purchase_order_payload(commitment, mapping.Books.of(xero_connection.settings))
    order_id = xero.purchase_order(order)
    Commitment.objects.filter(pk=commitment.pk).update(
        erp_id=order_id, erp_connection=xero_connection, sync_status=SyncStatus.SYNCED
    )
    job_costs_sync(connection=xero_connection)
    assert Commitment.objects.get(pk=commitment.pk).erp_drift == ERPDrift.NONE

    lines = [{**line, "UnitAmount": Decimal("12500.00")} for line in order["LineItems"]]
    for line in lines:
        line.pop("LineAmount")
    xero.set_purchase_order(order_id, LineItems=lines)
    job_costs_sync(connection=xero_connection)
    commitment.refresh_from_db()
    assert commitment.erp_drift == ERPDrift.EDITED
    assert commitment.erp_drift_note == (
        f"Purchase order {commitment.number} was changed in Xero: it comes to 12,500.00 where "
        "10,000.00 was approved."
    )

    xero.set_purchase_order(order_id, Status="DELETED")
    job_costs_sync(connection=xero_connection)
    commitment.refresh_from_db()
    assert commitment.erp_drift == ERPDrift.DELETED
    assert commitment.erp_drift_note == f"Purchase order {commitment.number} was deleted in Xero."


def test_the_contacts_page_says_which_contact_xero_does_not_hold_as_a_supplier(
    xero, xero_connection, client, settings
):
    settings.SECURE_SSL_REDIRECT = False
    supplier = xero.contact("Harbour Drywall Pty Ltd")
    xero.bill(supplier, "HD-1", [xero.line("100.00")])
    xero.contact("Owner Holdings <script>alert(1)</script>")
    vendors_sync(connection=xero_connection)
    client.force_login(make_user(role="approver"))

    page = client.get(reverse("admin:approvals_imports_vendors")).content.decode()

    assert "Contacts only in Xero" in page
    not_supplier = "Not a supplier in Xero yet (no bill entered for this contact)"
    assert page.count(not_supplier) == 1
    owner = page.index("Owner Holdings &lt;script&gt;")
    assert owner < page.index(not_supplier) < page.index("</tr>", owner)
    assert "<script>alert(1)" not in page


def test_the_tracking_options_page_shows_no_customer_column_xero_has_none(
    xero, xero_connection, client, settings
):
    settings.SECURE_SSL_REDIRECT = False
    xero.option("P-104 Riverside Clinic")
    jobs_sync(connection=xero_connection)
    client.force_login(make_user(role="approver"))

    page = client.get(reverse("admin:approvals_imports_jobs")).content.decode()

    table = page.index('<table id="erp-jobs">')
    header = page[table : page.index("</thead>", table)]
    assert ">Tracking option</th>" in header
    assert "Customer" not in header
    row = page[page.index("P-104 Riverside Clinic") : page.index("</tr>", page.index("P-104"))]
    assert row.count("<td") == 3  # address, add, link: no empty customer cell
