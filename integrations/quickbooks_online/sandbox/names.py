"""Name-list entities: Customer (and jobs), Vendor, Item, Account, Class.

Each `prepare_*` turns a request body into what is stored, or raises the QuickBooks fault.
Name lists are never deleted, only made inactive.
"""

from __future__ import annotations

from decimal import Decimal

from . import faults, tax
from .fields import (
    boolean,
    casefold_key,
    check_lengths,
    check_name_characters,
    choice,
    referenced,
    text,
)
from .records import Prepared, Unit
from .storage import Row

PERSON_NAME_FIELDS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
PARTY_CHARACTER_FIELDS = ("DisplayName", *PERSON_NAME_FIELDS, "PrintOnCheckName")
MAX_PARTY_LEVEL = 4  # four levels of jobs under a top-level customer
MAX_LIST_LEVEL = 4  # FullyQualifiedName holds at most five names

CUSTOMER_LIMITS = {
    "DisplayName": 500,
    "Title": 16,
    "GivenName": 100,
    "MiddleName": 100,
    "FamilyName": 100,
    "Suffix": 16,
    "CompanyName": 100,
    "PrintOnCheckName": 110,
    "Notes": 2000,
}
VENDOR_LIMITS = {
    **CUSTOMER_LIMITS,
    "PrintOnCheckName": 100,
    "AcctNum": 100,
    "TaxIdentifier": 20,
}
ADDRESS_LIMITS = {
    "Line1": 500,
    "Line2": 500,
    "Line3": 500,
    "Line4": 500,
    "Line5": 500,
    "City": 255,
    "Country": 255,
    "CountrySubDivisionCode": 255,
    "PostalCode": 30,
}

ITEM_TYPES = ("Service", "NonInventory", "Inventory", "Category", "Group")
ACCOUNT_CLASSIFICATION = {
    "Bank": "Asset",
    "Other Current Asset": "Asset",
    "Fixed Asset": "Asset",
    "Other Asset": "Asset",
    "Accounts Receivable": "Asset",
    "Equity": "Equity",
    "Expense": "Expense",
    "Other Expense": "Expense",
    "Cost of Goods Sold": "Expense",
    "Accounts Payable": "Liability",
    "Credit Card": "Liability",
    "Long Term Liability": "Liability",
    "Other Current Liability": "Liability",
    "Income": "Revenue",
    "Other Income": "Revenue",
}

NAME_KEY_PREFIX = {
    "Customer": "party",
    "Vendor": "party",
    "Item": "item",
    "Account": "account",
    "Class": "class",
}
DUPLICATE_DETAIL = {
    "party": faults.DUPLICATE_NAME_DETAIL,
    "item": "The name supplied already exists. : Another product or service is already using "
    "this name. Please use a different name.",
    "account": "The name supplied already exists. : Another account is already using this name. "
    "Please use a different name.",
    "class": "The name supplied already exists. : Another class is already using this name. "
    "Please use a different name.",
}


def _currency(unit: Unit, data: dict, existing: Row | None) -> dict:
    """Set on create (the home currency unless said otherwise), read-only afterwards."""
    if existing is not None:
        return existing.data["CurrencyRef"]
    company, currency = tax.transaction_currency(unit, data)
    tax.check_currency(company, currency["value"])
    return currency


def _claim_name(unit: Unit, entity: str, name: str, existing: Row | None) -> str:
    prefix = NAME_KEY_PREFIX[entity]
    key = casefold_key(prefix, name)
    owner = unit.name_owner(key)
    if owner is not None and (
        existing is None or (owner.entity, owner.id) != (entity, existing.id)
    ):
        raise faults.duplicate_name(DUPLICATE_DETAIL[prefix])
    return key


