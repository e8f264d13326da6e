"""Exports through the QuickBooks Online connector, against the sandbox over a real socket.

Every test reads back what the sandbox stored (qbo_sandbox.entities) rather than trusting what
the connector says it did.
"""

from datetime import date
from decimal import Decimal

import pytest

from approvals.models import CommitmentLine, CostCode
from integrations.base import PermanentERPError, TransientERPError
from integrations.quickbooks_online import mapping
from integrations.quickbooks_online.client import QuickBooksClient
from integrations.quickbooks_online.connector import ExportRefused, QuickBooksOnlineConnector
from money import cents
from tests.factories import (
    linking_connection,
    make_change_order,
    make_commitment,
    make_company,
    make_invoice,
    make_project,
)
from tests.reliability import scene

pytestmark = pytest.mark.django_db


def amount(value) -> Decimal:
    return cents(mapping.as_decimal(value))


def writes(qbo_sandbox, entity: str) -> list[dict]:
    """Requests that would change `entity` (POSTs to its endpoint), in order."""
    return [
        entry
        for entry in qbo_sandbox.request_log()
        if entry["method"] == "POST" and entry["path"].endswith(f"/{entity.lower()}")
    ]


@pytest.fixture
def connector(qbo_connection):
    return QuickBooksOnlineConnector(qbo_connection)


@pytest.fixture
def books(qbo_sandbox):
    """What an accountant's company already holds: cost-code items and an owner customer."""
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
        for name in ("Gypsum board", "Painting")
    }
    owner = qbo_sandbox.create_entity("Customer", {"DisplayName": "Riverside Health"})
    return {"items": items, "owner": owner["Id"]}


@pytest.fixture
def vendor(connector):
    company = make_company(
        name="Acme Drywall",
        legal_name="Acme Drywall & Framing LLC",
        email="ap@acmedrywall.example",
        phone="(503) 555-0142",
        address_line1="1200 Industrial Way",
        city="Portland",
        region="OR",
        postal_code="97210",
        country="USA",
    )
    result = connector.export(company, idempotency_key=f"company-{company.pk}-1")
    company.erp_id = result.erp_id
    company.erp_connection = linking_connection()
    company.save(update_fields=["erp_id", "erp_connection"])
    return company


@pytest.fixture
def project(connector, books):
    project = make_project(
        number="P-1001", name="Riverside Clinic", erp_parent_customer_id=books["owner"]
    )
    project.erp_id = connector.export(project, idempotency_key=f"project-{project.pk}-1").erp_id
    project.erp_connection = linking_connection()
    project.save(update_fields=["erp_id", "erp_connection"])
    return project


@pytest.fixture
def cost_codes(books):
    return {
        name: CostCode.objects.create(
            erp_connection=linking_connection(), code=f"09-{position}00", name=name, erp_id=item_id
        )
        for position, (name, item_id) in enumerate(books["items"].items(), start=1)
    }


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
        description="Prime and paint",
        quantity=Decimal("1850"),
        unit_cost=Decimal("12.75"),
        amount=Decimal("23587.50"),
    )
    return commitment


@pytest.fixture
def synced_commitment(connector, commitment):
    commitment.erp_id = connector.export(commitment, idempotency_key="commitment-1-1").erp_id
    commitment.erp_connection = linking_connection()
    commitment.save(update_fields=["erp_id", "erp_connection"])
    return commitment


def test_company_becomes_one_vendor_with_its_details(qbo_sandbox, vendor):
    (stored,) = qbo_sandbox.entities("Vendor")
    assert stored["Id"] == vendor.erp_id
    assert stored["DisplayName"] == "Acme Drywall"
    assert stored["CompanyName"] == "Acme Drywall & Framing LLC"
    assert stored["PrimaryEmailAddr"]["Address"] == "ap@acmedrywall.example"
    assert stored["BillAddr"]["City"] == "Portland"


def test_exporting_a_vendor_again_links_instead_of_duplicating(qbo_sandbox, connector, vendor):
    result = connector.export(vendor, idempotency_key=f"company-{vendor.pk}-2")
    assert result.linked_existing
    assert result.erp_id == vendor.erp_id
    assert len(qbo_sandbox.entities("Vendor")) == 1


