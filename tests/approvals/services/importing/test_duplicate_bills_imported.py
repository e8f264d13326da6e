"""The duplicate-bill check reads the bills the job-cost sync imported, never the ERP itself: a
bill keyed straight into the ERP is flagged at send and at accept with no request to it, and
a bill voided or deleted there stops counting. The scripted ERP hands over its bills
(tests/approvals/scripted_reader.py); QuickBooks Online's own bills are read in
tests/integrations/quickbooks_online/imports/test_duplicate_bills_imported.py."""

from datetime import date
from decimal import Decimal

import pytest

from approvals.models import ERPBill
from approvals.services.importing import job_costs
from approvals.services.workflow.actions import record_accept, record_send
from approvals.services.workflow.errors import PossibleDuplicate
from integrations.data import BillSummary, Deletion, DocumentKind, JobCostBatch
from tests.factories import make_commitment, make_company, make_invoice, make_project, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def commitment(erp_books, erp_connection):
    vendor = make_company(name="Acme Drywall", synced=True)
    # No project has job costs enabled: the bills are imported all the same.
    return make_commitment(project=make_project(synced=True), vendor=vendor, synced=True)


def bill(
    commitment, erp_id: str, number: str, total: str, billed_on: date, *, is_voided=False
) -> BillSummary:
    return BillSummary(
        erp_id=erp_id,
        vendor_erp_id=commitment.vendor.erp_id,
        number=number,
        billed_on=billed_on,
        total=Decimal(total),
        pre_tax_total=Decimal(total),
        balance=Decimal(total),
        is_voided=is_voided,
    )


def test_a_bill_keyed_into_the_erp_is_flagged_at_send_and_accept_without_asking_it(
    erp_connection, erp_books, scripted_connector, commitment
):
    pm = make_user(role="project_manager", projects=[commitment.project])
    approver = make_user(role="approver", username="carol")
    same_number = bill(commitment, "501", "PA-07", "5.00", date(2026, 1, 15))
    same_total = bill(commitment, "502", "OTHER", "900.00", date(2026, 5, 20))
    erp_books.job_cost_runs += [
        [JobCostBatch(resume_token="after-first", full_read=True, bills=(same_number,))],
        # Keyed after the first sync: the next one brings only what changed.
        [JobCostBatch(resume_token="after-second", bills=(same_total,))],
    ]
    job_costs.job_costs_sync(connection=erp_connection)
    assert not job_costs.job_costs_sync(connection=erp_connection).full_read
    numbered = make_invoice(commitment=commitment, number="pa-07", lines=[{"work_completed": "5"}])
    in_period = make_invoice(commitment=commitment)  # $1,000.00 less $100.00 retainage
    reads = len(erp_books.tokens)

    record_send(record=numbered, actor=pm)
    record_send(record=in_period, actor=pm)
    with pytest.raises(PossibleDuplicate) as flagged:
        record_accept(record=numbered, actor=approver)

    assert len(erp_books.tokens) == reads and scripted_connector.CALLS == []
    numbered.refresh_from_db()
    in_period.refresh_from_db()
    assert numbered.duplicate_warning == (
        "Possible duplicate of bill PA-07 in Xero from Acme Drywall dated "
        "2026-01-15 for $5.00, unpaid (Xero id 501, as of the last sync less than a "
        "minute ago)."
    )
    assert flagged.value.twins == [numbered.duplicate_warning[len("Possible duplicate of ") : -1]]
    assert (
        "bill OTHER in Xero from Acme Drywall dated 2026-05-20 for $900.00, unpaid (Xero id 502"
    ) in in_period.duplicate_warning


def test_imported_bills_follow_voids_and_deletes_in_the_erp(erp_connection, erp_books, commitment):
    pm = make_user(role="project_manager", projects=[commitment.project])
    kept, deleted, voided = (
        bill(commitment, "601", "B-1", "1200.50", date(2026, 3, 2)),
        bill(commitment, "602", "B-2", "10.00", date(2026, 3, 3)),
        bill(commitment, "603", "B-3", "20.00", date(2026, 3, 4)),
    )
    erp_books.job_cost_runs += [
        [JobCostBatch(resume_token="1", full_read=True, bills=(kept, deleted, voided))],
        [
            JobCostBatch(
                resume_token="2",
                bills=(bill(commitment, "603", "B-3", "0.00", date(2026, 3, 4), is_voided=True),),
                deletions=(Deletion(kind=DocumentKind.BILL, erp_id="602"),),
            )
        ],
    ]
    job_costs.job_costs_sync(connection=erp_connection)
    assert ERPBill.objects.get(erp_id="601").total == Decimal("1200.50")

    job_costs.job_costs_sync(connection=erp_connection)

    assert not ERPBill.objects.filter(erp_id="602").exists()
    assert ERPBill.objects.get(erp_id="603").is_voided
    invoices = [
        make_invoice(commitment=commitment, number=number, lines=[{"work_completed": amount}])
        for number, amount in (("B-1", "1"), ("B-2", "2"), ("B-3", "3"))
    ]
    for invoice in invoices:
        record_send(record=invoice, actor=pm)
        invoice.refresh_from_db()
    assert [bool(invoice.duplicate_warning) for invoice in invoices] == [True, False, False]
