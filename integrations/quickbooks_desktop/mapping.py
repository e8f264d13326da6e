"""Our records as QuickBooks Desktop's list entries, in qbXML 12.0 (pure: records in, request
elements out), and whether a vendor QuickBooks holds is what a company's VendorAdd would make.

A company becomes a vendor, a project a job: a customer under the customer chosen at accept,
whose FullName is "Customer:Job". Names are never shortened to fit: a name QuickBooks cannot
hold is refused with a sentence, so what the accountant approved is what reaches the books.
"""

from __future__ import annotations

from lxml import etree

from integrations.quickbooks_desktop.qbxml import ret_text
from integrations.quickbooks_desktop.xml import UNSENDABLE

# qbXML 12.0: Name and CompanyName STR41, Phone STR21, Email STR1023, VendorTaxIdent STR15;
# address lines STR41, City STR31, State STR21, PostalCode STR13, Country STR31.
MAX_NAME = 41
_LIMITS = {
    "CompanyName": 41,
    "Phone": 21,
    "Email": 1023,
    "VendorTaxIdent": 15,
    "Addr1": 41,
    "City": 31,
    "State": 21,
    "PostalCode": 13,
    "Country": 31,
}
_ADDRESS = (
    ("Addr1", "address_line1"),
    ("City", "city"),
    ("State", "region"),
    ("PostalCode", "postal_code"),
    ("Country", "country"),
)
_LABELS = {
    "CompanyName": "legal name",
    "Phone": "phone number",
    "Email": "email address",
    "VendorTaxIdent": "tax id",
    "Addr1": "street address",
    "City": "city",
    "State": "state or region",
    "PostalCode": "postal code",
    "Country": "country",
}


def vendor_name(company) -> str:
    return company.name.strip()


def job_name(project) -> str:
    """Unique among the customer's jobs because project numbers are unique here."""
    return f"{project.number.strip()} {project.name.strip()}"


def job_full_name(project, customer_name: str) -> str:
    return f"{customer_name}:{job_name(project)}"


def name_problems(what: str, name: str) -> list[str]:
    """Why QuickBooks cannot hold `name` as it is; it is never shortened or changed here."""
    if not name:
        return [f"The {what} has no name; QuickBooks Desktop needs one."]
    problems = []
    if UNSENDABLE.search(name):
        problems.append(unsendable_sentence(f"{what}'s name", name))
    if len(name) > MAX_NAME:
        problems.append(
            f"The {what}'s name in QuickBooks Desktop would be '{name}', {len(name)} characters; "
            f"QuickBooks Desktop allows at most {MAX_NAME}. Shorten the {what}'s name here, "
            "then accept again."
        )
    if ":" in name:
        problems.append(
            f"The {what}'s name '{name}' holds a colon, which QuickBooks Desktop reserves to "
            "separate a customer from its job. Remove it, then accept again."
        )
    return problems


def unsendable_sentence(what: str, text: str) -> str:
    return (
        f"The {what} {text!r} holds a character QuickBooks Desktop cannot be sent (a control "
        "character, pasted with the text). Remove it here, then try again."
    )


def _vendor_values(company) -> list[tuple[str, str]]:
    legal = (company.legal_name or "").strip()
    values = [("CompanyName", legal or vendor_name(company))]
    values += [("Phone", company.phone.strip()), ("Email", company.email.strip())]
    values.append(("VendorTaxIdent", company.tax_id.strip()))
    return [(tag, value) for tag, value in values if value]


def _address_values(company) -> list[tuple[str, str]]:
    values = [(tag, getattr(company, field).strip()) for tag, field in _ADDRESS]
    return [(tag, value) for tag, value in values if value]


def vendor_problems(company) -> list[str]:
    problems = name_problems("company", vendor_name(company))
    for tag, value in _vendor_values(company) + _address_values(company):
        # A company without a legal name sends its name twice: said once, above.
        if UNSENDABLE.search(value) and value != vendor_name(company):
            problems.append(unsendable_sentence(f"company's {_LABELS[tag]}", value))
        if len(value) > _LIMITS[tag]:
            problems.append(
                f"The company's {_LABELS[tag]} has {len(value)} characters; QuickBooks Desktop "
                f"holds at most {_LIMITS[tag]}. Shorten it here, then accept again."
            )
    return problems


def vendor_add(company, *, guid: str = "") -> str:
    """VendorAddRq for `company`, its elements in the schema's order; `guid` (our export
    attempt's) is kept by QuickBooks as the vendor's ExternalGUID."""
    request = etree.Element("VendorAddRq")
    add = etree.SubElement(request, "VendorAdd")
    etree.SubElement(add, "Name").text = vendor_name(company)
    values = dict(_vendor_values(company))
    if "CompanyName" in values:
        etree.SubElement(add, "CompanyName").text = values["CompanyName"]
    address = _address_values(company)
    if address:
        element = etree.SubElement(add, "VendorAddress")
        for tag, value in address:
            etree.SubElement(element, tag).text = value
    for tag in ("Phone", "Email", "VendorTaxIdent"):
        if tag in values:
            etree.SubElement(add, tag).text = values[tag]
    if guid:
        etree.SubElement(add, "ExternalGUID").text = guid
    return etree.tostring(request, encoding="unicode")


def same_vendor(company, ret) -> bool:
    """Clearly the business `company` is, as QuickBooks Online decides it: the vendor `ret` (a
    VendorRet) holds the legal name, phone and email a VendorAdd of the company sends, and no
    other (a detail the company lacks must be missing there too: a vendor of the same name with
    a phone or email of its own is another business), and the address lines it sends (case and
    outer spaces aside). The tax id is left out, as there: it is not always read back as it
    was written."""
    sent = dict(_vendor_values(company))
    compared = [((tag,), sent.get(tag, "")) for tag in ("CompanyName", "Phone", "Email")]
    compared += [(("VendorAddress", tag), value) for tag, value in _address_values(company)]
    return all(
        ret_text(ret, *path).strip().casefold() == value.casefold() for path, value in compared
    )


def job_add(project, customer_list_id: str) -> str:
    """CustomerAddRq making `project` a job under the customer `customer_list_id`."""
    request = etree.Element("CustomerAddRq")
    add = etree.SubElement(request, "CustomerAdd")
    etree.SubElement(add, "Name").text = job_name(project)
    parent = etree.SubElement(add, "ParentRef")
    etree.SubElement(parent, "ListID").text = customer_list_id
    return etree.tostring(request, encoding="unicode")


def query_by_full_name(operation: str, full_name: str) -> str:
    """VendorQueryRq or CustomerQueryRq for the one entry named `full_name`."""
    request = etree.Element(operation)
    etree.SubElement(request, "FullName").text = full_name
    return etree.tostring(request, encoding="unicode")