def test_a_different_vendor_with_the_same_name_is_not_taken_over(qbo_sandbox, connector):
    qbo_sandbox.create_entity(
        "Vendor", {"DisplayName": "Bolt Electric", "PrimaryEmailAddr": {"Address": "a@b.example"}}
    )
    company = make_company(name="Bolt Electric", email="billing@bolt.example")
    with pytest.raises(ExportRefused, match="already has a vendor named 'Bolt Electric'"):
        connector.export(company, idempotency_key=f"company-{company.pk}-1")
    assert len(qbo_sandbox.entities("Vendor")) == 1


def test_project_becomes_a_job_of_the_chosen_customer(qbo_sandbox, project, books):
    job = next(c for c in qbo_sandbox.entities("Customer") if c["Id"] == project.erp_id)
    assert job["Job"] is True
    assert job["ParentRef"]["value"] == books["owner"]
    assert job["FullyQualifiedName"] == "Riverside Health:P-1001 Riverside Clinic"


def test_project_without_a_chosen_customer_is_refused(qbo_sandbox, connector):
    project = make_project(number="P-2", name="Annex")
    with pytest.raises(ExportRefused, match="Choose the QuickBooks Online customer"):
        connector.export(project, idempotency_key=f"project-{project.pk}-1")
    assert writes(qbo_sandbox, "Customer") == []


def test_commitment_becomes_one_purchase_order_to_the_cent(qbo_sandbox, connector, commitment):
    result = connector.export(commitment, idempotency_key="commitment-1-1")

    (stored,) = qbo_sandbox.entities("PurchaseOrder")
    assert stored["Id"] == result.erp_id
    assert stored["DocNumber"] == result.doc_number == "SC-1001-004"
    assert stored["VendorRef"]["value"] == commitment.vendor.erp_id
    assert amount(stored["TotalAmt"]) == Decimal("71837.50")
    assert [amount(line["Amount"]) for line in stored["Line"]] == [
        Decimal("48250.00"),
        Decimal("23587.50"),
    ]
    detail = stored["Line"][1]["ItemBasedExpenseLineDetail"]
    assert detail["CustomerRef"]["value"] == commitment.project.erp_id
    assert mapping.as_decimal(detail["Qty"]) == 1850
    lines = list(commitment.lines.order_by("position"))
    assert result.line_ids == {lines[0].pk: "1", lines[1].pk: "2"}
    assert writes(qbo_sandbox, "PurchaseOrder")[0]["query"].count("requestid=commitment-1-1") == 1


class LosesTheAnswerToItsCreates(QuickBooksClient):
    """A real client whose creates are stored by the sandbox but never answered (the fault is
    armed right before each create, so the look-ups before it are answered normally)."""

    def __init__(self, connection, sandbox):
        super().__init__(connection)
        self.sandbox = sandbox

    def create(self, entity, payload, *, request_id):
        self.sandbox.inject_fault("drop_after_commit", entity=entity, method="POST")
        return super().create(entity, payload, request_id=request_id)


def test_a_later_attempt_after_a_lost_answer_links_the_stored_purchase_order(
    qbo_sandbox, qbo_settings, qbo_connection, commitment
):
    client = LosesTheAnswerToItsCreates(qbo_connection, qbo_sandbox)
    with pytest.raises(TransientERPError):
        QuickBooksOnlineConnector(qbo_connection, client=client).export(
            commitment, idempotency_key="commitment-1-1"
        )

    retried = QuickBooksOnlineConnector(qbo_connection).export(
        commitment, idempotency_key="commitment-1-2"
    )
    (stored,) = qbo_sandbox.entities("PurchaseOrder")
    assert retried.linked_existing
    assert retried.erp_id == stored["Id"]


def test_a_purchase_order_with_our_number_but_another_total_is_not_linked(
    qbo_sandbox, connector, commitment, cost_codes
):
    qbo_sandbox.create_entity(
        "PurchaseOrder",
        {
            "DocNumber": "SC-1001-004",
            "VendorRef": {"value": commitment.vendor.erp_id},
            "Line": [
                {
                    "Amount": "100.00",
                    "DetailType": "ItemBasedExpenseLineDetail",
                    "ItemBasedExpenseLineDetail": {
                        "ItemRef": {"value": cost_codes["Painting"].erp_id}
                    },
                }
            ],
        },
    )
    with pytest.raises(PermanentERPError, match=r"with a total of 100\.00, but the record totals"):
        connector.export(commitment, idempotency_key="commitment-1-1")
    assert len(qbo_sandbox.entities("PurchaseOrder")) == 1


