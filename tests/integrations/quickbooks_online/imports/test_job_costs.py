"""Job costs, bill payments and cost codes from QuickBooks Online, through the import services:
what its reader makes of bills, checks, vendor credits, payments (voided ones too) and lines on
balance-sheet accounts, and how few requests a sync takes. (The services themselves, with any
ERP, are tested in tests/approvals/services/importing/test_job_costs.py.)"""

import time
from decimal import Decimal

import pytest

from approvals.models import (
    Commitment,
    Company,
    CostCode,
    JobCostTransaction,
    SubcontractorInvoice,
)
from approvals.selectors_job_costs import project_job_cost_report, project_job_cost_transactions
from approvals.services.importing import imports_cost_codes, imports_jobs, job_costs
from approvals.states import SyncStatus
from integrations.quickbooks_online.connector import QuickBooksOnlineConnector
from tests.factories import make_commitment, make_invoice, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(qbo, accounts):
    """A job with two cost-code items and a vendor in the sandbox company."""
    owner = qbo.create("Customer", {"DisplayName": "Harbor Health"}, request_id="c-owner")
    job = qbo.create(
        "Customer",
        {"DisplayName": "P-200 Harbor Clinic", "Job": True, "ParentRef": {"value": owner["Id"]}},
        request_id="c-job",
    )
    drywall = qbo.create(
        "Item",
        {
            "Name": "09-2900 Drywall",
            "Type": "NonInventory",
            "ExpenseAccountRef": {"value": accounts["Subcontractors"]},
        },
        request_id="i-drywall",
    )
    concrete = qbo.create(
        "Item",
        {
            "Name": "03-3000 Concrete",
            "Type": "NonInventory",
            "ExpenseAccountRef": {"value": accounts["Job Materials"]},
        },
        request_id="i-concrete",
    )
    vendor = qbo.create("Vendor", {"DisplayName": "Acme Drywall"}, request_id="v-acme")
    return {"job": job, "drywall": drywall, "concrete": concrete, "vendor": vendor}


def _item_line(item, job, amount, line_id=None):
    line = {
        "DetailType": "ItemBasedExpenseLineDetail",
        "Amount": Decimal(amount),
        "ItemBasedExpenseLineDetail": {
            "ItemRef": {"value": item["Id"]},
            "CustomerRef": {"value": job["Id"]},
        },
    }
    if line_id:
        line["Id"] = line_id
    return line


@pytest.fixture
def project(qbo_connection, books):
    imports_cost_codes.cost_codes_sync(connection=qbo_connection)
    imports_jobs.jobs_sync(connection=qbo_connection)
    approver = make_user(role="approver")
    job = imports_jobs.jobs_ready_to_import(connection=qbo_connection).get()
    project = imports_jobs.job_add_to_projects(job=job, actor=approver)
    imports_jobs.project_enable_job_costs(project=project, actor=approver)
    return project


def test_job_costs_follow_edits_and_deletes_in_quickbooks(
    qbo_sandbox, qbo_connection, qbo, accounts, books, project
):
    job, drywall, concrete, vendor = (
        books["job"],
        books["drywall"],
        books["concrete"],
        books["vendor"],
    )
    bill = qbo.create(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "DocNumber": "B-1",
            "TxnDate": "2026-03-02",
            "Line": [_item_line(drywall, job, "1200.50"), _item_line(concrete, job, "300.00")],
        },
        request_id="bill-1",
    )
    expense = qbo.create(
        "Purchase",
        {
            "PaymentType": "Check",
            "AccountRef": {"value": accounts["Checking"]},
            "EntityRef": {"value": vendor["Id"], "type": "Vendor"},
            "Line": [_item_line(drywall, job, "99.99")],
        },
        request_id="purchase-1",
    )
    qbo.create(
        "VendorCredit",
        {"VendorRef": {"value": vendor["Id"]}, "Line": [_item_line(drywall, job, "50.00")]},
        request_id="credit-1",
    )

    first = job_costs.job_costs_sync(connection=qbo_connection)
    assert first.full_read and first.created == 4
    report = {row.label: row.actual for row in project_job_cost_report(project).rows}
    assert report == {
        "03-3000 Concrete": Decimal("300.00"),
        "09-2900 Drywall": Decimal("1250.49"),
    }

    bill_line_ids = [line["Id"] for line in bill["Line"]]
    qbo.update(
        "Bill",
        {
            "Id": bill["Id"],
            "SyncToken": bill["SyncToken"],
            "VendorRef": {"value": vendor["Id"]},
            "DocNumber": "B-1",
            "TxnDate": "2026-03-02",
            "Line": [_item_line(drywall, job, "1000.00", bill_line_ids[0])],
        },
        request_id="bill-1-edit",
    )
    qbo.delete("Purchase", expense["Id"], expense["SyncToken"], request_id="purchase-1-del")
    qbo_sandbox.clear_request_log()

    second = job_costs.job_costs_sync(connection=qbo_connection)
    # The changes, then the accounts and the items once, to tell costs from balance-sheet lines.
    assert not second.full_read and len(qbo_sandbox.request_log()) == 3
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

    qbo_sandbox.clear_request_log()
    quiet = job_costs.job_costs_sync(connection=qbo_connection)
    # Documents changed within the look-back before the last sync come again and are judged
    # again: the changes, the accounts and the items.
    assert len(qbo_sandbox.request_log()) <= 3
    assert quiet.created == quiet.deleted == 0


