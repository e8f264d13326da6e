"""Customers (and their jobs), vendors, items and accounts: Add, Mod, Query, deletions."""

from __future__ import annotations

from .books import ITEM_KINDS, Books, stamp
from .records import (
    Refused,
    field_values,
    identity,
    ref_of,
    resolve,
    text,
    touched,
    within,
)
from .status import Status, name_in_use, no_match, not_all_found, not_found, stale_edit_sequence

RET_TAGS = {
    "Customer": "CustomerRet",
    "Vendor": "VendorRet",
    "ItemService": "ItemServiceRet",
    "ItemOtherCharge": "ItemOtherChargeRet",
    "Account": "AccountRet",
}
IDENTITY_FIELDS = ("ListID", "EditSequence", "Name", "ParentRef")


def _named(books: Books, kind: str, record: dict, name: str, parent: dict | None) -> dict:
    full_name = f"{parent['FullName']}:{name}" if parent else name
    if books.name_taken(kind, full_name, except_id=record.get("ListID")):
        raise Refused(name_in_use(full_name))
    named = {**record, "Name": name, "FullName": full_name}
    named.pop("ParentRef", None)
    named["Sublevel"] = str(int(parent["Sublevel"]) + 1) if parent else "0"
    if parent:
        named["ParentRef"] = ref_of(parent)
    return named


def _add(kind: str, books: Books, add, defaults: dict) -> tuple[Status, list]:
    where = f"{kind} list"
    parent = None
    if add.find("ParentRef") is not None:
        parent_kinds = ITEM_KINDS if kind in ITEM_KINDS else (kind,)
        parent = resolve(
            books,
            add.find("ParentRef"),
            parent_kinds,
            "Item" if kind in ITEM_KINDS else kind,
            where,
        )
    values = field_values(books, add, RET_TAGS[kind], where, skip=("Name", "ParentRef"))
    record = {**identity(books, "list"), "IsActive": "true", **defaults, **values}
    record = _named(books, kind, record, text(add, "Name"), parent)
    return Status.ok(), [(RET_TAGS[kind], books.save(kind, record))]


def _mod(kind: str, books: Books, mod) -> tuple[Status, list]:
    list_id = text(mod, "ListID")
    record = books.get(list_id)
    if record is None or record["kind"] != kind:
        raise Refused(not_found(list_id))
    given_sequence = text(mod, "EditSequence")
    if given_sequence != record["EditSequence"]:
        raise Refused(stale_edit_sequence(given_sequence))
    where = f"{kind} list"
    values = field_values(books, mod, RET_TAGS[kind], where, skip=IDENTITY_FIELDS)
    changed = {**record, **values}
    for name, value in values.items():
        if value == "":
            del changed[name]  # an empty element clears the field
    parent = None
    if mod.find("ParentRef") is not None:
        parent = resolve(books, mod.find("ParentRef"), (kind,), kind, where)
        if parent["ListID"] == list_id or parent["FullName"].upper().startswith(
            record["FullName"].upper() + ":"
        ):
            raise Refused(Status(3170, "Error", f'"{record["FullName"]}" cannot be its own sub.'))
    elif "ParentRef" in record:
        parent = books.get(record["ParentRef"]["ListID"])
    name = text(mod, "Name") or record["Name"]
    changed = _named(books, kind, touched(books, changed), name, parent)
    changed.pop("kind", None)
    saved = books.save(kind, changed)
    if saved["FullName"] != record["FullName"]:
        _rename_descendants(books, kind, record["FullName"], saved)
    return Status.ok(), [(RET_TAGS[kind], saved)]


def _rename_descendants(books: Books, kind: str, old_full_name: str, parent: dict) -> None:
    """Jobs are named `Customer:Job`: renaming or moving a customer renames its jobs."""
    for child in books.all((kind,)):
        if child.get("ParentRef", {}).get("ListID") == parent["ListID"]:
            renamed = _named(books, kind, touched(books, child), child["Name"], parent)
            renamed.pop("kind", None)
            books.save(kind, renamed)
            _rename_descendants(books, kind, child["FullName"], books.get(child["ListID"]))