def _hierarchy(
    unit: Unit,
    entity: str,
    data: dict,
    existing: Row | None,
    own_name: str,
    max_level: int,
    parent_rule=None,
) -> tuple[Row | None, int, str]:
    """(parent, Level, FullyQualifiedName) for a record that may sit under a parent."""
    parent = referenced(unit, data.get("ParentRef"), "ParentRef", (entity,))
    if parent is None:
        return None, 0, own_name
    if parent_rule is not None:
        parent_rule(parent)
    ancestor = parent
    while ancestor is not None:
        if existing is not None and ancestor.id == existing.id:
            raise faults.business_rule(f"A {entity.lower()} cannot be its own parent.")
        ancestor = unit.live(entity, ancestor.parent_id) if ancestor.parent_id else None
    level = int(parent.data.get("Level", 0)) + 1
    if level > max_level:
        raise faults.business_rule(
            f"{entity} can be nested at most {max_level} levels below the top level."
        )
    return parent, level, f"{parent.data['FullyQualifiedName']}:{own_name}"


def _check_email(data: dict) -> None:
    address = (data.get("PrimaryEmailAddr") or {}).get("Address")
    if not address:
        # An empty address is no address: how an update removes the vendor's email.
        return
    if len(address) > 100:
        raise faults.string_too_long("PrimaryEmailAddr.Address", 100, len(address))
    if "@" not in address or "." not in address:
        raise faults.invalid_value(
            "PrimaryEmailAddr.Address",
            f"Email Address does not conform to the syntax rules of RFC 822. Supplied value:{address}",
        )


def _check_contact_details(data: dict) -> None:
    _check_email(data)
    for phone in ("PrimaryPhone", "AlternatePhone", "Mobile", "Fax"):
        check_lengths(data.get(phone) or {}, {"FreeFormNumber": 30})
    check_lengths(data.get("WebAddr") or {}, {"URI": 1000})
    for address_field in ("BillAddr", "ShipAddr"):
        address = data.get(address_field) or {}
        check_lengths(address, ADDRESS_LIMITS)
        combined = sum(len(address.get(f"Line{n}") or "") for n in range(1, 6))
        if combined > 2000:
            raise faults.string_too_long(f"{address_field}.Line1..5", 2000, combined)


def _display_name(data: dict) -> str:
    display = text(data, "DisplayName")
    if display and display.strip():
        return display
    parts = [data.get(name) for name in PERSON_NAME_FIELDS if data.get(name)]
    if not parts:
        raise faults.required_param("DisplayName")
    return " ".join(str(part) for part in parts)


def _party_basics(unit: Unit, data: dict, limits: dict[str, int]) -> str:
    check_name_characters(data, PARTY_CHARACTER_FIELDS)
    check_lengths(data, limits)
    _check_contact_details(data)
    for address_field in ("BillAddr", "ShipAddr"):
        address = data.get(address_field)
        if isinstance(address, dict) and not address.get("Id"):
            data[address_field] = {**address, "Id": str(unit.next_id())}
    return _display_name(data)


def prepare_customer(unit: Unit, data: dict, existing: Row | None) -> Prepared:
    display = _party_basics(unit, data, CUSTOMER_LIMITS)
    is_job = boolean(data, "Job", False)
    if is_job and not data.get("ParentRef"):
        raise faults.required_param("ParentRef")
    parent, level, qualified = _hierarchy(
        unit, "Customer", data, existing, display, MAX_PARTY_LEVEL
    )
    bill_with_parent = boolean(data, "BillWithParent", False)
    if bill_with_parent and parent is None:
        raise faults.business_rule("BillWithParent is valid only for a job or sub-customer.")
    key = _claim_name(unit, "Customer", display, existing)
    stored = {
        **data,
        "DisplayName": display,
        "FullyQualifiedName": qualified,
        "Level": level,
        "Job": is_job,
        "BillWithParent": bill_with_parent,
        "Active": boolean(data, "Active", True),
        "Taxable": boolean(data, "Taxable", False),
        "PrintOnCheckName": data.get("PrintOnCheckName") or display[:110],
        "CurrencyRef": _currency(unit, data, existing),
        "PreferredDeliveryMethod": data.get("PreferredDeliveryMethod") or "Print",
        "IsProject": False,
        "Balance": existing.data.get("Balance", Decimal(0)) if existing else Decimal(0),
        "BalanceWithJobs": (
            existing.data.get("BalanceWithJobs", Decimal(0)) if existing else Decimal(0)
        ),
    }
    if parent is not None:
        stored["ParentRef"] = {"value": str(parent.id)}
    else:
        stored.pop("ParentRef", None)
    return Prepared(stored, stored["Active"], key, None, parent.id if parent else None)


