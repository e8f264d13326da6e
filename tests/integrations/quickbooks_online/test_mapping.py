"""Golden-file tests of the QuickBooks Online mapping: the exact JSON we send for each record kind.

The files in golden/ are compared byte for byte. After an intended change to the mapping,
regenerate them with

    QBO_GOLDEN_UPDATE=1 .venv/bin/python -m pytest tests/integrations/quickbooks_online/test_mapping.py

and review the diff before committing it.
"""

import json
import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from approvals.models import (
    ChangeOrderLine,
    Commitment,
    CommitmentChangeOrder,
    CommitmentKind,
    CommitmentLine,
    CommitmentStatus,
    Company,
    CostCode,
    CostType,
    InvoiceLine,
    Project,
    SubcontractorInvoice,
)
from integrations.exact_json import to_json
from integrations.quickbooks_online import mapping
from integrations.quickbooks_online.client import ERP_NAME
from money import cents
from tests.factories import linking_connection

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("QBO_GOLDEN_UPDATE") == "1"

pytestmark = pytest.mark.django_db


def laid_out(value, level: int = 0) -> str:
    """The JSON the client sends (exact_json.to_json: exact Decimal numbers), one member a line."""
    inner, outer = "\n" + "  " * (level + 1), "\n" + "  " * level
    if isinstance(value, dict) and value:
        members = [f"{json.dumps(key)}: {laid_out(item, level + 1)}" for key, item in value.items()]
        return "{" + inner + ("," + inner).join(members) + outer + "}"
    if isinstance(value, list) and value:
        members = [laid_out(item, level + 1) for item in value]
        return "[" + inner + ("," + inner).join(members) + outer + "]"
    return to_json(value, erp_name=ERP_NAME)


def assert_golden(name: str, payload: dict) -> None:
    path = GOLDEN / f"{name}.json"
    text = laid_out(payload) + "\n"
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text


@pytest.fixture
def project():
    return Project.objects.create(
        erp_connection=linking_connection(),
        number="P-1001",
        name="Riverside Clinic: Phase 2",
        address="400 River Road, Portland, OR 97201",
        customer_name="Riverside Health",
        erp_id="301",
    )


@pytest.fixture
def vendor():
    return Company.objects.create(
        erp_connection=linking_connection(),
        name="Acme Drywall",
        legal_name="Acme Drywall & Framing LLC",
        tax_id="99-5688293",
        email="ap@acmedrywall.example",
        phone="(503) 555-0142",
        address_line1="1200 Industrial Way, Suite 4",
        city="Portland",
        region="OR",
        postal_code="97210",
        country="USA",
        vendor_type="Subcontractor",
        erp_id="56",
    )


@pytest.fixture
def cost_codes():
    return {
        "drywall": CostCode.objects.create(
            erp_connection=linking_connection(),
            code="09-250",
            name="Gypsum board",
            cost_type=CostType.SUBCONTRACT,
            erp_id="21",
        ),
        "framing": CostCode.objects.create(
            erp_connection=linking_connection(),
            code="09-220",
            name="Metal stud framing",
            cost_type=CostType.SUBCONTRACT,
            erp_id="22",
        ),
        "paint": CostCode.objects.create(
            erp_connection=linking_connection(),
            code="09-900",
            name="Painting",
            cost_type=CostType.SUBCONTRACT,
            erp_id="23",
        ),
    }


@pytest.fixture
def subcontract(project, vendor, cost_codes):
    commitment = Commitment.objects.create(
        erp_connection=linking_connection(),
        project=project,
        vendor=vendor,
        kind=CommitmentKind.SUBCONTRACT,
        number="SC-1001-004",
        title="Drywall and framing",
        status=CommitmentStatus.APPROVED,
        erp_id="870",
    )
    CommitmentLine.objects.create(
        commitment=commitment,
        position=1,
        cost_code=cost_codes["framing"],
        description="Metal stud framing, levels 1-3",
        amount=Decimal("48250.00"),
    )
    CommitmentLine.objects.create(
        commitment=commitment,
        position=2,
        cost_code=cost_codes["drywall"],
        description="5/8in type X board, hung and finished",
        quantity=Decimal("1850.0000"),
        unit_cost=Decimal("12.7500"),
        amount=Decimal("23587.50"),
    )
    return commitment