def test_bill_payments_show_on_the_invoice(
    qbo_sandbox, qbo_connection, qbo, accounts, books, project
):
    job, drywall, vendor = books["job"], books["drywall"], books["vendor"]
    bill = qbo.create(
        "Bill",
        {"VendorRef": {"value": vendor["Id"]}, "Line": [_item_line(drywall, job, "500.00")]},
        request_id="bill-paid",
    )
    commitment = make_commitment(project=project)
    invoice = make_invoice(commitment=commitment)
    SubcontractorInvoice.objects.filter(pk=invoice.pk).update(
        sync_status=SyncStatus.SYNCED, erp_connection=qbo_connection, erp_id=bill["Id"]
    )
    job_costs.job_costs_sync(connection=qbo_connection)
    payment = qbo.create(
        "BillPayment",
        {
            "VendorRef": {"value": vendor["Id"]},
            "PayType": "Check",
            "TxnDate": "2026-04-01",
            "TotalAmt": Decimal("200.00"),
            "CheckPayment": {"BankAccountRef": {"value": accounts["Checking"]}},
            "Line": [
                {
                    "Amount": Decimal("200.00"),
                    "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}],
                }
            ],
        },
        request_id="pay-1",
    )
    job_costs.job_costs_sync(connection=qbo_connection)
    invoice.refresh_from_db()
    assert (invoice.amount_paid, str(invoice.last_paid_on), invoice.last_payment_method) == (
        Decimal("200.00"),
        "2026-04-01",
        "Check",
    )
    assert job_costs.commitment_paid_to_date(commitment)["paid"] == Decimal("200.00")

    qbo.delete("BillPayment", payment["Id"], payment["SyncToken"], request_id="pay-1-del")
    job_costs.job_costs_sync(connection=qbo_connection)
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.last_paid_on, invoice.last_payment_method) == (
        Decimal("0.00"),
        None,
        "",
    )


def test_cost_codes_import_twice_and_export(qbo_connection, qbo, accounts, books):
    first = imports_cost_codes.cost_codes_sync(connection=qbo_connection)
    assert first.created == 2
    again = imports_cost_codes.cost_codes_sync(connection=qbo_connection)
    assert (again.created, again.unchanged) == (0, 2)
    ours = CostCode.objects.create(code="31-2000", name="Earthwork")
    admin = make_user(role="administrator")
    imports_cost_codes.cost_code_export(
        cost_code=ours,
        actor=admin,
        connection=qbo_connection,
        expense_account_id=accounts["Subcontractors"],
    )
    assert ours.is_standard
    assert qbo.read("Item", ours.erp_id)["Sku"] == "31-2000"
    third = imports_cost_codes.cost_codes_sync(connection=qbo_connection)
    assert (third.created, third.unchanged) == (0, 3)