def prepare_vendor(unit: Unit, data: dict, existing: Row | None) -> Prepared:
    display = _party_basics(unit, data, VENDOR_LIMITS)
    key = _claim_name(unit, "Vendor", display, existing)
    stored = {
        **data,
        "DisplayName": display,
        "Active": boolean(data, "Active", True),
        "Vendor1099": boolean(data, "Vendor1099", False),
        "PrintOnCheckName": data.get("PrintOnCheckName") or display[:100],
        "CurrencyRef": _currency(unit, data, existing),
        "Balance": existing.data.get("Balance", Decimal(0)) if existing else Decimal(0),
    }
    return Prepared(stored, stored["Active"], key)


def _required_name(data: dict, limit: int, forbidden: tuple[str, ...]) -> str:
    name = text(data, "Name")
    if name is None or not name.strip():
        raise faults.required_param("Name")
    if len(name) > limit:
        raise faults.string_too_long("Name", limit, len(name))
    if any(character in name for character in forbidden):
        raise faults.business_rule(
            f"Name cannot contain {' or '.join(repr(c) for c in forbidden)}. Supplied value:{name!r}"
        )
    return name


def _account_ref(unit: Unit, data: dict, name: str, required: bool) -> dict | None:
    ref = data.get(name)
    if ref is None:
        if required:
            raise faults.required_param(name)
        return None
    account = referenced(unit, ref, name, ("Account",))
    return {"value": str(account.id), "name": account.data["Name"]}


def prepare_item(unit: Unit, data: dict, existing: Row | None) -> Prepared:
    name = _required_name(data, 100, (":", "\t", "\n"))
    check_lengths(data, {"Sku": 100, "Description": 4000, "PurchaseDesc": 4000})
    item_type = data.get("Type")
    if item_type is None:
        raise faults.required_param("Type")
    choice(data, "Type", ITEM_TYPES)
    if item_type == "Group":
        raise faults.business_rule("Bundles (Type Group) cannot be created through the API.")
    if existing is not None and existing.data["Type"] != item_type:
        raise faults.business_rule("The Type of an item cannot be changed.")
    income = _account_ref(unit, data, "IncomeAccountRef", item_type in ("Inventory", "Service"))
    expense = _account_ref(
        unit, data, "ExpenseAccountRef", item_type in ("Inventory", "NonInventory", "Service")
    )
    asset = _account_ref(unit, data, "AssetAccountRef", item_type == "Inventory")
    active = boolean(data, "Active", True)
    if item_type == "Category" and not active:
        raise faults.business_rule("A category cannot be made inactive.")

    def must_be_category(parent: Row) -> None:
        if parent.data.get("Type") != "Category":
            raise faults.business_rule("Only a category can be the parent of an item.")

    parent, level, qualified = _hierarchy(
        unit, "Item", data, existing, name, MAX_LIST_LEVEL, must_be_category
    )
    key = _claim_name(unit, "Item", qualified, existing)
    stored = {
        **data,
        "Name": name,
        "Type": item_type,
        "Active": active,
        "FullyQualifiedName": qualified,
        "Level": level,
        "SubItem": parent is not None,
        "Taxable": boolean(data, "Taxable", False),
        "TrackQtyOnHand": boolean(data, "TrackQtyOnHand", False),
    }
    for name_field, ref in (
        ("IncomeAccountRef", income),
        ("ExpenseAccountRef", expense),
        ("AssetAccountRef", asset),
    ):
        if ref is not None:
            stored[name_field] = ref
    if parent is not None:
        stored["ParentRef"] = {"value": str(parent.id), "name": parent.data["Name"]}
    else:
        stored.pop("ParentRef", None)
    return Prepared(stored, active, key, None, parent.id if parent else None)


