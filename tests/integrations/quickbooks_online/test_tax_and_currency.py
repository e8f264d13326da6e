"""A Canadian QuickBooks Online company: its country and currency read on connecting, purchase
tax codes chosen by an administrator, and exports whose totals carry QuickBooks' GST/HST."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals.models import CommitmentLine, CostCode
from integrations.models import ERPConnection, ERPKind
from integrations.quickbooks_online import mapping
from integrations.quickbooks_online.connector import ExportRefused, QuickBooksOnlineConnector
from tests.factories import (
    linking_connection,
    make_change_order,
    make_commitment,
    make_company,
    make_project,
)

from .test_connect import (
    CONNECTION_URL,
    administrator,
    approve_at_quickbooks,
    our_path,
    signed_in,
    start_connecting,
)
from .test_connector import amount, invoice_for, writes

__all__ = ["administrator", "signed_in"]  # test_connect's fixtures, used here too

pytestmark = pytest.mark.django_db

REALM = "9341453050000124"
TAX_CODES_URL = reverse("quickbooks_online:tax_codes")


@pytest.fixture
def canadian_company(request, qbo_sandbox):
    """Its tax code ids by name; multicurrency on when the test parametrizes it True."""
    multicurrency = getattr(request, "param", False)
    qbo_sandbox.add_company(REALM, "Maple Builders Ltd", country="CA", multicurrency=multicurrency)
    return {code["Name"]: code["Id"] for code in qbo_sandbox.entities("TaxCode", realm_id=REALM)}


@pytest.fixture
def connection(qbo_sandbox, qbo_settings, canadian_company):
    """Connected before the country and currency were kept: its settings are empty."""
    tokens = qbo_sandbox.issue_tokens(REALM)
    now = timezone.now()
    return ERPConnection.objects.create(
        kind=ERPKind.QUICKBOOKS_ONLINE,
        company_id=REALM,
        company_name="Maple Builders Ltd",
        access_token=tokens["access_token"],
        access_token_expires_at=now + timedelta(seconds=int(tokens["expires_in"])),
        refresh_token=tokens["refresh_token"],
        refresh_token_expires_at=now + timedelta(seconds=int(tokens["x_refresh_token_expires_in"])),
    )


def choose_tax_codes(connection, default: str | None, **by_item: str) -> None:
    connection.settings = {
        **connection.settings,
        "purchase_tax_code_id": default or "",
        "tax_codes_by_item": by_item,
    }
    connection.save(update_fields=["settings"])


@pytest.fixture
def connector(connection):
    return QuickBooksOnlineConnector(connection)


@pytest.fixture
def cost_codes(qbo_sandbox, canadian_company):
    accounts = qbo_sandbox.entities("Account", realm_id=REALM)
    expense = next(a for a in accounts if a["Name"] == "Subcontractors")
    codes = {}
    for position, name in enumerate(("Gypsum board", "Painting"), start=1):
        item = qbo_sandbox.create_entity(
            "Item",
            {"Name": name, "Type": "NonInventory", "ExpenseAccountRef": {"value": expense["Id"]}},
            realm_id=REALM,
        )
        codes[name] = CostCode.objects.create(
            erp_connection=linking_connection(),
            code=f"09-{position}00",
            name=name,
            erp_id=item["Id"],
        )
    return codes


def exported(connector, record, key: str):
    record.erp_id = connector.export(record, idempotency_key=key).erp_id
    record.erp_connection = linking_connection()
    record.save(update_fields=["erp_id", "erp_connection"])
    return record


@pytest.fixture
def commitment(qbo_sandbox, connector, cost_codes):
    owner = qbo_sandbox.create_entity("Customer", {"DisplayName": "Lakeshore Health"}, REALM)
    project = make_project(number="P-2001", name="Lakeshore Clinic")
    project.erp_parent_customer_id = owner["Id"]
    project.save(update_fields=["erp_parent_customer_id"])
    exported(connector, project, "project-1")
    vendor = exported(connector, make_company(name="Northern Drywall"), "vendor-1")
    commitment = make_commitment(
        project=project,
        vendor=vendor,
        number="SC-2001-001",
        title="Drywall",
        currency="CAD",
        lines=[(cost_codes["Gypsum board"], "48250.00")],
    )
    CommitmentLine.objects.create(
        commitment=commitment,
        position=2,
        cost_code=cost_codes["Painting"],
        description="Prime and paint",
        amount=Decimal("23587.50"),
    )
    return commitment


def test_connecting_reads_country_currency_and_offers_the_tax_codes(
    signed_in, qbo_settings, qbo_sandbox, canadian_company, cost_codes
):
    # The administrator picks the Canadian company at Intuit.
    callback_url = approve_at_quickbooks(f"{start_connecting(signed_in)}&realm_id={REALM}")
    signed_in.get(our_path(callback_url))

    connection = ERPConnection.objects.get(is_active=True)
    # The cost codes were made before the company was connected: they are its items.
    CostCode.objects.update(erp_connection=connection)
    assert connection.company_name == "Maple Builders Ltd"
    assert connection.settings == {"country": "CA", "home_currency": "CAD", "multicurrency": False}
    page = signed_in.get(CONNECTION_URL).content.decode()
    assert "CAD" in page
    assert f'<option value="{canadian_company["HST ON"]}">HST ON</option>' in page
    assert "09-200 Painting" in page

    painting = cost_codes["Painting"].erp_id
    signed_in.post(
        TAX_CODES_URL,
        {"default": canadian_company["HST ON"], f"item-{painting}": canadian_company["GST"]},
    )
    connection.refresh_from_db()
    assert connection.settings["purchase_tax_code_id"] == canadian_company["HST ON"]
    assert connection.settings["tax_codes_by_item"] == {painting: canadian_company["GST"]}

    refused = signed_in.post(TAX_CODES_URL, {"default": "999999"}, follow=True)
    assert "has no purchase tax code with id 999999; nothing was saved" in refused.content.decode()


def test_a_commitment_goes_out_before_tax_and_quickbooks_adds_gst_and_hst(
    qbo_sandbox, connection, connector, commitment, canadian_company, cost_codes
):
    painting = cost_codes["Painting"].erp_id
    choose_tax_codes(connection, canadian_company["HST ON"], **{painting: canadian_company["GST"]})

    exported(connector, commitment, "commitment-1")

    # Read lazily: the connection was made before country and currency were kept.
    connection.refresh_from_db()
    assert connection.settings["country"] == "CA"
    (order,) = qbo_sandbox.entities("PurchaseOrder", realm_id=REALM)
    assert order["GlobalTaxCalculation"] == "TaxExcluded"
    assert [
        line["ItemBasedExpenseLineDetail"]["TaxCodeRef"]["value"] for line in order["Line"]
    ] == [
        canadian_company["HST ON"],
        canadian_company["GST"],
    ]
    # 13% of 48,250.00 = 6,272.50; 5% of 23,587.50 = 1,179.375, rounded to 1,179.38.
    assert amount(order["TxnTaxDetail"]["TotalTax"]) == Decimal("7451.88")
    assert amount(order["TotalAmt"]) == Decimal("79289.38")


def test_a_bill_and_change_order_totals_are_lines_plus_quickbooks_tax(
    qbo_sandbox, connection, connector, commitment, canadian_company, cost_codes
):
    choose_tax_codes(connection, canadian_company["HST ON"])
    exported(connector, commitment, "commitment-1")
    invoice = invoice_for(
        commitment,
        lines=[
            {"work_completed": "12062.50", "retainage_withheld": "1206.25"},
            {"work_completed": "4717.50", "retainage_withheld": "471.75"},
        ],
    )

    result = connector.export(invoice, idempotency_key="invoice-1")
    again = connector.export(invoice, idempotency_key="invoice-1-retry")

    (bill,) = qbo_sandbox.entities("Bill", realm_id=REALM)
    assert again.erp_id == result.erp_id == bill["Id"] and again.linked_existing
    # Lines 12,062.50 + 4,717.50 - 1,678.00 retainage = 15,102.00; 13% HST = 1,963.26.
    assert mapping.document_total(bill) == Decimal("15102.00")
    assert amount(bill["TxnTaxDetail"]["TotalTax"]) == Decimal("1963.26")
    assert amount(bill["TotalAmt"]) == Decimal("17065.26")
    assert connector.find_exported(invoice, None).erp_id == bill["Id"]

    change_order = make_change_order(
        commitment=commitment, number="001", lines=[(cost_codes["Painting"], "1000.00")]
    )
    connector.export(change_order, idempotency_key="cco-1")
    (order,) = qbo_sandbox.entities("PurchaseOrder", realm_id=REALM)
    assert (
        order["Line"][-1]["ItemBasedExpenseLineDetail"]["TaxCodeRef"]["value"]
        == (canadian_company["HST ON"])
    )
    # (71,837.50 + 1,000.00) x 13% = 9,468.875 -> 9,468.88.
    assert amount(order["TotalAmt"]) == Decimal("72837.50") + Decimal("9468.88")


def test_without_a_tax_code_nothing_is_sent_and_the_sentence_says_what_to_set(
    qbo_sandbox, connection, connector, commitment, canadian_company, cost_codes
):
    choose_tax_codes(connection, None, **{cost_codes["Painting"].erp_id: canadian_company["GST"]})
    qbo_sandbox.clear_request_log()

    with pytest.raises(ExportRefused) as refused:
        connector.export(commitment, idempotency_key="commitment-1")

    assert str(refused.value) == (
        "The QuickBooks Online company is in CA, where every line needs a purchase tax code, "
        "and none is chosen for cost code '09-100 Gypsum board'. Choose a default purchase tax "
        "code (or one per cost code) on the QuickBooks Online connection page, then export again."
    )
    assert writes(qbo_sandbox, "PurchaseOrder") == []


def test_a_usd_commitment_on_a_cad_company_without_multicurrency_is_refused(
    qbo_sandbox, connection, connector, commitment, canadian_company
):
    choose_tax_codes(connection, canadian_company["HST ON"])
    commitment.currency = "USD"
    commitment.save(update_fields=["currency"])

    with pytest.raises(ExportRefused, match="is in USD, but the QuickBooks Online company keeps"):
        connector.export(commitment, idempotency_key="commitment-1")

    assert qbo_sandbox.entities("PurchaseOrder", realm_id=REALM) == []


@pytest.mark.parametrize("canadian_company", [True], indirect=True)
def test_with_multicurrency_a_usd_commitment_goes_to_a_usd_vendor_only(
    qbo_sandbox, connection, connector, commitment, canadian_company
):
    choose_tax_codes(connection, canadian_company["GST"])
    commitment.currency = "USD"
    commitment.save(update_fields=["currency"])

    with pytest.raises(ExportRefused, match="vendor 'Northern Drywall' is kept in CAD"):
        connector.export(commitment, idempotency_key="commitment-1")

    usd_vendor = qbo_sandbox.create_entity(
        "Vendor", {"DisplayName": "Yankee Steel", "CurrencyRef": {"value": "USD"}}, REALM
    )
    commitment.vendor = make_company(
        erp_connection=linking_connection(), name="Yankee Steel", erp_id=usd_vendor["Id"]
    )
    commitment.save(update_fields=["vendor"])
    connector.export(commitment, idempotency_key="commitment-2")

    (order,) = qbo_sandbox.entities("PurchaseOrder", realm_id=REALM)
    assert order["CurrencyRef"]["value"] == "USD"
    # 5% GST on 71,837.50 = 3,591.875 -> 3,591.88.
    assert amount(order["TotalAmt"]) == Decimal("71837.50") + Decimal("3591.88")