def test_retainage_withheld_on_an_exported_bill_does_not_lower_the_job_cost(
    qbo_connection, books, project
):
    """The job's actual cost is the gross work billed; retainage is money owed, not saved."""
    vendor = Company.objects.create(
        name="Acme Drywall",
        sync_status=SyncStatus.SYNCED,
        erp_connection=qbo_connection,
        erp_id=books["vendor"]["Id"],
    )
    drywall = CostCode.objects.get(erp_id=books["drywall"]["Id"])
    commitment = make_commitment(project=project, vendor=vendor, lines=[(drywall, "10000.00")])
    connector = QuickBooksOnlineConnector(qbo_connection)
    purchase_order = connector.export(commitment, idempotency_key="po-retainage-1")
    Commitment.objects.filter(pk=commitment.pk).update(
        sync_status=SyncStatus.SYNCED, erp_connection=qbo_connection, erp_id=purchase_order.erp_id
    )
    invoice = make_invoice(
        commitment=commitment,
        lines=[{"work_completed": "4000.00", "retainage_withheld": "400.00"}],
    )
    bill = connector.export(invoice, idempotency_key="bill-retainage-1")

    job_costs.job_costs_sync(connection=qbo_connection)

    pulled = JobCostTransaction.objects.filter(project=project, txn_id=bill.erp_id)
    assert [row.amount for row in pulled] == [Decimal("4000.00")]
    report = {row.cost_code: row for row in project_job_cost_report(project).rows}
    assert report[drywall].actual == Decimal("4000.00")


def _exported_invoice(project, connection, bill) -> SubcontractorInvoice:
    invoice = make_invoice(commitment=make_commitment(project=project))
    SubcontractorInvoice.objects.filter(pk=invoice.pk).update(
        sync_status=SyncStatus.SYNCED, erp_connection=connection, erp_id=bill["Id"]
    )
    return invoice


def _check_payment(vendor, accounts, total, txn_date, *links):
    """`links`: (TxnType, document, amount) the payment applies."""
    return {
        "VendorRef": {"value": vendor["Id"]},
        "PayType": "Check",
        "TxnDate": txn_date,
        "TotalAmt": Decimal(total),
        "CheckPayment": {"BankAccountRef": {"value": accounts["Checking"]}},
        "Line": [
            {"Amount": Decimal(amount), "LinkedTxn": [{"TxnId": doc["Id"], "TxnType": txn_type}]}
            for txn_type, doc, amount in links
        ],
    }


def _paid(invoice) -> tuple:
    invoice.refresh_from_db()
    return invoice.amount_paid, str(invoice.last_paid_on), invoice.last_payment_method


def test_a_voided_payment_pays_nothing(qbo_connection, qbo, accounts, books, project):
    job, drywall, vendor = books["job"], books["drywall"], books["vendor"]
    bill = qbo.create(
        "Bill",
        {"VendorRef": {"value": vendor["Id"]}, "Line": [_item_line(drywall, job, "800.00")]},
        request_id="bill-void",
    )
    invoice = _exported_invoice(project, qbo_connection, bill)
    first = qbo.create(
        "BillPayment",
        _check_payment(vendor, accounts, "300.00", "2026-04-01", ("Bill", bill, "300.00")),
        request_id="pay-first",
    )
    second = qbo.create(
        "BillPayment",
        _check_payment(vendor, accounts, "250.55", "2026-04-15", ("Bill", bill, "250.55")),
        request_id="pay-second",
    )
    job_costs.job_costs_sync(connection=qbo_connection)
    assert _paid(invoice) == (Decimal("550.55"), "2026-04-15", "Check")

    qbo.void("BillPayment", second["Id"], second["SyncToken"], request_id="pay-second-void")
    job_costs.job_costs_sync(connection=qbo_connection)
    balance = Decimal(str(qbo.read("Bill", bill["Id"])["Balance"]))
    assert _paid(invoice) == (Decimal("800.00") - balance, "2026-04-01", "Check")
    assert invoice.amount_paid == Decimal("300.00")

    qbo.void("BillPayment", first["Id"], first["SyncToken"], request_id="pay-first-void")
    job_costs.job_costs_sync(connection=qbo_connection)
    assert _paid(invoice) == (Decimal("0.00"), "None", "")


