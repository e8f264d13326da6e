"""Job costs, payments, jobs and cost codes imported, with any ERP: the services store what the
reader hands over (typed batches, then the token to resume after them), follow edits, deletions
and voids, and never merge a project and a job silently. The scripted ERP holds the books
(tests/approvals/scripted_reader.py); what QuickBooks Online's reader makes of its documents is
tested in tests/integrations/quickbooks_online/imports/test_job_costs.py."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from approvals.models import CostCode, JobCostTransaction, Project, SubcontractorInvoice
from approvals.selectors_job_costs import project_job_cost_report, project_job_cost_transactions
from approvals.services.importing import imports_cost_codes, imports_jobs, job_costs
from approvals.services.workflow.errors import PreconditionsNotMet
from approvals.states import SyncStatus
from integrations.data import (
    Deletion,
    DocumentKind,
    ImportedPayment,
    JobCostBatch,
    JobCostDocument,
    JobCostLine,
    PaymentAllocation,
)
from tests.factories import make_commitment, make_invoice, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(erp_books):
    """A job with two cost-code items and a vendor in the scripted ERP."""
    owner = erp_books.add_customer("Harbor Health")
    return {
        "job": erp_books.add_job("P-200 Harbor Clinic", under=owner),
        "drywall": erp_books.add_cost_code("09-2900", "Drywall"),
        "concrete": erp_books.add_cost_code("03-3000", "Concrete"),
        "vendor": erp_books.add_vendor("Acme Drywall"),
    }


@pytest.fixture
def project(erp_connection, books):
    imports_cost_codes.cost_codes_sync(connection=erp_connection)
    imports_jobs.jobs_sync(connection=erp_connection)
    approver = make_user(role="approver")
    job = imports_jobs.jobs_ready_to_import(connection=erp_connection).get()
    project = imports_jobs.job_add_to_projects(job=job, actor=approver)
    imports_jobs.project_enable_job_costs(project=project, actor=approver)
    return project


def line(line_id: str, books, item: str, amount: str) -> JobCostLine:
    return JobCostLine(
        line_id=line_id,
        job_erp_id=books["job"].erp_id,
        cost_code_erp_id=books[item].erp_id,
        account_name="Job costs",
        description="",
        amount=Decimal(amount),
    )


def document(kind, erp_id: str, books, *lines, number: str = "") -> JobCostDocument:
    return JobCostDocument(
        kind=kind,
        erp_id=erp_id,
        date=date(2026, 3, 2),
        number=number,
        vendor_erp_id=books["vendor"].erp_id,
        vendor_name="Acme Drywall",
        lines=lines,
    )


def test_job_costs_follow_edits_and_deletes_in_the_erp(erp_connection, erp_books, books, project):
    bill = document(
        DocumentKind.BILL,
        "B-1",
        books,
        line("1", books, "drywall", "1200.50"),
        line("2", books, "concrete", "300.00"),
        number="B-1",
    )
    expense = document(DocumentKind.EXPENSE, "E-1", books, line("1", books, "drywall", "99.99"))
    credit = document(DocumentKind.CREDIT, "C-1", books, line("1", books, "drywall", "-50.00"))
    erp_books.job_cost_runs.append(
        [
            JobCostBatch(
                resume_token="after-first", full_read=True, documents=(bill, expense, credit)
            )
        ]
    )

    first = job_costs.job_costs_sync(connection=erp_connection)

    assert erp_books.tokens[-1] == ""  # a project just enabled has its whole history read
    assert first.full_read and first.created == 4
    report = {row.label: row.actual for row in project_job_cost_report(project).rows}
    assert report == {
        "03-3000 Concrete": Decimal("300.00"),
        "09-2900 Drywall": Decimal("1250.49"),
    }

    edited = document(
        DocumentKind.BILL, "B-1", books, line("1", books, "drywall", "1000.00"), number="B-1"
    )
    erp_books.job_cost_runs.append(
        [
            JobCostBatch(
                resume_token="after-second",
                documents=(edited,),
                deletions=(Deletion(kind=DocumentKind.EXPENSE, erp_id="E-1"),),
            )
        ]
    )

    second = job_costs.job_costs_sync(connection=erp_connection)

    assert erp_books.tokens[-1] == "after-first"  # where the last run left off
    assert not second.full_read
    assert (second.updated, second.deleted) == (1, 2)
    rows = {
        (t.txn_type, t.doc_number): t.amount
        for t in JobCostTransaction.objects.filter(project=project)
    }
    assert rows == {("bill", "B-1"): Decimal("1000.00"), ("credit", ""): Decimal("-50.00")}
    by_label = {row.label: row for row in project_job_cost_report(project).rows}
    drywall_row = by_label["09-2900 Drywall"]
    assert drywall_row.actual == Decimal("950.00")
    assert drywall_row.difference == Decimal("-950.00")
    drill_down = project_job_cost_transactions(project, cost_code_id=drywall_row.cost_code.pk)
    assert sorted(t.txn_type for t in drill_down) == ["bill", "credit"]

    quiet = job_costs.job_costs_sync(connection=erp_connection)
    assert erp_books.tokens[-1] == "after-second"
    assert quiet.created == quiet.updated == quiet.deleted == 0


def payment(erp_id: str, bill_id: str, amount: str, paid_on: date) -> ImportedPayment:
    allocation = PaymentAllocation(
        payment_id=erp_id, bill_id=bill_id, amount=Decimal(amount), paid_on=paid_on, method="Check"
    )
    return ImportedPayment(erp_id=erp_id, allocations=(allocation,))


def paid(invoice) -> tuple:
    invoice.refresh_from_db()
    return invoice.amount_paid, invoice.last_paid_on, invoice.last_payment_method


def test_bill_payments_show_on_the_invoice_until_voided_or_deleted(
    erp_connection, erp_books, project
):
    commitment = make_commitment(project=project)
    invoice = make_invoice(commitment=commitment)
    SubcontractorInvoice.objects.filter(pk=invoice.pk).update(
        sync_status=SyncStatus.SYNCED, erp_connection=erp_connection, erp_id="B-9"
    )
    april_first, april_15 = date(2026, 4, 1), date(2026, 4, 15)
    erp_books.job_cost_runs += [
        [JobCostBatch(resume_token="1", payments=(payment("P-1", "B-9", "200.00", april_first),))],
        [JobCostBatch(resume_token="2", payments=(payment("P-2", "B-9", "250.55", april_15),))],
        # Voided: the payment pays nothing any more.
        [JobCostBatch(resume_token="3", payments=(ImportedPayment(erp_id="P-2", allocations=()),))],
        [JobCostBatch(resume_token="4", deletions=(Deletion(DocumentKind.PAYMENT, "P-1"),))],
    ]

    job_costs.job_costs_sync(connection=erp_connection)
    assert paid(invoice) == (Decimal("200.00"), april_first, "Check")
    assert job_costs.commitment_paid_to_date(commitment)["paid"] == Decimal("200.00")

    job_costs.job_costs_sync(connection=erp_connection)
    assert paid(invoice) == (Decimal("450.55"), april_15, "Check")
    assert job_costs.commitment_paid_to_date(commitment) == {
        "paid": Decimal("450.55"),
        "last_paid_on": april_15,
    }

    job_costs.job_costs_sync(connection=erp_connection)
    assert paid(invoice) == (Decimal("200.00"), april_first, "Check")

    job_costs.job_costs_sync(connection=erp_connection)
    assert paid(invoice) == (Decimal("0.00"), None, "")


def test_an_existing_project_and_job_are_not_merged_silently(erp_connection, books):
    imports_jobs.jobs_sync(connection=erp_connection)
    existing = Project.objects.create(number="P-200", name="Harbor Clinic")
    approver = make_user(role="approver")
    job = imports_jobs.jobs_ready_to_import(connection=erp_connection).get()
    with pytest.raises(PreconditionsNotMet) as refused:
        imports_jobs.job_add_to_projects(job=job, actor=approver)
    assert refused.value.message.startswith("Existing jobs/projects cannot be integrated")
    with pytest.raises(PreconditionsNotMet) as unconfirmed:
        imports_jobs.job_link(job=job, project=existing, actor=approver, confirmed=False)
    assert "Confirm that project" in unconfirmed.value.message
    existing.uses_standard_cost_codes = False
    with pytest.raises(PreconditionsNotMet) as nonstandard:
        imports_jobs.job_link(job=job, project=existing, actor=approver, confirmed=True)
    assert nonstandard.value.message == "Integrated projects require standard cost codes."
    existing.uses_standard_cost_codes = True
    imports_jobs.job_link(job=job, project=existing, actor=approver, confirmed=True)
    existing.refresh_from_db()
    assert (existing.sync_status, existing.erp_id) == (SyncStatus.SYNCED, job.erp_id)
    assert existing.erp_parent_customer_id == books["job"].parent_erp_id
    assert imports_jobs.jobs_ready_to_import(connection=erp_connection).count() == 0


def test_cost_codes_import_twice_and_export(erp_connection, erp_books, books):
    first = imports_cost_codes.cost_codes_sync(connection=erp_connection)
    assert first.created == 2
    again = imports_cost_codes.cost_codes_sync(connection=erp_connection)
    assert (again.created, again.unchanged) == (0, 2)
    ours = CostCode.objects.create(code="31-2000", name="Earthwork")
    admin = make_user(role="administrator")
    imports_cost_codes.cost_code_export(
        cost_code=ours, actor=admin, connection=erp_connection, expense_account_id="5000"
    )
    assert ours.is_standard
    [created] = erp_books.created_cost_codes.values()
    assert (created.erp_id, created.code, created.name) == (ours.erp_id, "31-2000", "Earthwork")
    third = imports_cost_codes.cost_codes_sync(connection=erp_connection)
    assert (third.created, third.unchanged) == (0, 3)


def test_erp_sync_command_prints_a_summary(erp_connection, books, capsys):
    call_command("erp_sync", "vendors")
    out = capsys.readouterr().out
    assert "Vendors: 1 created, 0 updated, 0 linked, 0 removed, 0 unchanged, 0 skipped" in out


def test_the_schedule_queues_what_is_due_once(erp_connection, settings, capsys):
    from django_tasks_db.models import DBTaskResult

    settings.ERP_SYNC_INTERVAL_MINUTES = {"job_costs": 15}
    call_command("erp_schedule")
    call_command("erp_schedule")
    queued = sorted(result.args_kwargs["args"][0] for result in DBTaskResult.objects.all())
    assert queued == ["cost_codes", "job_costs", "jobs", "vendors"]
    assert capsys.readouterr().out.count("Queued:") == 4