@pytest.fixture
def purchase_order(project, vendor, cost_codes):
    commitment = Commitment.objects.create(
        project=project,
        vendor=vendor,
        kind=CommitmentKind.PURCHASE_ORDER,
        number="PO-1001-017",
        title="Paint supplies",
        status=CommitmentStatus.APPROVED,
    )
    CommitmentLine.objects.create(
        commitment=commitment,
        position=1,
        cost_code=cost_codes["paint"],
        description="Interior eggshell, 5 gal",
        quantity=Decimal("40"),
        unit_cost=Decimal("189.9900"),
        amount=Decimal("7599.60"),
    )
    CommitmentLine.objects.create(
        commitment=commitment,
        position=2,
        cost_code=cost_codes["paint"],
        description="",
        quantity=Decimal("2.5000"),
        unit_cost=Decimal("0.3333"),
        amount=Decimal("0.83"),
    )
    return commitment


def loaded(model, pk, *related_lines):
    return model.objects.prefetch_related(*related_lines).get(pk=pk)


def test_project_becomes_a_job_under_the_chosen_customer(project):
    payload = mapping.project_job_payload(project, parent_customer_id="58")
    assert payload["DisplayName"] == "P-1001 Riverside Clinic - Phase 2"
    assert_golden("project_job", payload)


def test_company_becomes_a_vendor_with_full_address(vendor):
    assert_golden("vendor_full_address", mapping.vendor_payload(vendor, track_1099=True))


def test_vendor_without_details_sends_only_its_names():
    company = Company.objects.create(name="Bolt Electric")
    assert mapping.vendor_payload(company) == {
        "DisplayName": "Bolt Electric",
        "CompanyName": "Bolt Electric",
    }


def test_subcontract_becomes_a_purchase_order_with_quantity_lines(subcontract):
    record = loaded(Commitment, subcontract.pk, "lines__cost_code")
    payload = mapping.purchase_order_payload(record, ap_account_id="33")
    assert mapping.document_total(payload) == Decimal("71837.50")
    assert_golden("purchase_order_subcontract", payload)


def test_purchase_order_keeps_quantities_and_unit_prices_exact(purchase_order):
    record = loaded(Commitment, purchase_order.pk, "lines__cost_code")
    payload = mapping.purchase_order_payload(record, ap_account_id="33")
    detail = payload["Line"][1]["ItemBasedExpenseLineDetail"]
    assert (detail["Qty"], detail["UnitPrice"]) == (Decimal("2.5"), Decimal("0.3333"))
    assert payload["Line"][1]["Description"] == "Painting"
    assert mapping.document_total(payload) == Decimal("7600.43")
    assert_golden("purchase_order_supplies", payload)


def test_change_order_keeps_current_lines_and_appends_its_own(subcontract, cost_codes):
    cco = CommitmentChangeOrder.objects.create(
        commitment=subcontract, number="003", title="Added soffits at level 2"
    )
    ChangeOrderLine.objects.create(
        change_order=cco,
        commitment_line=subcontract.lines.get(position=2),
        cost_code=cost_codes["drywall"],
        description="Extra board at soffits",
        amount=Decimal("1250.50"),
    )
    ChangeOrderLine.objects.create(
        change_order=cco,
        cost_code=cost_codes["paint"],
        description="Prime and paint soffits",
        amount=Decimal("3000.00"),
    )
    as_read = json.loads((GOLDEN / "purchase_order_as_read.json").read_text(encoding="utf-8"))
    record = loaded(CommitmentChangeOrder, cco.pk, "lines__cost_code", "lines__commitment_line")
    payload = mapping.change_order_update_payload(record, purchase_order=as_read)

    assert [line.get("Id") for line in payload["Line"]] == ["1", "2", None, None]
    assert mapping.document_total(payload) == mapping.document_total(as_read) + Decimal("4250.50")
    assert_golden("change_order_update", payload)


def make_invoice(subcontract, **fields):
    invoice = SubcontractorInvoice.objects.create(
        commitment=subcontract,
        number="PA-07",
        billing_date=date(2025, 3, 31),
        period_start=date(2025, 3, 1),
        period_end=date(2025, 3, 31),
        due_date=date(2025, 4, 30),
        **fields,
    )
    return invoice