def invoice_for(commitment, **fields):
    fields.setdefault("number", "PA-07")
    return make_invoice(
        commitment=commitment,
        billing_date=date(2026, 3, 31),
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
        due_date=date(2026, 4, 30),
        **fields,
    )


def test_invoice_becomes_a_bill_with_retainage_linked_to_its_purchase_order(
    qbo_sandbox, connector, synced_commitment
):
    invoice = invoice_for(
        synced_commitment,
        lines=[
            {"work_completed": "12062.50", "retainage_withheld": "1206.25"},
            {
                "work_completed": "4717.50",
                "materials_stored": "2200.00",
                "retainage_withheld": "691.75",
            },
        ],
    )
    result = connector.export(invoice, idempotency_key=f"invoice-{invoice.pk}-1")

    (bill,) = qbo_sandbox.entities("Bill")
    assert bill["Id"] == result.erp_id
    assert amount(bill["TotalAmt"]) == Decimal("17082.00")
    assert [amount(line["Amount"]) for line in bill["Line"]] == [
        Decimal("12062.50"),
        Decimal("6917.50"),
        Decimal("-1898.00"),
    ]
    order_lines = qbo_sandbox.entities("PurchaseOrder")[0]["Line"]
    assert [line.get("LinkedTxn") for line in bill["Line"]] == [
        [
            {
                "TxnId": synced_commitment.erp_id,
                "TxnType": "PurchaseOrder",
                "TxnLineId": order_lines[0]["Id"],
            }
        ],
        [
            {
                "TxnId": synced_commitment.erp_id,
                "TxnType": "PurchaseOrder",
                "TxnLineId": order_lines[1]["Id"],
            }
        ],
        None,
    ]
    assert bill["LinkedTxn"] == [{"TxnId": synced_commitment.erp_id, "TxnType": "PurchaseOrder"}]
    assert result.problem == ""
    assert (bill["TxnDate"], bill["DueDate"], bill["DocNumber"]) == (
        "2026-03-31",
        "2026-04-30",
        "PA-07",
    )
    (retainage,) = [i for i in qbo_sandbox.entities("Item") if i["Name"] == "Retainage"]
    assert bill["Line"][2]["ItemBasedExpenseLineDetail"]["ItemRef"]["value"] == retainage["Id"]
    (account,) = [a for a in qbo_sandbox.entities("Account") if a["Name"] == "Retainage Payable"]
    assert account["AccountType"] == "Other Current Liability"
    assert retainage["ExpenseAccountRef"]["value"] == account["Id"]
    assert len(result.line_ids) == 2


def test_retainage_release_is_a_bill_paying_back_retainage(
    qbo_sandbox, connector, synced_commitment
):
    first = invoice_for(synced_commitment, number="PA-01")
    connector.export(first, idempotency_key=f"invoice-{first.pk}-1")
    release = invoice_for(
        synced_commitment,
        number="PA-RR",
        lines=[],
        is_retainage_release=True,
        retainage_released=Decimal("100.00"),
    )
    connector.export(release, idempotency_key=f"invoice-{release.pk}-1")

    bills = {bill["DocNumber"]: bill for bill in qbo_sandbox.entities("Bill")}
    assert amount(bills["PA-RR"]["TotalAmt"]) == Decimal("100.00")
    retainage_items = {
        line["ItemBasedExpenseLineDetail"]["ItemRef"]["value"]
        for line in (
            bills["PA-01"]["Line"][-1],
            bills["PA-RR"]["Line"][0],
        )
    }
    assert len(retainage_items) == 1
    assert len([i for i in qbo_sandbox.entities("Item") if i["Name"] == "Retainage"]) == 1


