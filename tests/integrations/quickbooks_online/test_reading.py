"""The QuickBooks Online reader turns the sandbox's answers into the typed data of
integrations.data, in batches whose resume token brings the next run to the changes only."""

from datetime import date
from decimal import Decimal

import pytest

from integrations.data import (
    BillSummary,
    Deletion,
    DocumentKind,
    FullListing,
    ImportedCostCode,
    ImportedCustomer,
    ImportedJob,
    ImportedPayment,
    ImportedVendor,
    JobCostDocument,
    JobCostLine,
    PaymentAllocation,
)
from integrations.quickbooks_online.client import QuickBooksClient
from integrations.registry import reader_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def qbo(qbo_connection):
    with QuickBooksClient(qbo_connection) as client:
        yield client


@pytest.fixture
def reader(qbo_connection):
    reader = reader_for(qbo_connection)
    yield reader
    reader.close()


@pytest.fixture
def books(qbo):
    accounts = {row["Name"]: str(row["Id"]) for row in qbo.query_all("Account")}
    owner = qbo.create("Customer", {"DisplayName": "Harbor Health"}, request_id="r-owner")
    job = qbo.create(
        "Customer",
        {
            "DisplayName": "P-200 Harbor Clinic",
            "Job": True,
            "ParentRef": {"value": owner["Id"]},
            "ShipAddr": {"Line1": "1 Pier Rd", "City": "Portland"},
        },
        request_id="r-job",
    )
    item = qbo.create(
        "Item",
        {
            "Name": "09-2900 Drywall",
            "Type": "NonInventory",
            "ExpenseAccountRef": {"value": accounts["Subcontractors"]},
        },
        request_id="r-item",
    )
    vendor = qbo.create(
        "Vendor",
        {"DisplayName": "Acme Drywall", "PrimaryEmailAddr": {"Address": "ap@acme.example"}},
        request_id="r-vendor",
    )
    return {"accounts": accounts, "owner": owner, "job": job, "item": item, "vendor": vendor}


def _all(batches) -> list:
    return list(batches)


def test_name_lists_come_as_typed_rows(reader, books):
    owner, job, item, vendor = books["owner"], books["job"], books["item"], books["vendor"]

    [vendors] = _all(reader.vendor_batches(""))
    [jobs] = _all(reader.job_batches(""))
    [cost_codes] = _all(reader.cost_code_batches(""))

    assert vendors.full_read and vendors.rows == (
        ImportedVendor(
            erp_id=vendor["Id"],
            version=vendor["SyncToken"],
            display_name="Acme Drywall",
            company_name="",
            tax_id="",
            email="ap@acme.example",
            phone="",
            address_line1="",
            city="",
            region="",
            postal_code="",
            country="",
            is_active=True,
            open_balance=Decimal("0.00"),
            currency="USD",
        ),
    )
    assert set(jobs.rows) == {
        ImportedCustomer(erp_id=owner["Id"], display_name="Harbor Health", is_active=True),
        ImportedJob(
            erp_id=job["Id"],
            version=job["SyncToken"],
            display_name="P-200 Harbor Clinic",
            fully_qualified_name="Harbor Health:P-200 Harbor Clinic",
            parent_erp_id=owner["Id"],
            parent_name="Harbor Health",
            address="1 Pier Rd, Portland",
            is_active=True,
        ),
    }
    assert (
        ImportedCostCode(
            erp_id=item["Id"],
            version=item["SyncToken"],
            code="09-2900",
            name="Drywall",
            is_active=True,
        )
        in cost_codes.rows
    )


def test_a_vendor_comes_with_what_is_owed_to_it_its_tax_id_as_the_erp_shows_it_and_address(
    qbo, reader, books
):
    vendor = qbo.create(
        "Vendor",
        {
            "DisplayName": "Keystone Concrete",
            "TaxIdentifier": "93-1234567",
            "BillAddr": {
                "Line1": "1200 SE Water Ave",
                "City": "Portland",
                "CountrySubDivisionCode": "OR",
                "PostalCode": "97214",
            },
        },
        request_id="r-keystone",
    )
    qbo.create(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "Line": [
                {
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "Amount": Decimal("1500.25"),
                    "AccountBasedExpenseLineDetail": {
                        "AccountRef": {"value": books["accounts"]["Subcontractors"]}
                    },
                }
            ],
        },
        request_id="r-keystone-bill",
    )

    [vendors] = _all(reader.vendor_batches(""))

    [keystone] = [row for row in vendors.rows if row.erp_id == vendor["Id"]]
    assert (keystone.open_balance, keystone.currency) == (Decimal("1500.25"), "USD")
    # QuickBooks never answers a tax id whole: only its last four digits are readable.
    assert keystone.tax_id.endswith("4567") and "1234567" not in keystone.tax_id
    assert (keystone.address_line1, keystone.city, keystone.region, keystone.postal_code) == (
        "1200 SE Water Ave",
        "Portland",
        "OR",
        "97214",
    )


