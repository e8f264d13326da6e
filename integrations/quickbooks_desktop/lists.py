"""QuickBooks Desktop's lists as the workflow keeps them (pure: qbXML …Ret elements in, typed
data of integrations.data out).

Customers and jobs share one list: a job is a customer with a parent (its FullName is
"Customer:Job"). Items usable as cost codes are those a purchase line can post to an expense
account: service, non-inventory and other-charge items. Every child of a …Ret is optional in
the schema, so a missing one reads as empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from lxml import etree

from integrations.data import ImportedCostCode, ImportedCustomer, ImportedJob, ImportedVendor
from integrations.quickbooks_desktop.qbxml import ret_text
from integrations.quickbooks_desktop.xml import local_name

COST_CODE_ITEMS = ("ItemServiceRet", "ItemNonInventoryRet", "ItemOtherChargeRet")
# A leading cost-code number in an item name: "09-2900 Drywall", "03 30 00 Concrete".
_LEADING_CODE = re.compile(r"^\s*(?P<code>\d[\d.\-\s]*\d|\d)\s+[-\u2013]?\s*(?P<name>\S.*)$")


@dataclass(frozen=True)
class Item:
    """An item and the account its purchase lines post to ("" when it names none)."""

    list_id: str
    full_name: str
    account_list_id: str


@dataclass(frozen=True)
class Account:
    list_id: str
    full_name: str
    account_type: str
    account_number: str
    is_active: bool


def _is_active(ret: etree._Element) -> bool:
    return ret_text(ret, "IsActive") != "false"


def _money(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def vendor(ret: etree._Element) -> ImportedVendor:
    return ImportedVendor(
        erp_id=ret_text(ret, "ListID"),
        version=ret_text(ret, "EditSequence"),
        display_name=ret_text(ret, "Name"),
        company_name=ret_text(ret, "CompanyName"),
        tax_id=ret_text(ret, "VendorTaxIdent"),
        email=ret_text(ret, "Email"),
        phone=ret_text(ret, "Phone"),
        address_line1=ret_text(ret, "VendorAddress", "Addr1"),
        city=ret_text(ret, "VendorAddress", "City"),
        region=ret_text(ret, "VendorAddress", "State"),
        postal_code=ret_text(ret, "VendorAddress", "PostalCode"),
        country=ret_text(ret, "VendorAddress", "Country"),
        is_active=_is_active(ret),
        open_balance=_money(ret_text(ret, "Balance")),
    )


def _address(ret: etree._Element) -> str:
    parts = [ret_text(ret, "BillAddress", name) for name in ("Addr1", "City", "State")]
    return ", ".join(part for part in parts if part)


def customer_or_job(ret: etree._Element, *, customer_type: str = "") -> list:
    """A job (a customer with a parent), or a top-level customer a job may go under: only
    those of `customer_type` when one is set, matched as people type it (case aside)."""
    list_id = ret_text(ret, "ListID")
    parent_id = ret_text(ret, "ParentRef", "ListID")
    if parent_id:
        return [
            ImportedJob(
                erp_id=list_id,
                version=ret_text(ret, "EditSequence"),
                display_name=ret_text(ret, "Name"),
                fully_qualified_name=ret_text(ret, "FullName"),
                parent_erp_id=parent_id,
                parent_name=ret_text(ret, "ParentRef", "FullName"),
                address=_address(ret),
                is_active=_is_active(ret),
            )
        ]
    wanted = customer_type.strip().casefold()
    if wanted and ret_text(ret, "CustomerTypeRef", "FullName").casefold() != wanted:
        return []
    return [
        ImportedCustomer(
            erp_id=list_id, display_name=ret_text(ret, "Name"), is_active=_is_active(ret)
        )
    ]


def split_cost_code(item_name: str) -> tuple[str, str]:
    """(code, name) of an item named "09-2900 Drywall"; the whole name twice when it starts
    with no number."""
    item_name = " ".join(item_name.split())
    found = _LEADING_CODE.match(item_name)
    if found and len(found["code"]) <= 30:
        return found["code"].strip(), found["name"].strip()[:100]
    return item_name[:30], item_name[:100]


def cost_code(ret: etree._Element) -> list[ImportedCostCode]:
    """The item as a standard cost code, when it is of a kind a purchase line posts to."""
    if local_name(ret) not in COST_CODE_ITEMS:
        return []
    code, name = split_cost_code(ret_text(ret, "Name"))
    return [
        ImportedCostCode(
            erp_id=ret_text(ret, "ListID"),
            version=ret_text(ret, "EditSequence"),
            code=code,
            name=name,
            is_active=_is_active(ret),
        )
    ]


def account(ret: etree._Element) -> Account:
    return Account(
        list_id=ret_text(ret, "ListID"),
        full_name=ret_text(ret, "FullName") or ret_text(ret, "Name"),
        account_type=ret_text(ret, "AccountType"),
        account_number=ret_text(ret, "AccountNumber"),
        is_active=_is_active(ret),
    )


def item(ret: etree._Element) -> Item:
    """Any …Ret of an item query: a purchase posts to the expense account of an item bought
    and sold, or to the one account of an item that is either."""
    return Item(
        list_id=ret_text(ret, "ListID"),
        full_name=ret_text(ret, "FullName") or ret_text(ret, "Name"),
        account_list_id=ret_text(ret, "SalesAndPurchase", "ExpenseAccountRef", "ListID")
        or ret_text(ret, "SalesOrPurchase", "AccountRef", "ListID"),
    )