def test_an_existing_bill_of_ours_is_linked_not_duplicated(
    qbo_sandbox, connector, synced_commitment, cost_codes
):
    invoice = invoice_for(synced_commitment, lines=[{"work_completed": "1000.00"}])
    existing = qbo_sandbox.create_entity(
        "Bill",
        {
            "DocNumber": "PA-07",
            "VendorRef": {"value": synced_commitment.vendor.erp_id},
            "Line": [
                {
                    "Amount": "1000.00",
                    "DetailType": "ItemBasedExpenseLineDetail",
                    "ItemBasedExpenseLineDetail": {
                        "ItemRef": {"value": cost_codes["Gypsum board"].erp_id},
                        "CustomerRef": {"value": synced_commitment.project.erp_id},
                    },
                }
            ],
        },
    )
    result = connector.export(invoice, idempotency_key=f"invoice-{invoice.pk}-1")

    assert result.linked_existing
    assert result.erp_id == existing["Id"]
    (bill,) = qbo_sandbox.entities("Bill")
    # The one write links the bill's line to the purchase order; no second bill.
    (write,) = writes(qbo_sandbox, "Bill")
    assert write["query"].startswith(f"requestid=invoice-{invoice.pk}-1-links&")
    assert bill["Line"][0]["LinkedTxn"][0]["TxnType"] == "PurchaseOrder"
    assert result.problem == ""


def test_a_bill_that_does_not_add_up_is_never_sent(
    qbo_sandbox, qbo_connection, synced_commitment, monkeypatch
):
    """Simulates a mapping fault (a dropped line): the total check must stop it before any
    request. The AP account and retainage item come from settings, so no look-up runs first."""
    qbo_connection.settings = {
        **qbo_connection.settings,
        "ap_account_id": "1",
        "retainage_item_id": "1",
    }
    invoice = invoice_for(synced_commitment)
    real_bill_payload = mapping.bill_payload

    def bill_missing_a_line(*args, **kwargs):
        payload = real_bill_payload(*args, **kwargs)
        return {**payload, "Line": payload["Line"][:-1]}

    monkeypatch.setattr(mapping, "bill_payload", bill_missing_a_line)
    qbo_sandbox.clear_request_log()

    with pytest.raises(mapping.TotalMismatchError, match=r"would total 1,000\.00, but the record"):
        QuickBooksOnlineConnector(qbo_connection).export(invoice, idempotency_key="invoice-x-1")
    assert qbo_sandbox.request_log() == []


def test_an_unlinked_vendor_is_refused_and_nothing_is_sent(qbo_sandbox, connector, project):
    commitment = make_commitment(project=project, vendor=make_company(name="Never Linked Ltd"))
    qbo_sandbox.clear_request_log()
    with pytest.raises(ExportRefused, match="Vendor 'Never Linked Ltd' is not linked"):
        connector.export(commitment, idempotency_key="commitment-9-1")
    assert qbo_sandbox.request_log() == []


def change_order_for(commitment, cost_codes):
    change_order = make_change_order(
        commitment=commitment,
        number="003",
        lines=[(cost_codes["Painting"], "3000.00"), (cost_codes["Gypsum board"], "-250.50")],
    )
    first_line = commitment.lines.get(position=1)
    change_order.lines.filter(amount__lt=0).update(commitment_line=first_line)
    return change_order


def test_change_order_appends_its_lines_to_the_purchase_order(
    qbo_sandbox, connector, synced_commitment, cost_codes
):
    change_order = change_order_for(synced_commitment, cost_codes)
    result = connector.export(change_order, idempotency_key=f"cco-{change_order.pk}-1")

    (stored,) = qbo_sandbox.entities("PurchaseOrder")
    assert [line["Id"] for line in stored["Line"][:2]] == ["1", "2"]
    assert [line["Description"] for line in stored["Line"][2:]] == [
        "CCO 003: Change",
        "CCO 003: change to line 1, Change",
    ]
    assert amount(stored["TotalAmt"]) == Decimal("74587.00")
    assert result.erp_id == synced_commitment.erp_id
    assert result.version == stored["SyncToken"] == "1"
    assert sorted(result.line_ids.values()) == [line["Id"] for line in stored["Line"][2:]]


