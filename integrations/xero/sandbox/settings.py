"""The organisation's settings lists: Accounts, Items, TrackingCategories and their Options.

Tracking: at most 2 active categories; active options per category up to a limit (100 by
default, a sandbox setting); category and option names at most 100 characters and unique within
their list, without regard to case. A category or option used on a document can only be
archived, not deleted.
"""

from __future__ import annotations

from . import faults, seeding
from .books import Books
from .faults import Invalid
from .fields import choice, is_uuid, new_id, number, text

MAX_ACTIVE_CATEGORIES = 2
DEFAULT_MAX_ACTIVE_OPTIONS = 100
TRACKING_NAME_MAX = 100
DOCUMENT_KINDS = ("PurchaseOrder", "Invoice", "CreditNote", "BankTransaction")

# -- accounts ----------------------------------------------------------------------------


def create_account(books: Books, element: dict) -> dict:
    account = _apply_account(books, {"Status": "ACTIVE"}, element)
    account_id = new_id()
    stored = {
        "AccountID": account_id,
        **account,
        "Class": seeding.ACCOUNT_CLASSES[account["Type"]],
        "EnablePaymentsToAccount": bool(element.get("EnablePaymentsToAccount", False)),
        "ShowInExpenseClaims": bool(element.get("ShowInExpenseClaims", False)),
        "ReportingCode": "",
        "ReportingCodeName": "",
        "HasAttachments": False,
        "AddToWatchlist": False,
    }
    if account["Type"] == "BANK":
        stored["CurrencyCode"] = books.organisation["BaseCurrency"]
        stored["BankAccountType"] = "BANK"
    return books.unit.save("Account", account_id, stored)


def update_account(books: Books, existing: dict, element: dict) -> dict:
    account = _apply_account(books, dict(existing), element)
    account["Class"] = seeding.ACCOUNT_CLASSES[account["Type"]]
    return books.unit.save("Account", existing["AccountID"], account)


def _apply_account(books: Books, account: dict, element: dict) -> dict:
    creating = "AccountID" not in account
    for name, maximum in (("Code", 10), ("Name", 150), ("Description", 4000)):
        value = text(element, name, maximum, required=creating and name != "Description")
        if value is not None:
            account[name] = value
    account["Type"] = choice(element, "Type", tuple(seeding.ACCOUNT_CLASSES), account.get("Type"))
    if not account.get("Type"):
        raise Invalid("Type is required.")
    account["Status"] = choice(element, "Status", ("ACTIVE", "ARCHIVED"), account["Status"])
    tax_type = text(element, "TaxType")
    if tax_type is not None:
        if books.tax_rate(tax_type) is None:
            raise Invalid(f"The TaxType code {tax_type} does not exist.")
        account["TaxType"] = tax_type
    elif creating:
        expense = seeding.ACCOUNT_CLASSES[account["Type"]] == "EXPENSE"
        account["TaxType"] = books.country.expense_tax if expense else books.country.exempt_tax
    if account["Type"] == "BANK":
        number = text(element, "BankAccountNumber", 50)
        if number is not None:
            account["BankAccountNumber"] = number
        if not account.get("BankAccountNumber"):
            raise Invalid("Bank Account Number is required for bank accounts.")
    for other in books.accounts():
        if other["AccountID"] == account.get("AccountID"):
            continue
        if other["Code"].lower() == account["Code"].lower():
            raise Invalid("Please enter a unique Code.")
        if other["Name"].casefold() == account["Name"].casefold():
            raise Invalid("Please enter a unique Name.")
    return account


# -- items -------------------------------------------------------------------------------

DETAIL_FIELDS = ("UnitPrice", "AccountCode", "TaxType")


def _details(books: Books, element: dict, name: str, existing: dict | None) -> dict:
    given = element.get(name)
    if given is None:
        return existing or {}
    if not isinstance(given, dict):
        raise Invalid(f"{name} is not valid.")
    details = dict(existing or {})
    price = number(given, "UnitPrice")
    if price is not None:
        details["UnitPrice"] = price
    for field in ("AccountCode", "TaxType"):
        if given.get(field):
            details[field] = str(given[field])
    if details.get("AccountCode") and books.account(code=details["AccountCode"]) is None:
        raise Invalid(f"Account code '{details['AccountCode']}' is not a valid code.")
    if details.get("TaxType") and books.tax_rate(details["TaxType"]) is None:
        raise Invalid(f"The TaxType code {details['TaxType']} does not exist.")
    return details


