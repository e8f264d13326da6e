"""Where the company is: its country, home currency, multicurrency and (outside the US) its tax
codes, and the purchase tax QuickBooks computes on transactions of a non-US company.

A US company keeps purchase lines tax-free (`TaxCodeRef` NON) and has no TxnTaxDetail on
purchases; `GlobalTaxCalculation` is "not applicable to US companies" and is dropped. A Canadian
company books in CAD with the GST/HST codes QuickBooks Online Canada starts with: every line
needs a `TaxCodeRef` unless the transaction is `NotApplicable`, and QuickBooks works out
`TxnTaxDetail` and `TotalAmt` from the lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from . import faults
from .fields import choice, used_by_transaction
from .records import Prepared, Unit

CENT = Decimal("0.01")
CURRENCY_NAMES = {
    "USD": "United States Dollar",
    "CAD": "Canadian Dollar",
    "EUR": "Euro",
    "GBP": "British Pound Sterling",
}
HOME_CURRENCY = {"US": "USD", "CA": "CAD"}
TAX_CALCULATIONS = ("TaxExcluded", "TaxInclusive", "NotApplicable")
MISSING_TAX_CODE = "Make sure all your transactions have a GST/HST rate before you save."

# (name, sales rate, purchase rate): QuickBooks Online Canada's starting codes; purchase rates
# are the input tax credit ("ITC") side of each code.
CANADIAN_TAX_CODES = (
    ("GST", ("GST", "5"), ("GST (ITC)", "5")),
    ("HST ON", ("HST ON", "13"), ("HST (ITC) ON", "13")),
    ("Exempt", ("Exempt", "0"), ("Exempt (ITC)", "0")),
    ("Zero-rated", ("Zero-rated", "0"), ("Zero-rated (ITC)", "0")),
)


@dataclass(frozen=True)
class Locale:
    country: str
    home_currency: str
    multicurrency: bool

    @property
    def uses_purchase_tax(self) -> bool:
        return self.country != "US"


def currency_ref(code: str) -> dict:
    return {"value": code, "name": CURRENCY_NAMES.get(code, code)}


def preferences_for(country: str, multicurrency: bool) -> dict:
    return {
        "AccountingInfoPrefs": {
            "TrackDepartments": False,
            "ClassTrackingPerTxn": False,
            "ClassTrackingPerTxnLine": False,
            "CustomerTerminology": "Customers",
        },
        "CurrencyPrefs": {
            "MultiCurrencyEnabled": multicurrency,
            "HomeCurrency": {"value": HOME_CURRENCY[country]},
        },
        "VendorAndPurchasesPrefs": {"BillableExpenseTracking": True, "TrackingByCustomer": True},
        "TaxPrefs": {"UsingSalesTax": True},
    }


def seed_tax_codes(unit: Unit) -> None:
    """The TaxRate and TaxCode lists of a new Canadian company (read-only through the API)."""
    for code_name, sales, purchase in CANADIAN_TAX_CODES:
        rate_lists = {}
        for list_name, (rate_name, value) in (
            ("SalesTaxRateList", sales),
            ("PurchaseTaxRateList", purchase),
        ):
            rate_id = unit.next_id()
            rate = {
                "Name": rate_name,
                "Description": rate_name,
                "Active": True,
                "RateValue": Decimal(value),
                "SpecialTaxType": "NONE" if Decimal(value) else "ZERO_RATE",
                "DisplayType": "ReadOnly",
            }
            unit.insert("TaxRate", rate_id, Prepared(rate))
            rate_lists[list_name] = {
                "TaxRateDetail": [
                    {
                        "TaxRateRef": {"value": str(rate_id), "name": rate_name},
                        "TaxTypeApplicable": "TaxOnAmount",
                        "TaxOrder": 0,
                    }
                ]
            }
        code = {
            "Name": code_name,
            "Description": code_name,
            "Active": True,
            "Taxable": bool(Decimal(sales[1])),
            "TaxGroup": True,
            **rate_lists,
        }
        unit.insert("TaxCode", unit.next_id(), Prepared(code))


def locale(unit: Unit) -> Locale:
    infos = unit.all_live("CompanyInfo")
    country = infos[0].data.get("Country", "US") if infos else "US"
    preferences = unit.all_live("Preferences")
    currency_prefs = preferences[0].data.get("CurrencyPrefs", {}) if preferences else {}
    home = (currency_prefs.get("HomeCurrency") or {}).get("value") or HOME_CURRENCY.get(
        country, "USD"
    )
    return Locale(country, home, bool(currency_prefs.get("MultiCurrencyEnabled")))


def check_currency(company: Locale, currency: str, *, party_currency: str | None = None) -> None:
    """A company books only its home currency unless multicurrency is on, and a transaction is
    in its vendor's currency."""
    if currency != company.home_currency and not company.multicurrency:
        raise faults.business_rule(
            f"Multicurrency is not turned on for this company, so it can only use its home "
            f"currency {company.home_currency}. Supplied value:{currency}"
        )
    if party_currency is not None and currency != party_currency:
        raise faults.business_rule("You can only use one foreign currency per transaction.")


