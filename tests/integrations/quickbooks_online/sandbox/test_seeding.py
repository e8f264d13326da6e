"""Seeded job-cost bills read back through /query and /cdc like bills created through the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from integrations.quickbooks_online.sandbox.control import SandboxControlError

from .conftest import json_of
from .test_batch_and_cdc import recent

PER_BILL = ("Id", "DocNumber", "MetaData")


@pytest.fixture
def job_books(api, accounts):
    owner = api.create("Customer", {"DisplayName": "Harbor Health"})
    job = api.create(
        "Customer",
        {"DisplayName": "P-200 Harbor Clinic", "Job": True, "ParentRef": {"value": owner["Id"]}},
    )
    item = api.create(
        "Item",
        {
            "Name": "09-2900 Drywall",
            "Type": "NonInventory",
            "ExpenseAccountRef": {"value": accounts["Subcontractors"]},
        },
    )
    vendor = api.create("Vendor", {"DisplayName": "Acme Drywall"})
    return {"job_id": job["Id"], "item_id": item["Id"], "vendor_id": vendor["Id"]}


def test_seeded_bills_page_and_capture_like_bills_created_through_the_api(
    qbo_sandbox, api, job_books
):
    since = recent()
    created = api.create(
        "Bill",
        {
            "VendorRef": {"value": job_books["vendor_id"]},
            "DocNumber": "JC-000001",
            "TxnDate": "2026-03-02",
            "Line": [
                {
                    "DetailType": "ItemBasedExpenseLineDetail",
                    "Amount": Decimal("1234.50"),
                    "ItemBasedExpenseLineDetail": {
                        "ItemRef": {"value": job_books["item_id"]},
                        "CustomerRef": {"value": job_books["job_id"]},
                    },
                }
            ],
        },
    )

    seeded = qbo_sandbox.seed_job_costs(
        5, **job_books, amount="1234.50", txn_date="2026-03-02", prefix="JC"
    )

    assert seeded["bills"] == 5
    pages = [
        json_of(api.query(f"select * from Bill STARTPOSITION {start} MAXRESULTS 2"))
        for start in (1, 3, 5)
    ]
    bills = [bill for page in pages for bill in page["QueryResponse"]["Bill"]]
    assert [bill["DocNumber"] for bill in bills] == [f"JC-{n:06d}" for n in range(1, 7)]
    assert [int(bill["Id"]) for bill in bills[1:]] == list(
        range(int(seeded["first_id"]), int(seeded["last_id"]) + 1)
    )
    for bill in bills[1:]:
        assert {k: v for k, v in bill.items() if k not in PER_BILL} == {
            k: v for k, v in bills[0].items() if k not in PER_BILL
        }
        assert bill["SyncToken"] == "0"
        assert bill["MetaData"]["CreateTime"] == bill["MetaData"]["LastUpdatedTime"]
    assert bills[0]["Id"] == created["Id"]
    assert bills[1]["Line"][0]["ItemBasedExpenseLineDetail"]["CustomerRef"] == {
        "value": job_books["job_id"],
        "name": "Harbor Health:P-200 Harbor Clinic",
    }
    assert (bills[1]["TotalAmt"], bills[1]["Balance"]) == (Decimal("1234.5"), Decimal("1234.5"))

    read = json_of(api.get(f"bill/{seeded['last_id']}"))["Bill"]
    assert read == bills[-1]
    body = json_of(api.get("cdc", entities="Bill", changedSince=since))
    [changes] = body["CDCResponse"][0]["QueryResponse"]
    assert [bill["Id"] for bill in changes["Bill"]] == [bill["Id"] for bill in bills]


def test_seeding_numbers_after_earlier_bills_and_refuses_a_number_already_used(
    qbo_sandbox, api, accounts, job_books
):
    qbo_sandbox.seed_job_costs(2, **job_books, prefix="B")
    qbo_sandbox.seed_job_costs(2, **job_books, prefix="B")
    numbers = sorted(bill["DocNumber"] for bill in qbo_sandbox.entities("Bill"))
    assert numbers == ["B-000001", "B-000002", "B-000003", "B-000004"]
    api.create(
        "Bill",
        {
            "VendorRef": {"value": job_books["vendor_id"]},
            "DocNumber": "B-000006",
            "Line": [
                {
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "Amount": Decimal("10.00"),
                    "AccountBasedExpenseLineDetail": {
                        "AccountRef": {"value": accounts["Subcontractors"]}
                    },
                }
            ],
        },
    )

    with pytest.raises(SandboxControlError) as taken:
        qbo_sandbox.seed_job_costs(2, **job_books, prefix="B")
    assert "DocNumber=B-000006" in str(taken.value.body)
    with pytest.raises(SandboxControlError) as unknown_job:
        qbo_sandbox.seed_job_costs(3, **{**job_books, "job_id": "99999"})
    assert unknown_job.value.status == 400
    assert len(qbo_sandbox.entities("Bill")) == 5


def test_bills_seeded_hours_ago_are_not_changes_since_a_recent_time(qbo_sandbox, api, job_books):
    seeded = qbo_sandbox.seed_job_costs(3, **job_books, age_seconds=3 * 3600)

    body = json_of(api.get("cdc", entities="Bill", changedSince=recent()))
    assert body["CDCResponse"][0]["QueryResponse"] == [{}]
    bill = json_of(api.get(f"bill/{seeded['first_id']}"))["Bill"]
    changed = datetime.fromisoformat(bill["MetaData"]["LastUpdatedTime"])
    assert changed < datetime.now().astimezone() - timedelta(hours=2, minutes=59)