def test_the_token_of_a_finished_read_brings_only_what_changed(qbo_sandbox, qbo, reader, books):
    [first] = _all(reader.vendor_batches(""))
    qbo.create("Vendor", {"DisplayName": "Late Vendor"}, request_id="r-late")
    qbo_sandbox.clear_request_log()

    [changes] = _all(reader.vendor_batches(first.resume_token))

    assert not changes.full_read
    assert "Late Vendor" in {row.display_name for row in changes.rows}
    assert [entry["path"].rsplit("/", 1)[-1] for entry in qbo_sandbox.request_log()] == ["cdc"]


def test_job_costs_payments_and_deletions_come_as_typed_documents(qbo, reader, books):
    job, item, vendor, accounts = books["job"], books["item"], books["vendor"], books["accounts"]
    bill = qbo.create(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "DocNumber": "B-7",
            "TxnDate": "2026-03-02",
            "Line": [
                {
                    "DetailType": "ItemBasedExpenseLineDetail",
                    "Amount": Decimal("1200.50"),
                    "Description": "Level 2 board",
                    "ItemBasedExpenseLineDetail": {
                        "ItemRef": {"value": item["Id"]},
                        "CustomerRef": {"value": job["Id"]},
                    },
                }
            ],
        },
        request_id="r-bill",
    )
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
        request_id="r-pay",
    )

    batches = _all(reader.job_cost_batches(""))

    assert all(batch.full_read for batch in batches)
    documents = [document for batch in batches for document in batch.documents]
    assert documents == [
        JobCostDocument(
            kind=DocumentKind.BILL,
            erp_id=bill["Id"],
            date=date(2026, 3, 2),
            number="B-7",
            vendor_erp_id=vendor["Id"],
            vendor_name="Acme Drywall",
            lines=(
                JobCostLine(
                    line_id=bill["Line"][0]["Id"],
                    job_erp_id=job["Id"],
                    cost_code_erp_id=item["Id"],
                    account_name="",
                    description="Level 2 board",
                    amount=Decimal("1200.50"),
                ),
            ),
        )
    ]
    [summary] = [summary for batch in batches for summary in batch.bills]
    assert summary == BillSummary(
        erp_id=bill["Id"],
        vendor_erp_id=vendor["Id"],
        number="B-7",
        billed_on=date(2026, 3, 2),
        total=Decimal("1200.50"),
        pre_tax_total=Decimal("1200.50"),
        balance=Decimal("1000.50"),
        is_voided=False,
    )
    assert [p for batch in batches for p in batch.payments] == [
        ImportedPayment(
            erp_id=payment["Id"],
            allocations=(
                PaymentAllocation(
                    payment_id=payment["Id"],
                    bill_id=bill["Id"],
                    amount=Decimal("200.00"),
                    paid_on=date(2026, 4, 1),
                    method="Check",
                ),
            ),
        )
    ]
    listings = {listing.kind: listing for batch in batches for listing in batch.listings}
    assert listings[DocumentKind.BILL] == FullListing(DocumentKind.BILL, frozenset({bill["Id"]}))
    assert listings[DocumentKind.CREDIT].erp_ids == frozenset()
    assert [(d.kind, d.erp_id) for batch in batches for d in batch.exported] == [
        (DocumentKind.BILL, bill["Id"])
    ]

    qbo.delete("BillPayment", payment["Id"], payment["SyncToken"], request_id="r-pay-del")
    [changes] = _all(reader.job_cost_batches(batches[-1].resume_token))

    assert not changes.full_read
    assert Deletion(DocumentKind.PAYMENT, payment["Id"]) in changes.deletions