def _apply_item(books: Books, item: dict, element: dict) -> dict:
    creating = "ItemID" not in item
    code = text(element, "Code", 30, required=creating)
    if code is not None:
        item["Code"] = code
    for name, maximum in (("Name", 50), ("Description", 4000), ("PurchaseDescription", 4000)):
        value = text(element, name, maximum)
        if value is not None:
            item[name] = value
    if element.get("InventoryAssetAccountCode"):
        raise Invalid("Tracked inventory items are not emulated by this sandbox.")
    for flag_name in ("IsSold", "IsPurchased"):
        if element.get(flag_name) is not None:
            item[flag_name] = bool(element[flag_name])
        item.setdefault(flag_name, True)
    item["PurchaseDetails"] = _details(
        books, element, "PurchaseDetails", item.get("PurchaseDetails")
    )
    item["SalesDetails"] = _details(books, element, "SalesDetails", item.get("SalesDetails"))
    owner = books.item_by_code(item["Code"])
    if owner is not None and owner["ItemID"] != item.get("ItemID"):
        raise Invalid(f"Item code '{item['Code']}' already exists.")
    return item


def create_item(books: Books, element: dict) -> dict:
    item = _apply_item(books, {}, element)
    item_id = new_id()
    stored = {"ItemID": item_id, **item, "IsTrackedAsInventory": False}
    return books.unit.save("Item", item_id, stored)


def update_item(books: Books, existing: dict, element: dict) -> dict:
    return books.unit.save("Item", existing["ItemID"], _apply_item(books, dict(existing), element))


def delete_item(books: Books, item_id: str) -> None:
    """DELETE /Items/{ItemID}: gone from every list (Xero keeps no deleted items to read)."""
    if not is_uuid(item_id) or books.unit.get("Item", item_id) is None:
        raise faults.not_found()
    books.unit.delete("Item", item_id)


def item_for_upsert(books: Books, element: dict) -> dict | None:
    """POST /Items: an element without ItemID updates the item with its Code, if one exists."""
    code = element.get("Code")
    return books.item_by_code(code) if isinstance(code, str) and code.strip() else None


# -- tracking categories and options -----------------------------------------------------


def _tracking_name(element: dict, what: str) -> str:
    name = element.get("Name")
    if not isinstance(name, str) or not name.strip():
        raise Invalid(f"A {what} name must be specified.")
    name = name.strip()
    if len(name) > TRACKING_NAME_MAX:
        raise Invalid(f"The {what} name must be {TRACKING_NAME_MAX} characters or fewer.")
    return name


def _check_active_categories(books: Books, other_than: str | None) -> None:
    active = [
        category
        for category in books.tracking_categories()
        if category["Status"] == "ACTIVE" and category["TrackingCategoryID"] != other_than
    ]
    if len(active) >= MAX_ACTIVE_CATEGORIES:
        raise Invalid(
            f"An organisation can have at most {MAX_ACTIVE_CATEGORIES} active tracking categories."
        )


def _check_unique_category(books: Books, name: str, other_than: str | None) -> None:
    for category in books.tracking_categories():
        if (
            category["Status"] != "DELETED"
            and category["TrackingCategoryID"] != other_than
            and category["Name"].casefold() == name.casefold()
        ):
            raise Invalid(f"A tracking category named {name} already exists.")


def create_category(books: Books, element: dict) -> dict:
    name = _tracking_name(element, "tracking category")
    _check_unique_category(books, name, None)
    _check_active_categories(books, None)
    category_id = new_id()
    category = {"TrackingCategoryID": category_id, "Name": name, "Status": "ACTIVE", "Options": []}
    return books.unit.save("TrackingCategory", category_id, category)