def test_a_change_order_exported_twice_is_added_once(
    qbo_sandbox, connector, synced_commitment, cost_codes
):
    change_order = change_order_for(synced_commitment, cost_codes)
    connector.export(change_order, idempotency_key=f"cco-{change_order.pk}-1")
    again = connector.export(change_order, idempotency_key=f"cco-{change_order.pk}-2")

    (stored,) = qbo_sandbox.entities("PurchaseOrder")
    assert again.linked_existing
    assert len(stored["Line"]) == 4


class EditsBetweenReadAndUpdate(QuickBooksClient):
    """A real client, plus an accountant (a second real client) who edits the purchase order
    right after each of our reads, `edits` times."""

    def __init__(self, connection, *, edits: int):
        super().__init__(connection)
        self.edits_left = edits
        self.accountant = QuickBooksClient(connection)

    def read(self, entity, entity_id):
        document = super().read(entity, entity_id)
        if self.edits_left:
            self.edits_left -= 1
            self.accountant.update(
                entity,
                {
                    "Id": document["Id"],
                    "SyncToken": document["SyncToken"],
                    "PrivateNote": f"Edited by the accountant ({self.edits_left})",
                },
                request_id=f"accountant-edit-{self.edits_left}",
                sparse=True,
            )
        return document


def test_a_stale_purchase_order_is_read_again_and_the_change_order_applied(
    qbo_sandbox, qbo_connection, synced_commitment, cost_codes
):
    change_order = change_order_for(synced_commitment, cost_codes)
    client = EditsBetweenReadAndUpdate(qbo_connection, edits=1)
    connector = QuickBooksOnlineConnector(qbo_connection, client=client)
    qbo_sandbox.clear_request_log()

    connector.export(change_order, idempotency_key=f"cco-{change_order.pk}-1")

    (stored,) = qbo_sandbox.entities("PurchaseOrder")
    assert stored["PrivateNote"] == "Edited by the accountant (0)"
    assert len(stored["Line"]) == 4
    assert stored["SyncToken"] == "2"
    statuses = [entry["status"] for entry in writes(qbo_sandbox, "PurchaseOrder")]
    assert statuses == [200, 400, 200]


def test_a_purchase_order_that_keeps_changing_is_tried_again_later(
    qbo_sandbox, qbo_connection, synced_commitment, cost_codes
):
    change_order = change_order_for(synced_commitment, cost_codes)
    client = EditsBetweenReadAndUpdate(qbo_connection, edits=10)
    connector = QuickBooksOnlineConnector(qbo_connection, client=client)

    with pytest.raises(TransientERPError, match="keeps changing purchase order SC-1001-004"):
        connector.export(change_order, idempotency_key=f"cco-{change_order.pk}-1")
    (stored,) = qbo_sandbox.entities("PurchaseOrder")
    assert len(stored["Line"]) == 2


def test_an_inactive_vendor_of_ours_is_not_linked(qbo_sandbox, qbo_connection, connector, vendor):
    client = QuickBooksClient(qbo_connection)
    stored = client.read("Vendor", vendor.erp_id)
    client.update(
        "Vendor",
        {"Id": vendor.erp_id, "SyncToken": stored["SyncToken"], "Active": False},
        request_id="deactivate-vendor-2",
        sparse=True,
    )
    with pytest.raises(ExportRefused, match="'Acme Drywall', but it is inactive"):
        connector.export(vendor, idempotency_key=f"company-{vendor.pk}-2")
    assert len(qbo_sandbox.entities("Vendor")) == 1


def test_a_purchase_order_to_an_inactive_vendor_names_the_vendor(
    qbo_sandbox, qbo_connection, connector, commitment
):
    with QuickBooksClient(qbo_connection) as client:
        stored = client.read("Vendor", commitment.vendor.erp_id)
        client.update(
            "Vendor",
            {"Id": stored["Id"], "SyncToken": stored["SyncToken"], "Active": False},
            request_id="deactivate-acme",
            sparse=True,
        )
    with pytest.raises(ExportRefused) as refused:
        connector.export(commitment, idempotency_key="commitment-inactive-1")
    assert refused.value.code == "2500"
    assert not refused.value.transient
    assert str(refused.value).startswith(
        "QuickBooks says something this record refers to is missing or inactive"
    )
    assert str(refused.value).endswith("In QuickBooks Online, vendor 'Acme Drywall' is inactive.")
    assert qbo_sandbox.entities("PurchaseOrder") == []


