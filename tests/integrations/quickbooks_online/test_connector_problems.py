"""What QuickBooks Online would refuse, said before anything is sent."""

from decimal import Decimal

import pytest

from approvals.models import CommitmentLine
from integrations.models import ERPConnection, ERPKind
from integrations.quickbooks_online.connector import ExportRefused, QuickBooksOnlineConnector
from tests.factories import (
    make_change_order,
    make_commitment,
    make_company,
    make_cost_code,
    make_invoice,
    make_project,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def connector():
    connection = ERPConnection.objects.create(
        kind=ERPKind.QUICKBOOKS_ONLINE, company_id="9341453050000001"
    )
    return QuickBooksOnlineConnector(connection)


def refusal(connector, record) -> str:
    """The export's own guard: what it refuses before opening a connection."""
    with pytest.raises(ExportRefused) as refused:
        connector.export(record, idempotency_key="guard-1-1")
    assert connector._client is None
    return str(refused.value)


def test_a_clean_company_has_no_problems(connector):
    company = make_company(name="Acme Drywall", email="ap@acme.example", legal_name="Acme LLC")
    assert connector.export_problems(company) == []


def test_vendor_names_with_characters_quickbooks_refuses(connector):
    company = make_company(name="Acme: Drywall\tand Paint")
    assert connector.export_problems(company) == [
        "The company name 'Acme: Drywall\tand Paint' contains a colon and a tab, which "
        "QuickBooks Online does not allow in names."
    ]


def test_long_legal_names_and_bad_email_addresses(connector):
    company = make_company(name="Acme", legal_name="A" * 101, email="ap@localhost")
    assert connector.export_problems(company) == [
        f"The company's legal name '{'A' * 59}…' is longer than the 100 characters "
        "QuickBooks Online allows.",
        "The email address 'ap@localhost' is not one QuickBooks Online accepts "
        "(it needs an @ and a domain with a dot).",
    ]


def test_a_long_name_without_a_legal_name_is_blamed_on_the_name(connector):
    company = make_company(name="B" * 101, legal_name="")
    assert connector.export_problems(company) == [
        f"The company name '{'B' * 59}…' is longer than the 100 characters "
        "QuickBooks Online allows."
    ]


def test_invoice_number_longer_than_quickbooks_allows(connector):
    invoice = make_invoice()
    invoice.number = "PAY-APPLICATION-2026-0007"
    assert connector.export_problems(invoice) == [
        "The invoice number 'PAY-APPLICATION-2026-0007' is longer than the 21 characters "
        "QuickBooks Online allows."
    ]


def test_unlinked_vendor_project_and_cost_code_are_named(connector):
    commitment = make_commitment(
        project=make_project(number="P-100", name="Riverside Clinic"),
        vendor=make_company(name="Acme Drywall"),
        lines=[(make_cost_code(code="09-250", name="Drywall", standard=False), "500.00")],
    )
    # The workflow's preconditions say these to the user; the connector only guards its export.
    assert connector.export_problems(commitment) == []
    assert refusal(connector, commitment) == (
        "Project 'P-100 Riverside Clinic' is not synced to QuickBooks Online yet. "
        "Vendor 'Acme Drywall' is not linked to a QuickBooks vendor. "
        "Line 1 uses cost code '09-250 Drywall', which is not a QuickBooks Online item."
    )


def test_quantity_times_unit_cost_must_make_the_line_amount(connector):
    commitment = make_commitment(lines=[])
    CommitmentLine.objects.create(
        commitment=commitment,
        position=1,
        cost_code=make_cost_code(),
        quantity=Decimal("10.0000"),
        unit_cost=Decimal("12.5000"),
        amount=Decimal("130.00"),
    )
    assert "Line 1: quantity 10 x unit cost 12.5 comes to 125.00, not the line amount 130.00." in (
        refusal(connector, commitment)
    )


def test_commitment_without_lines_or_in_a_foreign_currency(connector):
    commitment = make_commitment(lines=[], currency="CAD")
    assert connector.export_problems(commitment) == [
        "The commitment is in CAD, but the QuickBooks Online company keeps its books in USD.",
    ]
    assert "The commitment has no lines; QuickBooks Online needs at least one." in (
        refusal(connector, commitment)
    )


def test_change_order_needs_its_commitment_synced(connector):
    change_order = make_change_order(commitment=make_commitment(number="SC-9", title="Paint"))
    assert connector.export_problems(change_order) == []
    assert refusal(connector, change_order).startswith(
        "Commitment 'SC-9 Paint' is not synced to QuickBooks Online yet, so its change orders "
        "cannot be added to its purchase order."
    )


def test_negative_invoices_and_empty_releases_are_refused(connector):
    negative = make_invoice(lines=[{"work_completed": "-500.00"}])
    empty_release = make_invoice(lines=[], is_retainage_release=True)
    assert connector.export_problems(negative) == []
    assert (
        "The invoice totals -500.00; QuickBooks Online does not accept a bill with a "
        "negative total."
    ) in refusal(connector, negative)
    assert connector.export_problems(empty_release) == [
        "This retainage release does not say how much retainage is released."
    ]


def test_export_refuses_before_sending_anything(connector):
    company = make_company(name="Acme: Drywall")
    with pytest.raises(ExportRefused) as refused:
        connector.export(company, idempotency_key="company-1-1")
    assert "contains a colon" in str(refused.value)
    assert connector._client is None


TOO_BIG = "more than QuickBooks Online can store (at most 9,999,999,999.99)"


@pytest.fixture
def sender():
    from tests.factories import make_erp_connection, make_user

    make_erp_connection()
    project = make_project(synced=True)
    return project, make_user(role="project_manager", projects=[project])


def _send_refusal(record, actor) -> str:
    from approvals.services import PreconditionsNotMet, record_send

    with pytest.raises(PreconditionsNotMet) as refused:
        record_send(record=record, actor=actor)
    record.refresh_from_db()
    assert record.sync_status == "not_sent"
    return " ".join(refused.value.reasons)


def test_a_commitment_line_quickbooks_cannot_store_is_refused_at_send(sender):
    project, pm = sender
    vendor = make_company(synced=True)
    commitment = make_commitment(
        project=project, vendor=vendor, lines=[Decimal("12.00"), Decimal("10000000000.00")]
    )

    refused = _send_refusal(commitment, pm)

    assert f"Line 2's amount, 10,000,000,000.00, is {TOO_BIG}." in refused


def test_a_commitment_total_quickbooks_cannot_store_is_refused_at_send(sender):
    project, pm = sender
    commitment = make_commitment(
        project=project,
        vendor=make_company(synced=True),
        lines=[Decimal("9999999999.99"), Decimal("0.01")],
    )

    refused = _send_refusal(commitment, pm)

    assert f"The commitment's total, 10,000,000,000.00, is {TOO_BIG}." in refused
    assert "Line 1" not in refused


def test_the_largest_amount_quickbooks_stores_is_sent(sender):
    from approvals.services import record_send

    project, pm = sender
    commitment = make_commitment(
        project=project, vendor=make_company(synced=True), lines=[Decimal("9999999999.99")]
    )

    record_send(record=commitment, actor=pm)

    commitment.refresh_from_db()
    assert commitment.sync_status == "ready_to_export"


def test_a_change_order_line_quickbooks_cannot_store_is_refused_at_send(sender):
    project, pm = sender
    commitment = make_commitment(project=project, vendor=make_company(synced=True), synced=True)
    change_order = make_change_order(commitment=commitment, lines=[Decimal("10000000000.00")])

    refused = _send_refusal(change_order, pm)

    assert f"Line 1's amount, 10,000,000,000.00, is {TOO_BIG}." in refused


def test_an_invoice_amount_quickbooks_cannot_store_is_refused_at_send(sender):
    project, pm = sender
    commitment = make_commitment(
        project=project,
        vendor=make_company(synced=True),
        lines=[Decimal("50000000000.00")],
        synced=True,
    )
    invoice = make_invoice(
        commitment=commitment,
        lines=[{"work_completed": "10000000000.00", "retainage_withheld": "0"}],
    )

    refused = _send_refusal(invoice, pm)

    assert f"Line 1's amount, 10,000,000,000.00, is {TOO_BIG}." in refused
    assert f"The invoice's total, 10,000,000,000.00, is {TOO_BIG}." in refused