def update_category(books: Books, category: dict, element: dict) -> dict:
    category = dict(category)
    if category["Status"] == "DELETED":
        raise Invalid("A deleted tracking category cannot be changed.")
    if element.get("Name") is not None:
        category["Name"] = _tracking_name(element, "tracking category")
        _check_unique_category(books, category["Name"], category["TrackingCategoryID"])
    status = choice(element, "Status", ("ACTIVE", "ARCHIVED"), category["Status"])
    if status == "ACTIVE" and category["Status"] != "ACTIVE":
        _check_active_categories(books, category["TrackingCategoryID"])
    category["Status"] = status
    return books.unit.save("TrackingCategory", category["TrackingCategoryID"], category)


def tracking_used(books: Books, category_id: str, option_id: str | None = None) -> bool:
    for kind in DOCUMENT_KINDS:
        for document in books.unit.all(kind):
            for line in document.get("LineItems", []):
                for tracking in line.get("Tracking", []):
                    if tracking["TrackingCategoryID"] == category_id and (
                        option_id is None or tracking["TrackingOptionID"] == option_id
                    ):
                        return True
    return False


def delete_category(books: Books, category: dict) -> dict:
    if tracking_used(books, category["TrackingCategoryID"]):
        raise Invalid("This tracking category has been used on transactions: archive it instead.")
    return books.unit.save(
        "TrackingCategory", category["TrackingCategoryID"], {**category, "Status": "DELETED"}
    )


def _check_unique_option(category: dict, name: str, other_than: str | None) -> None:
    for option in category["Options"]:
        if (
            option["Status"] != "DELETED"
            and option["TrackingOptionID"] != other_than
            and option["Name"].casefold() == name.casefold()
        ):
            raise Invalid(
                f"The option {name} already exists in tracking category {category['Name']}."
            )


def _check_active_options(category: dict, limit: int) -> None:
    active = sum(1 for option in category["Options"] if option["Status"] == "ACTIVE")
    if active >= limit:
        raise Invalid(
            f"The tracking category {category['Name']} already has {limit} active options."
        )


def create_option(books: Books, category: dict, element: dict, limit: int) -> dict:
    if category["Status"] != "ACTIVE":
        raise Invalid("Options can only be added to an active tracking category.")
    name = _tracking_name(element, "tracking option")
    _check_unique_option(category, name, None)
    _check_active_options(category, limit)
    option = {
        "TrackingOptionID": new_id(),
        "Name": name,
        "Status": "ACTIVE",
        "TrackingCategoryID": category["TrackingCategoryID"],
    }
    _save_option(books, category, option)
    return option


def update_option(books: Books, category: dict, option: dict, element: dict, limit: int) -> dict:
    option = dict(option)
    if option["Status"] == "DELETED":
        raise Invalid("A deleted tracking option cannot be changed.")
    if element.get("Name") is not None:
        option["Name"] = _tracking_name(element, "tracking option")
        _check_unique_option(category, option["Name"], option["TrackingOptionID"])
    status = choice(element, "Status", ("ACTIVE", "ARCHIVED"), option["Status"])
    if status == "ACTIVE" and option["Status"] != "ACTIVE":
        _check_active_options(category, limit)
    option["Status"] = status
    _save_option(books, category, option)
    return option


def delete_option(books: Books, category: dict, option: dict) -> dict:
    if tracking_used(books, category["TrackingCategoryID"], option["TrackingOptionID"]):
        raise Invalid("This tracking option has been used on transactions: archive it instead.")
    option = {**option, "Status": "DELETED"}
    _save_option(books, category, option)
    return option


def _save_option(books: Books, category: dict, option: dict) -> None:
    """Store the option in its category, in place when it is already there."""
    options = [
        option if o["TrackingOptionID"] == option["TrackingOptionID"] else o
        for o in category["Options"]
    ]
    if option not in options:
        options.append(option)
    category = {**category, "Options": options}
    books.unit.save("TrackingCategory", category["TrackingCategoryID"], category)


def find_option(category: dict, option_id: str) -> dict | None:
    return next(
        (o for o in category["Options"] if o["TrackingOptionID"] == option_id.lower()), None
    )


def present_category(category: dict, *, include_archived: bool) -> dict:
    shown = {key: value for key, value in category.items() if key != "UpdatedDateUTC"}
    wanted = ("ACTIVE", "ARCHIVED") if include_archived else ("ACTIVE",)
    shown["Options"] = [
        {key: value for key, value in option.items() if key != "TrackingCategoryID"}
        for option in category["Options"]
        if option["Status"] in wanted
    ]
    return shown