def test_bills_of_a_batch_are_looked_up_in_one_query_created_in_one_request_each_on_its_own(
    qbo_sandbox, qbo_connection, connector, synced_commitment, cost_codes
):
    gypsum, painting = cost_codes["Gypsum board"], cost_codes["Painting"]
    invoices = [
        invoice_for(synced_commitment, number=f"PA-1{n}", lines=[{"work_completed": f"10{n}0.00"}])
        for n in (0, 1)
    ]
    invoices.append(
        invoice_for(
            synced_commitment,
            number="PA-12",
            lines=[{"work_completed": "0.00"}, {"work_completed": "1020.00"}],
        )
    )
    invoices.append(
        invoice_for(synced_commitment, number="PA-13", lines=[{"work_completed": "1030.00"}])
    )
    # PA-11 is in QuickBooks already (a lost answer, say); PA-12 bills an item made inactive.
    existing = qbo_sandbox.create_entity(
        "Bill",
        {
            "DocNumber": "PA-11",
            "VendorRef": {"value": synced_commitment.vendor.erp_id},
            "Line": [
                {
                    "Amount": "1010.00",
                    "DetailType": "ItemBasedExpenseLineDetail",
                    "ItemBasedExpenseLineDetail": {
                        "ItemRef": {"value": gypsum.erp_id},
                        "CustomerRef": {"value": synced_commitment.project.erp_id},
                    },
                }
            ],
        },
    )
    scene.deactivate(qbo_connection, "Item", painting.erp_id)
    qbo_sandbox.clear_request_log()

    outcomes = connector.export_batch(
        invoices, idempotency_keys=[f"invoice-{invoice.pk}-1" for invoice in invoices]
    )

    created, linked, refused, last = outcomes
    bills = {bill["DocNumber"]: bill for bill in qbo_sandbox.entities("Bill")}
    assert sorted(bills) == ["PA-10", "PA-11", "PA-13"]
    assert (created.erp_id, created.linked_existing) == (bills["PA-10"]["Id"], False)
    assert (linked.erp_id, linked.linked_existing) == (existing["Id"], True)
    assert last.erp_id == bills["PA-13"]["Id"]
    assert amount(bills["PA-13"]["TotalAmt"]) == Decimal("1030.00")
    assert isinstance(refused, ExportRefused)
    assert "item '09-200 Painting' is inactive" in refused.message
    (batch,) = [e for e in qbo_sandbox.request_log() if e["path"].endswith("/batch")]
    assert batch["items"] == 3
    assert [e for e in qbo_sandbox.request_log() if e["path"].endswith("/bill")] == [
        e for e in writes(qbo_sandbox, "Bill") if "-links&" in e["query"]
    ]


def test_change_orders_go_alone_and_the_others_up_to_the_batch_size(connector, settings):
    from approvals.models import Commitment, CommitmentChangeOrder, Company

    assert connector.export_batch_size(CommitmentChangeOrder) == 1
    assert connector.export_batch_size(Company) == 30
    settings.QUICKBOOKS_ONLINE = {**settings.QUICKBOOKS_ONLINE, "BATCH_SIZE": 50}
    assert connector.export_batch_size(Commitment) == 30
    settings.QUICKBOOKS_ONLINE = {**settings.QUICKBOOKS_ONLINE, "BATCH_SIZE": 10}
    assert connector.export_batch_size(Commitment) == 10


def test_two_invoices_of_one_number_in_a_batch_make_one_bill_the_second_looked_up_after(
    qbo_sandbox, connector, synced_commitment
):
    first = invoice_for(synced_commitment, number="PA-20", lines=[{"work_completed": "1000.00"}])
    second = invoice_for(synced_commitment, number="PA-20", lines=[{"work_completed": "2000.00"}])

    created, refused = connector.export_batch(
        [first, second], idempotency_keys=[f"invoice-{first.pk}-1", f"invoice-{second.pk}-1"]
    )

    (bill,) = [bill for bill in qbo_sandbox.entities("Bill") if bill["DocNumber"] == "PA-20"]
    assert created.erp_id == bill["Id"]
    assert isinstance(refused, ExportRefused)
    assert "already has bill PA-20" in refused.message