def transaction_currency(unit: Unit, data: dict) -> tuple[Locale, dict]:
    company = locale(unit)
    ref = data.get("CurrencyRef")
    code = ref.get("value") if isinstance(ref, dict) else None
    return company, currency_ref(str(code or company.home_currency).upper())


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, ROUND_HALF_UP)


def _line_tax_code(unit: Unit, line: dict, required: bool) -> dict | None:
    detail_type = line["DetailType"]
    ref = line[detail_type].get("TaxCodeRef")
    if ref is None:
        if required:
            raise faults.business_rule(MISSING_TAX_CODE)
        return None
    code = used_by_transaction(unit, ref, f"Line.{detail_type}.TaxCodeRef", "TaxCode")
    return code.data


def purchase_tax(unit: Unit, stored: dict, company: Locale) -> Decimal:
    """Fill `GlobalTaxCalculation`, the lines' `TaxCodeRef` and `TxnTaxDetail` as QuickBooks
    does; the tax the transaction total adds to its lines (0 when lines include it)."""
    if not company.uses_purchase_tax:
        stored.pop("GlobalTaxCalculation", None)
        stored.pop("TxnTaxDetail", None)
        for line in stored["Line"]:
            line[line["DetailType"]].setdefault("TaxCodeRef", {"value": "NON"})
        return Decimal(0)
    calculation = choice(stored, "GlobalTaxCalculation", TAX_CALCULATIONS, "TaxExcluded")
    stored["GlobalTaxCalculation"] = calculation
    by_rate: dict[str, tuple[Decimal, Decimal]] = {}
    for line in stored["Line"]:
        detail = line[line["DetailType"]]
        code = _line_tax_code(unit, line, calculation != "NotApplicable")
        if code is None:
            continue
        detail["TaxCodeRef"] = {"value": str(detail["TaxCodeRef"]["value"]).strip()}
        for rate_detail in code["PurchaseTaxRateList"]["TaxRateDetail"]:
            rate_id = rate_detail["TaxRateRef"]["value"]
            percent = unit.live("TaxRate", int(rate_id)).data["RateValue"]
            amount = by_rate.get(rate_id, (Decimal(0), percent))[0]
            by_rate[rate_id] = (amount + line["Amount"], percent)
    if calculation == "NotApplicable":
        stored["TxnTaxDetail"] = {"TotalTax": Decimal("0.00")}
        return Decimal(0)
    tax_lines = []
    for rate_id, (amount, percent) in by_rate.items():
        if calculation == "TaxInclusive":
            net = _cents(amount * 100 / (100 + percent))
            tax = amount - net
        else:
            net = amount
            tax = _cents(amount * percent / 100)
        tax_lines.append(
            {
                "Amount": tax,
                "DetailType": "TaxLineDetail",
                "TaxLineDetail": {
                    "TaxRateRef": {"value": rate_id},
                    "PercentBased": True,
                    "TaxPercent": percent,
                    "NetAmountTaxable": net,
                },
            }
        )
    total_tax = sum((line["Amount"] for line in tax_lines), Decimal("0.00"))
    stored["TxnTaxDetail"] = {"TotalTax": total_tax, "TaxLine": tax_lines}
    return Decimal(0) if calculation == "TaxInclusive" else total_tax
