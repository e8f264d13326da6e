"""Contacts: unique active names, archiving, and `IsSupplier`, which Xero sets itself once a
bill exists for the contact (a client's value is ignored, as the spec says)."""

from __future__ import annotations

import re

from .books import Books
from .faults import Invalid
from .fields import choice, new_id, text

KIND = "Contact"
TEXT_FIELDS = {
    "ContactNumber": 50,
    "AccountNumber": 50,
    "FirstName": 255,
    "LastName": 255,
    "CompanyNumber": 50,
    "EmailAddress": 255,
    "TaxNumber": 50,
    "BankAccountDetails": None,
    "AccountsReceivableTaxType": None,
    "AccountsPayableTaxType": None,
    "DefaultCurrency": None,
    "SalesDefaultAccountCode": None,
    "PurchasesDefaultAccountCode": None,
}
# The writable fields of a contact's addresses, phones and people, as the spec lists them (with
# its maximum lengths): anything else a client sends in them is ignored, as Xero ignores it.
ADDRESS_TYPES = ("POBOX", "STREET")
ADDRESS_FIELDS = {
    "AddressLine1": 500,
    "AddressLine2": 500,
    "AddressLine3": 500,
    "AddressLine4": 500,
    "City": 255,
    "Region": 255,
    "PostalCode": 50,
    "Country": 50,
    "AttentionTo": 255,
}
PHONE_TYPES = ("DEFAULT", "DDI", "MOBILE", "FAX", "OFFICE")
PHONE_FIELDS = {"PhoneNumber": 50, "PhoneAreaCode": 10, "PhoneCountryCode": 20}
PERSON_FIELDS = {"FirstName": None, "LastName": None, "EmailAddress": None}
PAYMENT_TERM_TYPES = (
    "DAYSAFTERBILLDATE",
    "DAYSAFTERBILLMONTH",
    "OFCURRENTMONTH",
    "OFFOLLOWINGMONTH",
)
DEFAULT_ADDRESSES = ({"AddressType": "STREET"}, {"AddressType": "POBOX"})
DEFAULT_PHONES = (
    {"PhoneType": "DEFAULT"},
    {"PhoneType": "DDI"},
    {"PhoneType": "FAX"},
    {"PhoneType": "MOBILE"},
)
SUMMARY_DROPS = ("Addresses", "Phones", "ContactPersons", "ContactGroups", "PaymentTerms")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def duplicate_name_message(name: str) -> str:
    return (
        f"The contact name {name} is already assigned to another contact. The contact name must "
        "be unique across all active contacts."
    )


def _apply(books: Books, contact: dict, element: dict) -> dict:
    """`element`'s writable fields onto `contact` (fields it does not carry are kept)."""
    if "Name" in element or "ContactID" not in contact:
        name = text(element, "Name", 255)
        if not name:
            raise Invalid("The contact name must be specified.")
        contact["Name"] = name
    for name, maximum in TEXT_FIELDS.items():
        value = text(element, name, maximum)
        if value is not None:
            contact[name] = value
    email = contact.get("EmailAddress")
    if email and not _EMAIL.match(email):
        raise Invalid("Email address must be valid.")
    for name, build in (("Addresses", _address), ("Phones", _phone), ("ContactPersons", _person)):
        entries = element.get(name)
        if entries is None:
            continue
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise Invalid(f"{name} must be a list of objects.")
        contact[name] = [build(entry) for entry in entries]
    if element.get("PaymentTerms") is not None:
        contact["PaymentTerms"] = _payment_terms(element["PaymentTerms"])
    contact["ContactStatus"] = choice(
        element, "ContactStatus", ("ACTIVE", "ARCHIVED"), contact.get("ContactStatus", "ACTIVE")
    )
    if contact["ContactStatus"] == "ACTIVE" and books.active_contact_named(
        contact["Name"], other_than=contact.get("ContactID")
    ):
        raise Invalid(duplicate_name_message(contact["Name"]))
    return contact


def _texts(entry: dict, fields: dict[str, int | None]) -> dict:
    return {
        name: value for name, maximum in fields.items() if (value := text(entry, name, maximum))
    }


def _address(entry: dict) -> dict:
    address_type = choice(entry, "AddressType", ADDRESS_TYPES)
    if address_type is None:
        raise Invalid("AddressType is required for each address.")
    return {"AddressType": address_type, **_texts(entry, ADDRESS_FIELDS)}