def test_invoice_with_retainage_becomes_a_bill_linked_to_its_purchase_order(subcontract):
    invoice = make_invoice(subcontract)
    framing, drywall = subcontract.lines.order_by("position")
    InvoiceLine.objects.create(
        invoice=invoice,
        commitment_line=framing,
        work_completed=Decimal("12062.50"),
        retainage_withheld=Decimal("1206.25"),
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        commitment_line=drywall,
        work_completed=Decimal("4717.50"),
        materials_stored=Decimal("2200.00"),
        retainage_withheld=Decimal("691.75"),
    )
    record = loaded(SubcontractorInvoice, invoice.pk, "lines__commitment_line__cost_code")
    payload = mapping.bill_payload(
        record, ap_account_id="33", retainage_item_id="90", purchase_order_id="870"
    )

    assert record.totals().net == Decimal("17082.00")
    mapping.ensure_total_matches(payload, record.totals().net)
    assert payload["Line"][-1]["Amount"] == Decimal("-1898.00")
    assert_golden("bill_with_retainage", payload)


def test_retainage_release_is_a_bill_with_a_positive_retainage_line(subcontract):
    invoice = make_invoice(
        subcontract, is_retainage_release=True, retainage_released=Decimal("7183.75")
    )
    record = loaded(SubcontractorInvoice, invoice.pk, "lines__commitment_line__cost_code")
    payload = mapping.bill_payload(
        record, ap_account_id="33", retainage_item_id="90", purchase_order_id="870"
    )

    assert record.totals().net == Decimal("7183.75")
    assert [line["Amount"] for line in payload["Line"]] == [Decimal("7183.75")]
    assert_golden("bill_retainage_release", payload)


def test_zero_lines_are_left_off_the_bill(subcontract):
    invoice = make_invoice(subcontract)
    framing, drywall = subcontract.lines.order_by("position")
    InvoiceLine.objects.create(invoice=invoice, commitment_line=framing)
    InvoiceLine.objects.create(
        invoice=invoice, commitment_line=drywall, work_completed=Decimal("100.00")
    )
    record = loaded(SubcontractorInvoice, invoice.pk, "lines__commitment_line__cost_code")
    payload = mapping.bill_payload(
        record, ap_account_id="33", retainage_item_id="90", purchase_order_id="870"
    )
    assert [line["Amount"] for line in payload["Line"]] == [Decimal("100.00")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.005", "0.01"), ("2.675", "2.68"), ("-2.675", "-2.68"), ("10", "10.00"), ("0.004", "0.00")],
)
def test_amounts_round_half_up_to_the_cent(value, expected):
    assert str(cents(Decimal(value))) == expected


def test_total_mismatch_is_refused_with_a_sentence():
    payload = {"Line": [{"DetailType": "ItemBasedExpenseLineDetail", "Amount": Decimal("10.00")}]}
    with pytest.raises(mapping.TotalMismatchError) as refused:
        mapping.ensure_total_matches(payload, Decimal("10.01"))
    assert str(refused.value) == (
        "The QuickBooks Online document would total 10.00, but the record totals 10.01, "
        "so nothing was sent. Please report this problem."
    )
    assert not refused.value.transient


def test_document_total_reads_quickbooks_numbers_exactly():
    document = {
        "Line": [
            {"DetailType": "ItemBasedExpenseLineDetail", "Amount": 0.1},
            {"DetailType": "AccountBasedExpenseLineDetail", "Amount": 0.2},
            {"DetailType": "SubTotalLineDetail", "Amount": 0.3},
        ]
    }
    assert mapping.document_total(document) == Decimal("0.30")


def test_golden_layout_is_the_json_the_client_sends():
    payload = {"Line": [{"Amount": Decimal("1234567890123.45"), "Qty": Decimal("2.5")}], "E": []}
    assert json.loads(laid_out(payload), parse_float=Decimal) == json.loads(
        to_json(payload, erp_name=ERP_NAME), parse_float=Decimal
    )
    assert '"Amount": 1234567890123.45' in laid_out(payload)


def test_audit_copy_keeps_amounts_as_exact_text():
    assert mapping.jsonable({"Line": [{"Amount": Decimal("0.10")}], "TotalAmt": 0.3}) == {
        "Line": [{"Amount": "0.10"}],
        "TotalAmt": "0.3",
    }


def test_job_names_lose_characters_quickbooks_refuses():
    project = Project(number="P-7", name="Tower:\tEast\nWing")
    assert mapping.job_display_name(project) == "P-7 Tower - East Wing"
    assert mapping.forbidden_characters("A:B\tC\r\n") == ["a colon", "a tab", "a line break"]
