"""Organisations as Xero starts them: the Organisation record, a chart of accounts with the
accounts a construction company's bills need, and the country's tax rates.

An Australian organisation (GST 10 %) is the default; a New Zealand (GST 15 %) or United
Kingdom (VAT 20 %) one can be added beside it. Accounts and tax types are those of Xero's
starting charts for each country.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal

from . import wire
from .storage import Unit

DEFAULT_TENANT_ID = "5f3c7d2e-8a41-4c1b-9e0d-6b2a1f4c8e91"
DEFAULT_NAME = "Sandbox Construction Pty Ltd"


@dataclass(frozen=True)
class TaxRateSeed:
    name: str
    tax_type: str
    rate: str
    report_tax_type: str
    expenses: bool  # can be used on purchases (bills, orders, spend money)
    revenue: bool
    component: str


@dataclass(frozen=True)
class Country:
    code: str  # CountryCode
    version: str  # Organisation.Version
    currency: str
    timezone: str
    utc_offset_hours: int
    year_end: tuple[int, int]  # (day, month)
    expense_tax: str  # the default tax type of expense accounts
    exempt_tax: str  # the tax type of accounts outside tax (bank, liabilities)
    address: dict
    tax_rates: tuple[TaxRateSeed, ...]


COUNTRIES = {
    "AU": Country(
        code="AU",
        version="AU",
        currency="AUD",
        timezone="AUSEASTERNSTANDARDTIME",
        utc_offset_hours=10,
        year_end=(30, 6),
        expense_tax="INPUT",
        exempt_tax="BASEXCLUDED",
        address={"AddressLine1": "1 George Street", "City": "Sydney", "Region": "NSW"},
        tax_rates=(
            TaxRateSeed("GST on Expenses", "INPUT", "10", "INPUT", True, False, "GST"),
            TaxRateSeed(
                "GST Free Expenses", "EXEMPTEXPENSES", "0", "EXEMPTEXPENSES", True, False, "GST"
            ),
            TaxRateSeed("GST on Capital", "CAPEXINPUT", "10", "CAPEXINPUT", True, False, "GST"),
            TaxRateSeed("Input Taxed", "INPUTTAXED", "0", "INPUTTAXED", True, True, "GST"),
            TaxRateSeed("BAS Excluded", "BASEXCLUDED", "0", "BASEXCLUDED", True, True, "GST"),
            TaxRateSeed("GST on Income", "OUTPUT", "10", "OUTPUT", False, True, "GST"),
            TaxRateSeed("GST Free Income", "EXEMPTOUTPUT", "0", "EXEMPTOUTPUT", False, True, "GST"),
        ),
    ),
    "NZ": Country(
        code="NZ",
        version="NZ",
        currency="NZD",
        timezone="NEWZEALANDSTANDARDTIME",
        utc_offset_hours=12,
        year_end=(31, 3),
        expense_tax="INPUT2",
        exempt_tax="NONE",
        address={"AddressLine1": "1 Queen Street", "City": "Auckland"},
        tax_rates=(
            TaxRateSeed("15% GST on Expenses", "INPUT2", "15", "INPUT", True, False, "GST"),
            TaxRateSeed("Zero Rated", "ZERORATED", "0", "NONE", True, True, "GST"),
            TaxRateSeed("No GST", "NONE", "0", "NONE", True, True, "GST"),
            TaxRateSeed("15% GST on Income", "OUTPUT2", "15", "OUTPUT", False, True, "GST"),
        ),
    ),
    "GB": Country(
        code="GB",
        version="UK",
        currency="GBP",
        timezone="GMTSTANDARDTIME",
        utc_offset_hours=0,
        year_end=(31, 3),
        expense_tax="INPUT2",
        exempt_tax="NONE",
        address={"AddressLine1": "1 High Street", "City": "London"},
        tax_rates=(
            TaxRateSeed("20% (VAT on Expenses)", "INPUT2", "20", "INPUT", True, False, "VAT"),
            TaxRateSeed("5% (VAT on Expenses)", "RRINPUT", "5", "INPUT", True, False, "VAT"),
            TaxRateSeed(
                "Zero Rated Expenses", "ZERORATEDINPUT", "0", "ZERORATEDINPUT", True, False, "VAT"
            ),
            TaxRateSeed("Exempt Expenses", "EXEMPTINPUT", "0", "EXEMPTINPUT", True, False, "VAT"),
            TaxRateSeed("No VAT", "NONE", "0", "NONE", True, True, "VAT"),
            TaxRateSeed("20% (VAT on Income)", "OUTPUT2", "20", "OUTPUT", False, True, "VAT"),
        ),
    ),
}
COUNTRY_ALIASES = {"UK": "GB"}

# (Code, Name, Type, Class, tax: "expense" | "exempt" | "revenue", extra fields)
CHART = (
    (
        "090",
        "Business Bank Account",
        "BANK",
        "ASSET",
        "exempt",
        {"BankAccountNumber": "062-000 12345678", "BankAccountType": "BANK"},
    ),
    ("200", "Sales", "REVENUE", "REVENUE", "revenue", {}),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "EXPENSE", "expense", {}),
    ("320", "Subcontractors", "DIRECTCOSTS", "EXPENSE", "expense", {}),
    ("330", "Materials", "DIRECTCOSTS", "EXPENSE", "expense", {}),
    ("429", "General Expenses", "EXPENSE", "EXPENSE", "expense", {}),
    ("473", "Repairs and Maintenance", "EXPENSE", "EXPENSE", "expense", {}),
    ("499", "Old Site Costs", "EXPENSE", "EXPENSE", "expense", {"Status": "ARCHIVED"}),
    ("610", "Accounts Receivable", "CURRENT", "ASSET", "exempt", {"SystemAccount": "DEBTORS"}),
    ("800", "Accounts Payable", "CURRLIAB", "LIABILITY", "exempt", {"SystemAccount": "CREDITORS"}),
    ("820", "Sales Tax", "CURRLIAB", "LIABILITY", "exempt", {"SystemAccount": "GST"}),
    ("830", "Retentions Payable", "CURRLIAB", "LIABILITY", "exempt", {}),
)
ACCOUNT_CLASSES = {
    "BANK": "ASSET",
    "CURRENT": "ASSET",
    "FIXED": "ASSET",
    "INVENTORY": "ASSET",
    "NONCURRENT": "ASSET",
    "PREPAYMENT": "ASSET",
    "DEPRECIATN": "EXPENSE",
    "DIRECTCOSTS": "EXPENSE",
    "EXPENSE": "EXPENSE",
    "OVERHEADS": "EXPENSE",
    "EQUITY": "EQUITY",
    "CURRLIAB": "LIABILITY",
    "LIABILITY": "LIABILITY",
    "TERMLIAB": "LIABILITY",
    "PAYG": "LIABILITY",
    "OTHERINCOME": "REVENUE",
    "REVENUE": "REVENUE",
    "SALES": "REVENUE",
}


def country_of(code: str) -> Country:
    key = COUNTRY_ALIASES.get(code.upper(), code.upper())
    if key not in COUNTRIES:
        names = ", ".join(sorted(COUNTRIES))
        raise ValueError(f"Organisations can be in {names} (UK for GB), not {code}.")
    return COUNTRIES[key]


def organisation_record(tenant_id: str, name: str, country: Country) -> dict:
    day, month = country.year_end
    return {
        "OrganisationID": tenant_id,
        "APIKey": "",
        "Name": name,
        "LegalName": name,
        "PaysTax": True,
        "Version": country.version,
        "OrganisationType": "COMPANY",
        "BaseCurrency": country.currency,
        "CountryCode": country.code,
        "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE",
        "FinancialYearEndDay": day,
        "FinancialYearEndMonth": month,
        "SalesTaxBasis": "ACCRUALS",
        "SalesTaxPeriod": "QUARTERLY1",
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": wire.ms_datetime(wire.now_ms()),
        "Timezone": country.timezone,
        "OrganisationEntityType": "COMPANY",
        "ShortCode": "!" + tenant_id[:5],
        "Edition": "BUSINESS",
        "Class": "STANDARD",
        "LineOfBusiness": "Construction",
        "Addresses": [{"AddressType": "STREET", **country.address}],
        "Phones": [],
        "ExternalLinks": [],
        "PaymentTerms": {},
    }


def tax_rate_record(seed: TaxRateSeed) -> dict:
    rate = Decimal(seed.rate).quantize(Decimal("0.0001"))
    return {
        "Name": seed.name,
        "TaxType": seed.tax_type,
        "ReportTaxType": seed.report_tax_type,
        "CanApplyToAssets": seed.expenses,
        "CanApplyToEquity": seed.expenses and seed.revenue,
        "CanApplyToExpenses": seed.expenses,
        "CanApplyToLiabilities": seed.expenses and seed.revenue,
        "CanApplyToRevenue": seed.revenue,
        "DisplayTaxRate": rate,
        "EffectiveRate": rate,
        "Status": "ACTIVE",
        "TaxComponents": [
            {"Name": seed.component, "Rate": rate, "IsCompound": False, "IsNonRecoverable": False}
        ],
    }


def account_record(country: Country, code, name, type_, class_, tax, extra) -> dict:
    tax_type = {
        "expense": country.expense_tax,
        "exempt": country.exempt_tax,
        "revenue": next(rate.tax_type for rate in country.tax_rates if not rate.expenses),
    }[tax]
    account = {
        "AccountID": str(uuid.uuid4()),
        "Code": code,
        "Name": name,
        "Type": type_,
        "Status": "ACTIVE",
        "Description": "",
        "TaxType": tax_type,
        "Class": class_,
        "EnablePaymentsToAccount": False,
        "ShowInExpenseClaims": class_ == "EXPENSE",
        "ReportingCode": "",
        "ReportingCodeName": "",
        "HasAttachments": False,
        "AddToWatchlist": False,
        **extra,
    }
    if type_ == "BANK":
        account["CurrencyCode"] = country.currency
    return account


def create_organisation(unit: Unit, name: str, country_code: str) -> None:
    """Store a new organisation (tenant) with its chart of accounts and tax rates."""
    country = country_of(country_code)
    (seq,) = unit.conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM organisation").fetchone()
    unit.conn.execute(
        "INSERT INTO organisation (tenant_id, seq, data) VALUES (?, ?, ?)",
        (
            unit.tenant_id,
            seq,
            json.dumps(organisation_record(unit.tenant_id, name, country)),
        ),
    )
    for seed in country.tax_rates:
        unit.save("TaxRate", seed.tax_type, tax_rate_record(seed))
    for code, account_name, type_, class_, tax, extra in CHART:
        account = account_record(country, code, account_name, type_, class_, tax, extra)
        unit.save("Account", account["AccountID"], account)


def utc_offset_hours(organisation: dict) -> int:
    return country_of(organisation["CountryCode"]).utc_offset_hours
