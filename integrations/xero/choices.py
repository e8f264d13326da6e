"""The choices an administrator makes for the connected Xero organisation, kept in
ERPConnection.settings, each offered from the organisation's own lists:

- "tracking_category_id" / "tracking_category_name": the tracking category whose options are
  our projects (or a new one named "Project", made on saving);
- "retainage_account_code": the liability account retainage is held on;
- "item_account_code": the expense account of the items our cost codes become;
- "tax_type": the default tax rate of purchase lines; "retainage_tax_type" that of retainage
  lines; "tax_types_by_cost_code" ({cost code id: tax type}) where a cost code differs;
- "line_amount_types": whether our amounts are before tax (Exclusive), include it (Inclusive)
  or carry none (NoTax);
- "bill_status": bills are sent as DRAFT or AUTHORISED;
- "purchase_orders": whether commitments become purchase orders (on by default).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from approvals.models import CostCode
from integrations.models import ERPConnection
from integrations.xero.client import XeroClient
from integrations.xero.organisation import PROJECT_CATEGORY_NAME

NEW_CATEGORY = "new"
LINE_AMOUNT_TYPES = (
    ("Exclusive", "Amounts are before tax (Xero adds the tax)"),
    ("Inclusive", "Amounts include tax"),
    ("NoTax", "No tax"),
)
BILL_STATUSES = (
    ("AUTHORISED", "Approved (AUTHORISED): ready to pay"),
    ("DRAFT", "Draft: approved again in Xero"),
)
DEFAULTS = {"line_amount_types": "Exclusive", "bill_status": "AUTHORISED", "purchase_orders": True}
LIABILITY_TYPES = {"CURRLIAB", "LIABILITY", "TERMLIAB", "NONCURRENT"}
EXPENSE_TYPES = {"DIRECTCOSTS", "EXPENSE", "OVERHEADS"}


class ChoiceRefused(Exception):
    """A choice the organisation does not offer (the page was stale, say)."""


@dataclass
class Options:
    categories: list[tuple[str, str]] = field(default_factory=list)
    liability_accounts: list[tuple[str, str]] = field(default_factory=list)
    expense_accounts: list[tuple[str, str]] = field(default_factory=list)
    expense_tax_rates: list[tuple[str, str]] = field(default_factory=list)
    liability_tax_rates: list[tuple[str, str]] = field(default_factory=list)
    line_amount_types: tuple = LINE_AMOUNT_TYPES
    bill_statuses: tuple = BILL_STATUSES


def setting(connection: ERPConnection, name: str):
    return (connection.settings or {}).get(name, DEFAULTS.get(name, ""))


def read(client: XeroClient) -> Options:
    """The organisation's active tracking categories, accounts and tax rates to choose from."""
    categories = client.get("TrackingCategories")["TrackingCategories"]
    accounts = client.get("Accounts", params={"where": 'Status=="ACTIVE"'})["Accounts"]
    rates = client.get("TaxRates")["TaxRates"]

    def account(entry):
        return (str(entry["Code"]), f"{entry['Code']} {entry['Name']}")

    def rate(entry):
        return (str(entry["TaxType"]), f"{entry['Name']} ({entry.get('EffectiveRate', 0)}%)")

    active_rates = [r for r in rates if r.get("Status") == "ACTIVE"]
    return Options(
        categories=[
            (str(c["TrackingCategoryID"]), str(c["Name"]))
            for c in categories
            if c.get("Status") == "ACTIVE"
        ],
        liability_accounts=[
            account(a) for a in accounts if a.get("Type") in LIABILITY_TYPES and a.get("Code")
        ],
        expense_accounts=[
            account(a) for a in accounts if a.get("Type") in EXPENSE_TYPES and a.get("Code")
        ],
        expense_tax_rates=[rate(r) for r in active_rates if r.get("CanApplyToExpenses")],
        liability_tax_rates=[rate(r) for r in active_rates if r.get("CanApplyToLiabilities")],
    )


def save(connection: ERPConnection, client: XeroClient, form) -> str:
    """Check each choice against what the organisation offers, then keep them all at once."""
    options = read(client)
    chosen = {
        "retainage_account_code": _one_of(
            form, "retainage_account_code", options.liability_accounts, "retainage account"
        ),
        "item_account_code": _one_of(
            form, "item_account_code", options.expense_accounts, "expense account of items"
        ),
        "tax_type": _one_of(form, "tax_type", options.expense_tax_rates, "default tax rate"),
        "retainage_tax_type": _one_of(
            form, "retainage_tax_type", options.liability_tax_rates, "tax rate of retainage"
        ),
        "line_amount_types": _one_of(
            form, "line_amount_types", LINE_AMOUNT_TYPES, "way amounts carry tax"
        ),
        "bill_status": _one_of(form, "bill_status", BILL_STATUSES, "status of bills"),
        "purchase_orders": form.get("purchase_orders") == "on",
        "tax_types_by_cost_code": _tax_types_by_cost_code(connection, form, options),
    }
    category = form.get("tracking_category_id", "")
    if category == NEW_CATEGORY:
        chosen["tracking_category_id"], chosen["tracking_category_name"] = _project_category(
            client, options
        )
    else:
        names = dict(options.categories)
        if category not in names:
            raise ChoiceRefused(
                "choose the tracking category of projects among the organisation's active "
                f"ones, or have one named '{PROJECT_CATEGORY_NAME}' made."
            )
        chosen["tracking_category_id"], chosen["tracking_category_name"] = category, names[category]
    connection.settings = {**(connection.settings or {}), **chosen}
    ERPConnection.objects.filter(pk=connection.pk).update(settings=connection.settings)
    return (
        f"Saved: projects are options of the tracking category "
        f"'{chosen['tracking_category_name']}'."
    )


def cost_codes(connection: ERPConnection):
    """The cost codes linked to the organisation's items, each of which may have its own rate."""
    return CostCode.objects.filter(erp_connection=connection, is_active=True).exclude(erp_id="")


def _tax_types_by_cost_code(connection: ERPConnection, form, options: Options) -> dict[str, str]:
    """{cost code id: tax type} where a cost code's lines take another rate than the default."""
    offered = {key for key, _ in options.expense_tax_rates}
    chosen = {}
    for code in cost_codes(connection):
        value = form.get(f"tax_type_{code.pk}", "")
        if value and value not in offered:
            raise ChoiceRefused(f"choose the tax rate of cost code '{code}' among those listed.")
        if value:
            chosen[str(code.pk)] = value
    return chosen


def _one_of(form, name: str, offered, what: str) -> str:
    value = form.get(name, "")
    if value not in {key for key, _ in offered}:
        raise ChoiceRefused(f"choose the {what} among those listed (reload the page).")
    return value


def _project_category(client: XeroClient, options: Options) -> tuple[str, str]:
    """The active category named "Project", made when the organisation has none."""
    for category_id, name in options.categories:
        if name.strip().casefold() == PROJECT_CATEGORY_NAME.casefold():
            return category_id, name
    created = client.create(
        "TrackingCategories",
        {"Name": PROJECT_CATEGORY_NAME},
        idempotency_key=f"tracking-category-{client.tenant_id}",
    )["TrackingCategories"][0]
    return str(created["TrackingCategoryID"]), str(created["Name"])