def test_a_vendor_credit_applied_to_a_bill_counts_as_paid(
    qbo_connection, qbo, accounts, books, project
):
    job, drywall, vendor = books["job"], books["drywall"], books["vendor"]
    bill = qbo.create(
        "Bill",
        {"VendorRef": {"value": vendor["Id"]}, "Line": [_item_line(drywall, job, "1000.00")]},
        request_id="bill-credited",
    )
    credit = qbo.create(
        "VendorCredit",
        {"VendorRef": {"value": vendor["Id"]}, "Line": [_item_line(drywall, job, "120.40")]},
        request_id="credit-applied",
    )
    invoice = _exported_invoice(project, qbo_connection, bill)
    mixed = qbo.create(
        "BillPayment",
        _check_payment(
            vendor,
            accounts,
            "479.60",
            "2026-05-02",
            ("Bill", bill, "600.00"),
            ("VendorCredit", credit, "120.40"),
        ),
        request_id="pay-mixed",
    )
    job_costs.job_costs_sync(connection=qbo_connection)
    balance = Decimal(str(qbo.read("Bill", bill["Id"])["Balance"]))
    assert balance == Decimal("400.00")
    assert _paid(invoice) == (
        Decimal("1000.00") - balance,
        "2026-05-02",
        "Check and vendor credit",
    )

    qbo.void("BillPayment", mixed["Id"], mixed["SyncToken"], request_id="pay-mixed-void")
    second_credit = qbo.create(
        "VendorCredit",
        {"VendorRef": {"value": vendor["Id"]}, "Line": [_item_line(drywall, job, "75.25")]},
        request_id="credit-only",
    )
    qbo.create(
        "BillPayment",
        _check_payment(
            vendor,
            accounts,
            "0",
            "2026-05-09",
            ("Bill", bill, "75.25"),
            ("VendorCredit", second_credit, "75.25"),
        ),
        request_id="pay-credit-only",
    )
    job_costs.job_costs_sync(connection=qbo_connection)
    balance = Decimal(str(qbo.read("Bill", bill["Id"])["Balance"]))
    assert _paid(invoice) == (Decimal("1000.00") - balance, "2026-05-09", "Vendor credit")
    assert invoice.amount_paid == Decimal("75.25")


def test_lines_posting_to_balance_sheet_accounts_are_not_job_costs(
    qbo_sandbox, qbo_connection, qbo, accounts, books, project, settings
):
    """Retainage keyed to the job is money owed to the vendor (a liability), not a cost."""
    # No look-back before the last sync, so the next sync has truly nothing changed to read.
    settings.ERP_CHANGES_OVERLAP_SECONDS = 0
    job, drywall, vendor = books["job"], books["drywall"], books["vendor"]
    retainage = qbo.create(
        "Item",
        {
            "Name": "Retainage",
            "Type": "NonInventory",
            "ExpenseAccountRef": {"value": accounts["Retainage Payable"]},
        },
        request_id="i-retainage",
    )

    def account_line(account: str, amount: str) -> dict:
        return {
            "DetailType": "AccountBasedExpenseLineDetail",
            "Amount": Decimal(amount),
            "AccountBasedExpenseLineDetail": {
                "AccountRef": {"value": accounts[account]},
                "CustomerRef": {"value": job["Id"]},
            },
        }

    bill = qbo.create(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "DocNumber": "PA-3",
            "Line": [
                _item_line(drywall, job, "12062.50"),
                account_line("Equipment Rental", "937.50"),
                _item_line(retainage, job, "-1206.25"),
                account_line("Retainage Payable", "-93.75"),
                account_line("Checking", "-10.00"),
            ],
        },
        request_id="bill-retainage-lines",
    )
    assert bill["TotalAmt"] == Decimal("11690.00")
    time.sleep(1.1)  # changes are asked for to the second: the bill is older than this sync

    job_costs.job_costs_sync(connection=qbo_connection)

    pulled = JobCostTransaction.objects.filter(project=project, txn_id=bill["Id"])
    assert sorted((row.line_id, row.amount) for row in pulled) == [
        (bill["Line"][0]["Id"], Decimal("12062.50")),
        (bill["Line"][1]["Id"], Decimal("937.50")),
    ]
    assert sum(row.actual for row in project_job_cost_report(project).rows) == Decimal("13000.00")

    qbo_sandbox.clear_request_log()
    quiet = job_costs.job_costs_sync(connection=qbo_connection)
    assert not quiet.full_read
    assert [entry["path"].rsplit("/", 1)[-1] for entry in qbo_sandbox.request_log()] == ["cdc"]