def add_customer(books: Books, add) -> tuple[Status, list]:
    return _add(
        "Customer", books, add, {"Balance": "0.00", "TotalBalance": "0.00", "JobStatus": "None"}
    )


def mod_customer(books: Books, mod) -> tuple[Status, list]:
    return _mod("Customer", books, mod)


def add_vendor(books: Books, add) -> tuple[Status, list]:
    return _add("Vendor", books, add, {"IsVendorEligibleFor1099": "false", "Balance": "0.00"})


def mod_vendor(books: Books, mod) -> tuple[Status, list]:
    return _mod("Vendor", books, mod)


def add_item(kind: str):
    def add(books: Books, element) -> tuple[Status, list]:
        return _add(kind, books, element, {})

    return add


def _query(books: Books, request, kinds: tuple[str, ...], extra=None) -> tuple[Status, list]:
    records = sorted(books.all(kinds), key=lambda record: record["FullName"].upper())
    list_ids = [found.text or "" for found in request.findall("ListID")]
    full_names = [found.text or "" for found in request.findall("FullName")]
    if list_ids or full_names:
        wanted, key = (list_ids, "ListID") if list_ids else (full_names, "FullName")
        found, missing = [], []
        for value in wanted:
            match = next((r for r in records if str(r[key]).upper() == value.upper()), None)
            (found.append(match) if match else missing.append(value))
        status = not_all_found(missing[0]) if missing else Status.ok()
        return status, [(RET_TAGS[r["kind"]], r) for r in found]
    active = text(request, "ActiveStatus") or "ActiveOnly"
    start, end = text(request, "FromModifiedDate"), text(request, "ToModifiedDate")
    chosen = []
    for record in records:
        is_active = record.get("IsActive", "true") == "true"
        if (active == "ActiveOnly" and not is_active) or (active == "InactiveOnly" and is_active):
            continue
        if not within(record["TimeModified"], start, end):
            continue
        if not _name_matches(request, record["FullName"]):
            continue
        if extra and not extra(record):
            continue
        chosen.append(record)
    return (Status.ok() if chosen else no_match()), [(RET_TAGS[r["kind"]], r) for r in chosen]


def _name_matches(request, full_name: str) -> bool:
    name = full_name.upper()
    criterion = text(request, "NameFilter/MatchCriterion")
    if criterion:
        wanted = (text(request, "NameFilter/Name") or "").upper()
        return {
            "StartsWith": name.startswith,
            "Contains": lambda value: value in name,
            "EndsWith": name.endswith,
        }[criterion](wanted)
    if request.find("NameRangeFilter") is not None:
        low = (text(request, "NameRangeFilter/FromName") or "").upper()
        high = text(request, "NameRangeFilter/ToName")
        return name >= low and (high is None or name <= high.upper())
    return True


def query_customers(books: Books, request) -> tuple[Status, list]:
    return _query(books, request, ("Customer",))


def query_vendors(books: Books, request) -> tuple[Status, list]:
    return _query(books, request, ("Vendor",))


def query_items(books: Books, request) -> tuple[Status, list]:
    return _query(books, request, ITEM_KINDS)


def query_accounts(books: Books, request) -> tuple[Status, list]:
    types = [found.text for found in request.findall("AccountType")]
    return _query(
        books, request, ("Account",), lambda record: not types or record.get("AccountType") in types
    )


def deleted(books: Books, request) -> tuple[Status, list]:
    kinds = tuple(found.text for found in request.findall("ListDelType"))
    start = text(request, "DeletedDateRangeFilter/FromDeletedDate")
    end = text(request, "DeletedDateRangeFilter/ToDeletedDate")
    rets = []
    for row in books.deleted(kinds):
        when = stamp(row["deleted_at"])
        if within(when, start, end):
            rets.append(
                (
                    "ListDeletedRet",
                    {
                        "ListDelType": row["kind"],
                        "ListID": row["id"],
                        "TimeCreated": row["created"],
                        "TimeDeleted": when,
                        "FullName": row["label"],
                    },
                )
            )
    return (Status.ok() if rets else no_match()), rets