def _phone(entry: dict) -> dict:
    phone_type = choice(entry, "PhoneType", PHONE_TYPES)
    if phone_type is None:
        raise Invalid("PhoneType is required for each phone.")
    return {"PhoneType": phone_type, **_texts(entry, PHONE_FIELDS)}


def _person(entry: dict) -> dict:
    person = _texts(entry, PERSON_FIELDS)
    include = entry.get("IncludeInEmails")
    if include is not None:
        if not isinstance(include, bool):
            raise Invalid("IncludeInEmails must be true or false.")
        person["IncludeInEmails"] = include
    return person


def _payment_terms(given) -> dict:
    if not isinstance(given, dict):
        raise Invalid("PaymentTerms must be an object.")
    terms = {}
    for name in ("Bills", "Sales"):
        term = given.get(name)
        if term is None:
            continue
        term = term if isinstance(term, dict) else {}
        day, term_type = term.get("Day"), choice(term, "Type", PAYMENT_TERM_TYPES)
        if not isinstance(day, int) or isinstance(day, bool) or day < 0 or term_type is None:
            raise Invalid(f"PaymentTerms {name} needs a whole Day of 0 or more and a Type.")
        terms[name] = {"Day": day, "Type": term_type}
    return terms


def create(books: Books, element: dict) -> dict:
    contact = _apply(
        books,
        {
            "Addresses": [dict(address) for address in DEFAULT_ADDRESSES],
            "Phones": [dict(phone) for phone in DEFAULT_PHONES],
            "ContactPersons": [],
        },
        element,
    )
    contact_id = new_id()
    stored = {
        "ContactID": contact_id,
        **contact,
        "IsSupplier": False,
        "IsCustomer": False,
        "ContactGroups": [],
        "HasAttachments": False,
        "HasValidationErrors": False,
    }
    books.unit.notify("CONTACT", "Contacts", contact_id, "CREATE")
    return books.unit.save(KIND, contact_id, stored)


def update(books: Books, existing: dict, element: dict) -> dict:
    books.unit.notify("CONTACT", "Contacts", existing["ContactID"], "UPDATE")
    return books.unit.save(KIND, existing["ContactID"], _apply(books, dict(existing), element))


def mark_supplier(books: Books, contact: dict) -> None:
    if not contact["IsSupplier"]:
        books.unit.save(KIND, contact["ContactID"], {**contact, "IsSupplier": True})


def reference(books: Books, given) -> dict:
    """The contact a document names: by ContactID, ContactNumber or Name; a Name Xero does not
    know creates the contact, as Xero does."""
    if not isinstance(given, dict) or not any(
        given.get(key) for key in ("ContactID", "ContactNumber", "Name")
    ):
        raise Invalid(
            "The Contact must contain at least 1 of the following elements to identify the "
            "contact: Name, ContactID, ContactNumber"
        )
    if given.get("ContactID"):
        contact = books.unit.get(KIND, str(given["ContactID"]))
        missing = f"ContactID {given['ContactID']}"
    elif given.get("ContactNumber"):
        number = str(given["ContactNumber"]).lower()
        contact = next(
            (c for c in books.unit.all(KIND) if c.get("ContactNumber", "").lower() == number),
            None,
        )
        missing = f"ContactNumber {given['ContactNumber']}"
    else:
        contact = books.active_contact_named(str(given["Name"]))
        if contact is None:
            contact = create(books, {"Name": given["Name"]})
        missing = ""
    if contact is None:
        raise Invalid(f"The contact with {missing} could not be found.")
    if contact["ContactStatus"] != "ACTIVE":
        raise Invalid(f"The contact {contact['Name']} is archived and cannot be used.")
    return contact


def on_document(contact: dict) -> dict:
    """The contact as a document shows it."""
    shown = {"ContactID": contact["ContactID"], "Name": contact["Name"]}
    if contact.get("ContactNumber"):
        shown["ContactNumber"] = contact["ContactNumber"]
    return {**shown, "ContactStatus": contact["ContactStatus"], "HasValidationErrors": False}


def present(contact: dict, *, summary: bool = False) -> dict:
    if summary:
        return {key: value for key, value in contact.items() if key not in SUMMARY_DROPS}
    return contact


def matches_search(contact: dict, term: str) -> bool:
    needle = term.casefold()
    return any(
        needle in str(contact.get(name) or "").casefold()
        for name in ("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress")
    )
