"""A Canadian company: CAD, GST/HST tax codes, purchase tax computed by QuickBooks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from .conftest import CompanyAPI, expense_line, json_of
from .test_name_lists import error_of

CANADIAN_REALM = "9341453050000077"


def canadian_api(qbo_sandbox, *, multicurrency: bool = False) -> CompanyAPI:
    qbo_sandbox.add_company(
        CANADIAN_REALM, "Maple Builders Ltd", country="CA", multicurrency=multicurrency
    )
    token = qbo_sandbox.issue_tokens(CANADIAN_REALM)["access_token"]
    return CompanyAPI(qbo_sandbox, token, CANADIAN_REALM)


@pytest.fixture
def canada(qbo_sandbox) -> CompanyAPI:
    return canadian_api(qbo_sandbox)


def tax_codes(api: CompanyAPI) -> dict[str, dict]:
    response = api.query("SELECT * FROM TaxCode")
    return {code["Name"]: code for code in json_of(response)["QueryResponse"]["TaxCode"]}


def account_id(api: CompanyAPI, name: str) -> str:
    response = api.query(f"SELECT * FROM Account WHERE Name = '{name}'")
    return json_of(response)["QueryResponse"]["Account"][0]["Id"]


def taxed_line(api, amount, code: dict | None) -> dict:
    detail = {"TaxCodeRef": {"value": code["Id"]}} if code else {}
    return expense_line(amount, account_id(api, "Job Materials"), **detail)


def test_company_info_and_preferences_say_canada_and_cad(canada):
    info = json_of(canada.get(f"companyinfo/{CANADIAN_REALM}"))["CompanyInfo"]
    prefs = json_of(canada.get("preferences"))["Preferences"]
    assert info["Country"] == "CA"
    assert prefs["CurrencyPrefs"] == {
        "MultiCurrencyEnabled": False,
        "HomeCurrency": {"value": "CAD"},
    }
    assert prefs["TaxPrefs"]["UsingSalesTax"] is True


def test_tax_codes_point_at_their_purchase_rates(canada):
    codes = tax_codes(canada)
    assert set(codes) == {"GST", "HST ON", "Exempt", "Zero-rated"}
    [detail] = codes["HST ON"]["PurchaseTaxRateList"]["TaxRateDetail"]
    rate = json_of(canada.get(f"taxrate/{detail['TaxRateRef']['value']}"))["TaxRate"]
    assert (rate["Name"], rate["RateValue"]) == ("HST (ITC) ON", Decimal("13"))
    assert canada.post("taxcode", {"Name": "Mine"}).status_code == 400


def test_tax_excluded_bill_adds_tax_per_rate_to_the_cent(canada):
    codes = tax_codes(canada)
    vendor = canada.create("Vendor", {"DisplayName": "Northern Drywall"})
    assert vendor["CurrencyRef"]["value"] == "CAD"
    bill = canada.create(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "GlobalTaxCalculation": "TaxExcluded",
            "Line": [
                taxed_line(canada, "1000.05", codes["HST ON"]),
                taxed_line(canada, "200.10", codes["GST"]),
                taxed_line(canada, "50.00", codes["Exempt"]),
            ],
        },
    )
    # HST 13% of 1000.05 = 130.0065 -> 130.01; GST 5% of 200.10 = 10.005 -> 10.01.
    assert bill["TxnTaxDetail"]["TotalTax"] == Decimal("140.02")
    assert bill["TotalAmt"] == Decimal("1390.17")
    assert bill["Balance"] == Decimal("1390.17")
    assert bill["CurrencyRef"] == {"value": "CAD", "name": "Canadian Dollar"}
    nets = sorted(
        line["TaxLineDetail"]["NetAmountTaxable"] for line in bill["TxnTaxDetail"]["TaxLine"]
    )
    assert nets == [Decimal("50.00"), Decimal("200.10"), Decimal("1000.05")]


def test_tax_inclusive_lines_hold_the_tax(canada):
    codes = tax_codes(canada)
    vendor = canada.create("Vendor", {"DisplayName": "Northern Drywall"})
    order = canada.create(
        "PurchaseOrder",
        {
            "VendorRef": {"value": vendor["Id"]},
            "GlobalTaxCalculation": "TaxInclusive",
            "Line": [taxed_line(canada, "113.00", codes["HST ON"])],
        },
    )
    assert order["TotalAmt"] == Decimal("113.00")
    assert order["TxnTaxDetail"]["TotalTax"] == Decimal("13.00")


def test_a_line_without_a_tax_code_is_refused(canada):
    codes = tax_codes(canada)
    vendor = canada.create("Vendor", {"DisplayName": "Northern Drywall"})
    payload = {
        "VendorRef": {"value": vendor["Id"]},
        "Line": [taxed_line(canada, 10, codes["GST"]), taxed_line(canada, 10, None)],
    }
    error = error_of(canada.post("bill", payload))
    assert error["code"] == "6000"
    assert "GST/HST rate" in error["Detail"]
    payload["Line"][1] = expense_line(
        10, account_id(canada, "Job Materials"), TaxCodeRef={"value": "999"}
    )
    unknown = error_of(canada.post("bill", payload))
    assert (unknown["code"], unknown["element"]) == (
        "2500",
        "Line.AccountBasedExpenseLineDetail.TaxCodeRef",
    )


def test_a_foreign_currency_needs_multicurrency_and_the_vendors_currency(canada, qbo_sandbox):
    codes = tax_codes(canada)
    vendor = canada.create("Vendor", {"DisplayName": "Northern Drywall"})
    payload = {
        "VendorRef": {"value": vendor["Id"]},
        "CurrencyRef": {"value": "USD"},
        "Line": [taxed_line(canada, 10, codes["GST"])],
    }
    error = error_of(canada.post("bill", payload))
    assert "Multicurrency is not turned on" in error["Detail"]
    assert "USD" in error["Detail"]
    refused_vendor = canada.post(
        "vendor", {"DisplayName": "Yankee Steel", "CurrencyRef": {"value": "USD"}}
    )
    assert error_of(refused_vendor)["code"] == "6000"


def test_with_multicurrency_the_vendors_currency_is_allowed(qbo_sandbox):
    api = canadian_api(qbo_sandbox, multicurrency=True)
    codes = tax_codes(api)
    cad_vendor = api.create("Vendor", {"DisplayName": "Northern Drywall"})
    usd_vendor = api.create(
        "Vendor", {"DisplayName": "Yankee Steel", "CurrencyRef": {"value": "USD"}}
    )
    line = taxed_line(api, 10, codes["GST"])
    bill = api.create(
        "Bill",
        {"VendorRef": {"value": usd_vendor["Id"]}, "CurrencyRef": {"value": "USD"}, "Line": [line]},
    )
    assert bill["CurrencyRef"]["value"] == "USD"
    mismatch = {
        "VendorRef": {"value": cad_vendor["Id"]},
        "CurrencyRef": {"value": "USD"},
        "Line": [line],
    }
    assert "one foreign currency" in error_of(api.post("bill", mismatch))["Detail"]


def test_a_us_company_ignores_global_tax_calculation(api, vendor, accounts):
    bill = api.create(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "GlobalTaxCalculation": "TaxExcluded",
            "Line": [expense_line("100.00", accounts["Job Materials"])],
        },
    )
    assert bill["TotalAmt"] == Decimal("100.00")
    assert "GlobalTaxCalculation" not in bill
    assert "TxnTaxDetail" not in bill
    assert bill["Line"][0]["AccountBasedExpenseLineDetail"]["TaxCodeRef"] == {"value": "NON"}
