"""Random commitments, change orders and invoices map to QuickBooks documents whose totals equal
ours to the cent: the payload's lines add up to what the selectors say the record is worth.

Each example builds its records inside a savepoint that is rolled back, so the examples share
the test's database fixture without seeing each other's rows.
"""

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from approvals import selectors
from approvals.models import ChangeOrderLine, CommitmentLine, InvoiceLine, SubcontractorInvoice
from integrations.quickbooks_online import mapping
from money import cents
from tests.factories import (
    make_change_order,
    make_commitment,
    make_company,
    make_cost_code,
    make_project,
)

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")
MAX_LINE = Decimal("99999999.99")
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

AMOUNTS = st.one_of(
    st.sampled_from([CENT, Decimal("0.99"), Decimal("1000000.00"), MAX_LINE]),
    st.integers(1, int(MAX_LINE * 100)).map(lambda cents: Decimal(cents) / 100),
)
QUANTITIES = st.integers(1, 10**8).map(lambda units: Decimal(units) / 10**4)
UNIT_COSTS = st.integers(1, 10**9).map(lambda units: Decimal(units) / 10**4)
PERCENTS = st.integers(0, 10000).map(lambda basis_points: Decimal(basis_points) / 100)


@st.composite
def commitment_lines(draw):
    """(quantity, unit cost, amount): amount alone, or quantity x unit cost rounded to the cent."""
    if draw(st.booleans()):
        return None, None, draw(AMOUNTS)
    quantity, unit_cost = draw(QUANTITIES), draw(UNIT_COSTS)
    amount = cents(quantity * unit_cost)
    if amount > MAX_LINE:
        return None, None, draw(AMOUNTS)
    return quantity, unit_cost, amount


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def scene():
    return {
        "project": make_project(synced=True),
        "vendor": make_company(synced=True),
        "cost_codes": [make_cost_code() for _ in range(3)],
    }


def build_commitment(scene, lines):
    commitment = make_commitment(
        project=scene["project"], vendor=scene["vendor"], lines=(), synced=True
    )
    CommitmentLine.objects.bulk_create(
        CommitmentLine(
            commitment=commitment,
            position=position,
            cost_code=scene["cost_codes"][position % 3],
            description=f"Line {position}",
            quantity=quantity,
            unit_cost=unit_cost,
            amount=amount,
        )
        for position, (quantity, unit_cost, amount) in enumerate(lines, start=1)
    )
    return commitment


def as_stored(payload: dict) -> dict:
    """A purchase order as QuickBooks keeps it: every line with an Id, the document versioned."""
    lines = [{**line, "Id": str(number)} for number, line in enumerate(payload["Line"], start=1)]
    return {**payload, "Id": "130", "SyncToken": "0", "Line": lines}


@EXAMPLES
@given(lines=st.lists(commitment_lines(), min_size=1, max_size=25))
def test_a_purchase_order_totals_the_commitment(scene, lines):
    with rolled_back():
        commitment = build_commitment(scene, lines)

        payload = mapping.purchase_order_payload(commitment, ap_account_id="33")

        expected = selectors.commitment_total(commitment)
        assert mapping.document_total(payload) == expected
        assert expected == sum((amount for _, _, amount in lines), Decimal("0.00"))
        mapping.ensure_total_matches(payload, expected)
        assert len(payload["Line"]) == len(lines)


@EXAMPLES
@given(
    original=st.lists(commitment_lines(), min_size=1, max_size=10),
    changes=st.lists(st.tuples(st.booleans(), AMOUNTS), min_size=1, max_size=15),
)
def test_a_change_order_brings_the_purchase_order_to_the_revised_total(scene, original, changes):
    with rolled_back():
        commitment = build_commitment(scene, original)
        purchase_order = as_stored(mapping.purchase_order_payload(commitment, ap_account_id="33"))
        change_order = make_change_order(commitment=commitment, lines=())
        commitment_lines_by_position = list(commitment.lines.order_by("position"))
        ChangeOrderLine.objects.bulk_create(
            ChangeOrderLine(
                change_order=change_order,
                commitment_line=commitment_lines_by_position[index % len(original)]
                if index % 2
                else None,
                cost_code=scene["cost_codes"][index % 3],
                description="Change",
                amount=-amount if deduction else amount,
            )
            for index, (deduction, amount) in enumerate(changes)
        )

        payload = mapping.change_order_update_payload(change_order, purchase_order=purchase_order)

        revised = selectors.commitment_revised_total(commitment)
        assert mapping.document_total(payload) == revised
        assert revised == selectors.commitment_total(commitment) + mapping.change_order_total(
            change_order
        )
        assert payload["Line"][: len(original)] == purchase_order["Line"]


@st.composite
def invoice_lines(draw, budget: Decimal):
    """Work and materials within the line's budget, retainage a percentage of what is billed."""
    work = draw(st.integers(0, int(budget * 100)).map(lambda cents: Decimal(cents) / 100))
    materials = draw(st.integers(0, int(budget * 100)).map(lambda cents: Decimal(cents) / 100))
    retainage = cents((work + materials) * draw(PERCENTS) / 100)
    return work, materials, retainage


@EXAMPLES
@given(data=st.data())
def test_a_bill_totals_the_invoice_net_of_retainage(scene, data):
    original = data.draw(st.lists(commitment_lines(), min_size=1, max_size=12), label="commitment")
    release = data.draw(st.one_of(st.none(), AMOUNTS), label="retainage released")
    with rolled_back():
        commitment = build_commitment(scene, original)
        invoice = SubcontractorInvoice.objects.create(
            commitment=commitment,
            number="PA-7",
            billing_date=date(2026, 6, 1),
            period_start=date(2026, 5, 1),
            period_end=date(2026, 5, 31),
            is_retainage_release=release is not None,
            retainage_released=release or Decimal("0.00"),
        )
        lines = []
        for commitment_line in commitment.lines.order_by("position"):
            work, materials, retainage = data.draw(invoice_lines(commitment_line.amount))
            lines.append(
                InvoiceLine(
                    invoice=invoice,
                    commitment_line=commitment_line,
                    work_completed=work,
                    materials_stored=materials,
                    retainage_withheld=retainage,
                )
            )
        InvoiceLine.objects.bulk_create(lines)

        payload = mapping.bill_payload(
            invoice, ap_account_id="33", retainage_item_id="19", purchase_order_id="130"
        )

        totals = invoice.totals()
        assert mapping.document_total(payload) == totals.net
        assert invoice.totals().net == totals.net
        assert totals.net == totals.gross - totals.retainage
        assert all(line["Amount"] == cents(line["Amount"]) for line in payload["Line"])
        mapping.ensure_total_matches(payload, totals.net)