def prepare_account(unit: Unit, data: dict, existing: Row | None) -> Prepared:
    name = _required_name(data, 100, ('"', ":"))
    check_lengths(data, {"Description": 100})
    account_type = data.get("AccountType")
    if account_type is None:
        raise faults.required_param("AccountType")
    choice(data, "AccountType", tuple(ACCOUNT_CLASSIFICATION))
    number = text(data, "AcctNum")
    if number:
        if ":" in number:
            raise faults.business_rule("AcctNum cannot contain a colon (:).")
        if len(number) > 7:
            raise faults.string_too_long("AcctNum", 7, len(number))
        for other in unit.all_live("Account"):
            if other.data.get("AcctNum") == number and (
                existing is None or other.id != existing.id
            ):
                raise faults.business_rule(f"Another account is already using the number {number}.")
    parent, _level, qualified = _hierarchy(unit, "Account", data, existing, name, MAX_LIST_LEVEL)
    key = _claim_name(unit, "Account", qualified, existing)
    balance = existing.data.get("CurrentBalance", Decimal(0)) if existing else Decimal(0)
    stored = {
        **data,
        "Name": name,
        "AccountType": account_type,
        "Classification": ACCOUNT_CLASSIFICATION[account_type],
        "FullyQualifiedName": qualified,
        "SubAccount": parent is not None,
        "Active": boolean(data, "Active", True),
        "CurrentBalance": balance,
        "CurrentBalanceWithSubAccounts": balance,
        "CurrencyRef": _currency(unit, data, existing),
    }
    if parent is not None:
        stored["ParentRef"] = {"value": str(parent.id)}
    else:
        stored.pop("ParentRef", None)
    return Prepared(stored, stored["Active"], key, None, parent.id if parent else None)


def prepare_class(unit: Unit, data: dict, existing: Row | None) -> Prepared:
    name = _required_name(data, 100, (":", "\t", "\n"))
    parent, _level, qualified = _hierarchy(unit, "Class", data, existing, name, MAX_LIST_LEVEL)
    key = _claim_name(unit, "Class", qualified, existing)
    stored = {
        **data,
        "Name": name,
        "FullyQualifiedName": qualified,
        "SubClass": parent is not None,
        "Active": boolean(data, "Active", True),
    }
    if parent is not None:
        stored["ParentRef"] = {"value": str(parent.id)}
    else:
        stored.pop("ParentRef", None)
    return Prepared(stored, stored["Active"], key, None, parent.id if parent else None)


def own_name(row: Row) -> str:
    return row.data.get("DisplayName") if row.entity == "Customer" else row.data["Name"]


def propagate_qualified_names(unit: Unit, parent: Row) -> None:
    """Children's FullyQualifiedName follows a renamed parent, all the way down."""
    for child in unit.children(parent.entity, parent.id):
        qualified = f"{parent.data['FullyQualifiedName']}:{own_name(child)}"
        if child.data.get("FullyQualifiedName") == qualified:
            continue
        data = {**child.data, "FullyQualifiedName": qualified}
        key = child.name_key
        if child.entity != "Customer":
            key = casefold_key(NAME_KEY_PREFIX[child.entity], qualified)
        propagate_qualified_names(unit, unit.rename_quietly(child, data, key))


READ_ONLY_FIELDS = {
    "Customer": ("FullyQualifiedName", "Level", "Balance", "BalanceWithJobs", "IsProject"),
    "Vendor": ("Balance",),
    "Item": ("FullyQualifiedName", "Level", "SubItem"),
    "Account": (
        "FullyQualifiedName",
        "SubAccount",
        "Classification",
        "CurrentBalance",
        "CurrentBalanceWithSubAccounts",
    ),
    "Class": ("FullyQualifiedName", "SubClass"),
}

PREPARE = {
    "Customer": prepare_customer,
    "Vendor": prepare_vendor,
    "Item": prepare_item,
    "Account": prepare_account,
    "Class": prepare_class,
}
