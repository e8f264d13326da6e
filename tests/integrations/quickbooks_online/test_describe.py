"""What the QuickBooks Online connector says a record becomes, against what the export sends.

Each record is described first (with the sandbox's request log checked: describing asks
QuickBooks nothing), then exported over a real socket, and the document QuickBooks stored is
compared with the description, line by line and to the cent.
"""

from datetime import date
from decimal import Decimal

import pytest

from approvals.models import CommitmentLine, CostCode, ERPCustomer
from integrations.describe import DocumentDescription, Reference
from integrations.quickbooks_online import mapping
from integrations.quickbooks_online.connector import QuickBooksOnlineConnector
from money import cents
from tests.factories import (
    make_change_order,
    make_commitment,
    make_company,
    make_invoice,
    make_project,
)

pytestmark = pytest.mark.django_db


def amount(value) -> Decimal:
    return cents(mapping.as_decimal(value))


@pytest.fixture
def connector(qbo_connection):
    return QuickBooksOnlineConnector(qbo_connection)


@pytest.fixture
def described(qbo_sandbox, connector):
    """Describe a record; QuickBooks must not have been asked anything meanwhile."""

    def describe(record) -> DocumentDescription:
        qbo_sandbox.clear_request_log()
        description = connector.describe(record)
        assert qbo_sandbox.request_log() == []
        return description

    return describe


@pytest.fixture
def books(qbo_sandbox):
    expense = next(
        account
        for account in qbo_sandbox.entities("Account")
        if account["AccountType"] in ("Expense", "Cost of Goods Sold")
    )
    items = {
        name: qbo_sandbox.create_entity(
            "Item",
            {"Name": name, "Type": "NonInventory", "ExpenseAccountRef": {"value": expense["Id"]}},
        )["Id"]
        for name in ("Gypsum board", "Painting", "Framing")
    }
    owner = qbo_sandbox.create_entity("Customer", {"DisplayName": "Riverside Health"})
    return {"items": items, "owner": owner["Id"]}


@pytest.fixture
def cost_codes(books, connector):
    return {
        name: CostCode.objects.create(
            code=f"09-{position}00",
            name=name,
            erp_id=item_id,
            erp_connection=connector.connection,
        )
        for position, (name, item_id) in enumerate(books["items"].items(), start=1)
    }


def exported(connector, record):
    result = connector.export(record, idempotency_key=f"{record._meta.model_name}-{record.pk}")
    record.erp_id, record.erp_connection = result.erp_id, connector.connection
    record.save(update_fields=["erp_id", "erp_connection"])
    return result


@pytest.fixture
def vendor(connector):
    company = make_company(name="Acme Drywall")
    exported(connector, company)
    return company


@pytest.fixture
def project(connector, books):
    project = make_project(
        number="P-1001", name="Riverside Clinic", erp_parent_customer_id=books["owner"]
    )
    exported(connector, project)
    return project


@pytest.fixture
def commitment(project, vendor, cost_codes):
    commitment = make_commitment(
        project=project,
        vendor=vendor,
        number="SC-1001-004",
        title="Drywall",
        lines=[(cost_codes["Gypsum board"], "48250.00")],
    )
    CommitmentLine.objects.create(
        commitment=commitment,
        position=2,
        cost_code=cost_codes["Painting"],
        description="Prime and paint\nwalls and ceilings",
        quantity=Decimal("1850"),
        unit_cost=Decimal("12.75"),
        amount=Decimal("23587.50"),
    )
    return commitment


def stored_lines(document: dict) -> list[tuple]:
    """(description, item id, job id, amount) of each line QuickBooks stored."""
    return [
        (
            line.get("Description", ""),
            line[mapping.ITEM_LINE]["ItemRef"]["value"],
            (line[mapping.ITEM_LINE].get("CustomerRef") or {}).get("value", ""),
            amount(line["Amount"]),
        )
        for line in mapping.document_lines(document)
    ]


def described_lines(lines) -> list[tuple]:
    return [
        (
            line.description,
            line.item_or_account.erp_id,
            line.job.erp_id if line.job else "",
            line.amount,
        )
        for line in lines
    ]


def test_a_vendor_is_described_with_the_details_sent(qbo_sandbox, connector, described):
    company = make_company(
        name="Bolt Electric",
        legal_name="Bolt Electric Co.",
        email="ap@bolt.example",
        city="Portland",
        tax_id="12-3456789",
    )

    description = described(company)
    exported(connector, company)

    (vendor,) = qbo_sandbox.entities("Vendor")
    assert (description.kind, description.name) == ("vendor", vendor["DisplayName"])
    facts = dict(description.details)
    assert facts["Legal name"] == vendor["CompanyName"] == "Bolt Electric Co."
    assert facts["Email"] == vendor["PrimaryEmailAddr"]["Address"]
    assert facts["Tax id"] == "ends in 6789"


def test_a_job_is_described_under_the_imported_customer_it_goes_under(
    qbo_sandbox, qbo_connection, connector, described, books
):
    ERPCustomer.objects.create(
        erp_connection=qbo_connection, erp_id=books["owner"], display_name="Riverside Health"
    )
    project = make_project(number="P-7", name="Annex", erp_parent_customer_id=books["owner"])

    description = described(project)
    exported(connector, project)

    job = next(c for c in qbo_sandbox.entities("Customer") if c["Id"] == project.erp_id)
    assert (description.kind, description.name) == ("job", job["DisplayName"])
    assert description.party == Reference("Riverside Health", job["ParentRef"]["value"])


def test_a_purchase_order_is_described_line_by_line_as_it_is_sent(
    qbo_sandbox, connector, described, commitment, cost_codes
):
    commitment.posting_date = date(2026, 3, 2)
    commitment.save(update_fields=["posting_date"])

    description = described(commitment)
    exported(connector, commitment)

    (order,) = qbo_sandbox.entities("PurchaseOrder")
    assert description.kind == "purchase order"
    assert description.number == order["DocNumber"] == "SC-1001-004"
    assert description.date == date.fromisoformat(order["TxnDate"])
    assert description.party == Reference("Acme Drywall", order["VendorRef"]["value"])
    assert description.job == Reference("P-1001 Riverside Clinic", commitment.project.erp_id)
    assert described_lines(description.lines) == stored_lines(order)
    assert [line.cost_code for line in description.lines] == [
        str(cost_codes["Gypsum board"]),
        str(cost_codes["Painting"]),
    ]
    assert (description.lines[1].quantity, description.lines[1].unit_cost) == (
        1850,
        Decimal("12.75"),
    )
    assert description.total == amount(order["TotalAmt"]) == Decimal("71837.50")


def test_a_bill_is_described_with_its_retainage_as_it_is_sent(
    qbo_sandbox, connector, described, commitment
):
    exported(connector, commitment)
    invoice = make_invoice(
        commitment=commitment,
        number="PA-07",
        billing_date=date(2026, 3, 31),
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
        due_date=date(2026, 4, 30),
        lines=[
            {"work_completed": "12062.50", "retainage_withheld": "1206.25"},
            {
                "work_completed": "4717.50",
                "materials_stored": "2200.00",
                "retainage_withheld": "691.75",
            },
        ],
    )

    description = described(invoice)
    exported(connector, invoice)

    (bill,) = qbo_sandbox.entities("Bill")
    (retainage,) = [item for item in qbo_sandbox.entities("Item") if item["Name"] == "Retainage"]
    assert (description.kind, description.number) == ("bill", bill["DocNumber"])
    assert description.date == date.fromisoformat(bill["TxnDate"])
    assert dict(description.details)["Due"] == bill["DueDate"]
    assert dict(description.details)["Purchase order"] == f"SC-1001-004 (id {commitment.erp_id})"
    # The retainage item is found or created by the export: described by name until then.
    assert description.lines[2].item_or_account == Reference("Retainage")
    shown = [
        (line[0], retainage["Id"] if index == 2 else line[1], line[2], line[3])
        for index, line in enumerate(described_lines(description.lines))
    ]
    assert shown == stored_lines(bill)
    assert description.retainage_withheld == Decimal("1898.00")
    assert description.total == amount(bill["TotalAmt"]) == Decimal("17082.00")


def test_a_change_order_is_described_as_the_purchase_order_before_and_after(
    qbo_sandbox, connector, described, commitment, cost_codes
):
    exported(connector, commitment)
    earlier = make_change_order(
        commitment=commitment, number="001", lines=[(cost_codes["Framing"], "900.00")]
    )
    exported(connector, earlier)
    change_order = make_change_order(
        commitment=commitment,
        number="002",
        lines=[(cost_codes["Painting"], "-400.00"), (cost_codes["Framing"], "1250.25")],
    )

    description = described(change_order)
    exported(connector, change_order)

    (order,) = qbo_sandbox.entities("PurchaseOrder")
    assert description.changes_a_document
    assert description.before_total == Decimal("72737.50")
    assert description.total == Decimal("850.25")
    assert description.after_total == amount(order["TotalAmt"]) == Decimal("73587.75")
    assert described_lines(description.after_lines) == stored_lines(order)
    assert [line.description for line in description.lines] == [
        "CCO 002: Change",
        "CCO 002: Change",
    ]
