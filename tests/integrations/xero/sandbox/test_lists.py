"""Contacts, accounts, tax rates, items and tracking categories: the rules Xero keeps on them and
the ways a client reads them back (where, order, IDs, paging, If-Modified-Since)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime

from .conftest import json_of, messages


def test_contact_names_are_unique_among_active_contacts_only(api):
    first = api.create("Contacts", {"Name": "Acme Drywall"})
    duplicate = api.put("Contacts", {"Contacts": [{"Name": " acme drywall "}]})
    assert duplicate.status_code == 400
    assert json_of(duplicate)["Type"] == "ValidationException"
    assert messages(duplicate) == [
        "The contact name acme drywall is already assigned to another contact. The contact name "
        "must be unique across all active contacts."
    ]
    archived = api.post(
        f"Contacts/{first['ContactID']}", {"Contacts": [{"ContactStatus": "ARCHIVED"}]}
    )
    assert json_of(archived)["Contacts"][0]["ContactStatus"] == "ARCHIVED"
    assert api.put("Contacts", {"Contacts": [{"Name": "Acme Drywall"}]}).status_code == 200
    restore = api.post(
        "Contacts", {"Contacts": [{"ContactID": first["ContactID"], "ContactStatus": "ACTIVE"}]}
    )
    assert restore.status_code == 400


def test_a_renamed_contact_frees_its_old_name_and_takes_the_new_one(api):
    contact = api.create("Contacts", {"Name": "Old Name Pty"})
    api.post(f"Contacts/{contact['ContactID']}", {"Contacts": [{"Name": "New Name Pty"}]})
    assert api.put("Contacts", {"Contacts": [{"Name": "old name pty"}]}).status_code == 200
    assert api.put("Contacts", {"Contacts": [{"Name": "NEW NAME PTY"}]}).status_code == 400


def test_names_are_checked_against_each_other_in_a_call_of_many(api):
    many = [{"Name": f"Subcontractor {number:04d}"} for number in range(600)]
    answer = api.put("Contacts", {"Contacts": [*many, {"Name": "subcontractor 0042 "}]})
    assert messages(answer) == [
        "The contact name subcontractor 0042 is already assigned to another contact. The "
        "contact name must be unique across all active contacts."
    ]
    assert api.put("Contacts", {"Contacts": many}).status_code == 200
    assert len(json_of(api.get("Contacts"))["Contacts"]) == 600


def test_a_failing_element_fails_the_whole_call_unless_summarize_errors_is_false(api, xero_sandbox):
    payload = {"Contacts": [{"Name": "Good Co"}, {"Name": "x" * 256}]}
    assert api.put("Contacts", payload).status_code == 400
    assert xero_sandbox.records("Contact") == []
    answer = api.put("Contacts", payload, summarizeErrors="False")
    assert answer.status_code == 200
    good, bad = json_of(answer)["Contacts"]
    assert (good["StatusAttributeString"], bad["StatusAttributeString"]) == ("OK", "ERROR")
    assert bad["ContactID"] == "00000000-0000-0000-0000-000000000000"
    assert bad["HasValidationErrors"] is True
    assert [c["Name"] for c in xero_sandbox.records("Contact")] == ["Good Co"]


def test_is_supplier_is_xeros_to_set_not_the_clients(api):
    contact = api.create(
        "Contacts", {"Name": "Acme", "IsSupplier": True, "HasValidationErrors": True}
    )
    assert (contact["IsSupplier"], contact["HasValidationErrors"]) == (False, False)


def test_a_contacts_addresses_phones_and_terms_keep_the_spec_s_fields_only(api):
    contact = api.create(
        "Contacts",
        {
            "Name": "<script>alert(1)</script> Pty",
            "Addresses": [{"AddressType": "POBOX", "City": "Perth", "Evil": {"x": 1}}],
            "Phones": [{"PhoneType": "MOBILE", "PhoneNumber": "0400 000 000", "Extra": 1}],
            "ContactPersons": [{"FirstName": "Ann", "IncludeInEmails": True, "Role": "AP"}],
            "PaymentTerms": {"Bills": {"Day": 45, "Type": "DAYSAFTERBILLDATE", "Note": "x"}},
        },
    )
    assert contact["Name"] == "<script>alert(1)</script> Pty"  # stored as text, as Xero does
    assert contact["Addresses"] == [{"AddressType": "POBOX", "City": "Perth"}]
    assert contact["Phones"] == [{"PhoneType": "MOBILE", "PhoneNumber": "0400 000 000"}]
    assert contact["ContactPersons"] == [{"FirstName": "Ann", "IncludeInEmails": True}]
    assert contact["PaymentTerms"] == {"Bills": {"Day": 45, "Type": "DAYSAFTERBILLDATE"}}
    cases = [
        ({"Addresses": [1, 2]}, "Addresses must be a list of objects."),
        (
            {"Phones": [{"PhoneType": "PAGER"}]},
            "PhoneType must be one of DEFAULT, DDI, MOBILE, FAX, OFFICE; 'PAGER' is not.",
        ),
        ({"Addresses": [{"City": "Perth"}]}, "AddressType is required for each address."),
        (
            {"Addresses": [{"AddressType": "STREET", "PostalCode": "9" * 51}]},
            "PostalCode must not be more than 50 characters long.",
        ),
        (
            {"PaymentTerms": {"Bills": {"Day": "soon", "Type": "OFCURRENTMONTH"}}},
            "PaymentTerms Bills needs a whole Day of 0 or more and a Type.",
        ),
    ]
    for fields, message in cases:
        answer = api.put("Contacts", {"Contacts": [{"Name": "Careless Co", **fields}]})
        assert messages(answer) == [message]


def test_contacts_are_read_by_id_number_ids_where_search_and_page(api, xero_sandbox):
    acme = api.create(
        "Contacts", {"Name": "Acme", "ContactNumber": "V-100", "EmailAddress": "ap@acme.example"}
    )
    ids = xero_sandbox.seed_contacts(3, prefix="Sub")
    assert json_of(api.get("Contacts/V-100"))["Contacts"][0]["ContactID"] == acme["ContactID"]
    assert api.get("Contacts/6f7b2c10-0000-4000-8000-000000000000").text == (
        "The resource you're looking for cannot be found"
    )
    listed = json_of(api.get("Contacts", IDs=",".join(ids[:2])))["Contacts"]
    assert sorted(c["ContactID"] for c in listed) == sorted(ids[:2])
    assert [
        c["Name"]
        for c in json_of(api.get("Contacts", where='Name.StartsWith("sub")', order="Name DESC"))[
            "Contacts"
        ]
    ] == [
        "Sub 0003",
        "Sub 0002",
        "Sub 0001",
    ]
    assert [c["Name"] for c in json_of(api.get("Contacts", searchTerm="ACME.EX"))["Contacts"]] == [
        "Acme"
    ]
    summary = json_of(api.get("Contacts", summaryOnly="true", page="1", pageSize="2"))
    assert summary["pagination"] == {"page": 1, "pageSize": 2, "pageCount": 2, "itemCount": 4}
    assert "Addresses" not in summary["Contacts"][0]


def test_a_page_past_the_last_is_empty_and_says_how_many_there_are(api, xero_sandbox):
    xero_sandbox.seed_contacts(3)
    answer = json_of(api.get("Contacts", page=3, pageSize=2))
    assert answer["Contacts"] == []
    assert answer["pagination"] == {"page": 3, "pageSize": 2, "pageCount": 2, "itemCount": 3}


def test_a_bad_where_is_a_query_parse_exception(api):
    answer = api.get("Contacts", where='Name=="Acme" AND')
    assert answer.status_code == 400
    assert json_of(answer) == {
        "ErrorNumber": 16,
        "Type": "QueryParseException",
        "Message": "Expression expected",
    }


def test_archived_contacts_are_listed_only_when_asked(api):
    contact = api.create("Contacts", {"Name": "Old Supplier"})
    api.post(f"Contacts/{contact['ContactID']}", {"Contacts": [{"ContactStatus": "ARCHIVED"}]})
    assert json_of(api.get("Contacts"))["Contacts"] == []
    assert len(json_of(api.get("Contacts", includeArchived="True"))["Contacts"]) == 1


def test_if_modified_since_returns_what_changed_since_with_or_without_offset(api):
    first = api.create("Contacts", {"Name": "Early"})
    seen = first["UpdatedDateUTC"]  # /Date(ms+0000)/
    milliseconds = int(seen[6:19])
    moment = datetime.fromtimestamp(milliseconds / 1000, UTC) + timedelta(microseconds=1000)
    api.create("Contacts", {"Name": "Late"})
    for header in (
        moment.isoformat(),  # with +00:00 and microseconds
        moment.replace(tzinfo=None).isoformat(),  # no offset: UTC
        (moment + timedelta(hours=10)).replace(tzinfo=None).isoformat() + "+10:00",
    ):
        names = [
            c["Name"]
            for c in json_of(api.get("Contacts", headers={"If-Modified-Since": header}))["Contacts"]
        ]
        assert names == ["Late"], header


def test_if_modified_since_takes_the_http_date_standard_clients_send(api):
    api.create("Contacts", {"Name": "Acme"})
    now = datetime.now(UTC)
    for moment, expected in ((now - timedelta(days=1), ["Acme"]), (now + timedelta(days=1), [])):
        header = format_datetime(moment, usegmt=True)  # "Wed, 21 Oct 2026 07:28:00 GMT"
        answer = api.get("Contacts", headers={"If-Modified-Since": header})
        assert [c["Name"] for c in json_of(answer)["Contacts"]] == expected, header


def test_the_chart_of_accounts_tax_rates_and_organisation(api):
    bank = json_of(api.get("Accounts", where='Status=="ACTIVE" AND Type=="BANK"'))["Accounts"]
    assert [a["Code"] for a in bank] == ["090"]
    liabilities = json_of(api.get("Accounts", where='Type=="CURRLIAB"'))["Accounts"]
    assert "Retentions Payable" in [a["Name"] for a in liabilities]
    expenses = json_of(api.get("Accounts", where='Class=="EXPENSE" && Status=="ACTIVE"'))[
        "Accounts"
    ]
    assert {a["Code"] for a in expenses} >= {"310", "320", "429"}
    rates = {r["TaxType"]: r for r in json_of(api.get("TaxRates"))["TaxRates"]}
    assert rates["INPUT"]["EffectiveRate"] == Decimal("10.0000")
    organisation = json_of(api.get("Organisation"))["Organisations"][0]
    assert (organisation["CountryCode"], organisation["BaseCurrency"]) == ("AU", "AUD")
    assert api.post("Organisation", {}).status_code == 501
    assert api.put("TaxRates", {"TaxRates": []}).status_code == 501


def test_a_new_account_needs_a_unique_code_and_name(api):
    created = api.put("Accounts", {"Code": "340", "Name": "Plant Hire", "Type": "DIRECTCOSTS"})
    assert json_of(created)["Accounts"][0]["Class"] == "EXPENSE"
    again = api.put("Accounts", {"Code": "341", "Name": "plant hire", "Type": "EXPENSE"})
    assert messages(again) == ["Please enter a unique Name."]


def test_items_have_unique_codes_and_post_updates_by_code(api):
    item = api.create(
        "Items",
        {
            "Code": "DW-01",
            "Name": "Drywall",
            "PurchaseDetails": {"UnitPrice": 12.5, "AccountCode": "330"},
        },
    )
    assert api.put("Items", {"Items": [{"Code": "dw-01"}]}).status_code == 400
    updated = json_of(api.post("Items", {"Items": [{"Code": "DW-01", "Name": "Drywall sheet"}]}))[
        "Items"
    ][0]
    assert (updated["ItemID"], updated["Name"]) == (item["ItemID"], "Drywall sheet")
    assert json_of(api.get("Items/DW-01"))["Items"][0]["ItemID"] == item["ItemID"]


def test_at_most_two_active_tracking_categories(api):
    for name in ("Job", "Region"):
        assert api.put("TrackingCategories", {"Name": name}).status_code == 200
    third = api.put("TrackingCategories", {"Name": "Phase"})
    assert messages(third) == ["An organisation can have at most 2 active tracking categories."]
    region = next(
        c
        for c in json_of(api.get("TrackingCategories"))["TrackingCategories"]
        if c["Name"] == "Region"
    )
    archived = api.post(
        f"TrackingCategories/{region['TrackingCategoryID']}", {"Status": "ARCHIVED"}
    )
    assert json_of(archived)["TrackingCategories"][0]["Status"] == "ARCHIVED"
    assert api.put("TrackingCategories", {"Name": "Phase"}).status_code == 200
    listed = json_of(api.get("TrackingCategories", includeArchived="TRUE"))["TrackingCategories"]
    assert sorted(c["Name"] for c in listed) == ["Job", "Phase", "Region"]


def test_tracking_option_names_and_the_active_option_limit(api, xero_sandbox):
    xero_sandbox.set_max_active_options(2)
    category = json_of(api.put("TrackingCategories", {"Name": "Job"}))["TrackingCategories"][0]
    options = f"TrackingCategories/{category['TrackingCategoryID']}/Options"
    too_long = api.put(options, {"Name": "J" * 101})
    assert messages(too_long) == ["The tracking option name must be 100 characters or fewer."]
    first = json_of(api.put(options, {"Name": "J-1"}))["Options"][0]
    assert messages(api.put(options, {"Name": "j-1"})) == [
        "The option j-1 already exists in tracking category Job."
    ]
    api.put(options, {"Name": "J-2"})
    assert messages(api.put(options, {"Name": "J-3"})) == [
        "The tracking category Job already has 2 active options."
    ]
    api.post(f"{options}/{first['TrackingOptionID']}", {"Status": "ARCHIVED"})
    assert api.put(options, {"Name": "J-3"}).status_code == 200
    shown = json_of(api.get(f"TrackingCategories/{category['TrackingCategoryID']}"))
    assert [o["Name"] for o in shown["TrackingCategories"][0]["Options"]] == ["J-2", "J-3"]


def test_a_used_tracking_option_can_be_archived_not_deleted(api, supplier):
    category = json_of(api.put("TrackingCategories", {"Name": "Job"}))["TrackingCategories"][0]
    options = f"TrackingCategories/{category['TrackingCategoryID']}/Options"
    used = json_of(api.put(options, {"Name": "J-1"}))["Options"][0]
    unused = json_of(api.put(options, {"Name": "J-2"}))["Options"][0]
    api.create(
        "PurchaseOrders",
        {
            "Contact": {"ContactID": supplier["ContactID"]},
            "LineItems": [
                {
                    "Description": "Work",
                    "LineAmount": 10,
                    "AccountCode": "320",
                    "Tracking": [{"Name": "Job", "Option": "J-1"}],
                }
            ],
        },
    )
    refused = api.send("DELETE", f"{options}/{used['TrackingOptionID']}")
    assert messages(refused) == [
        "This tracking option has been used on transactions: archive it instead."
    ]
    deleted = api.send("DELETE", f"{options}/{unused['TrackingOptionID']}")
    assert json_of(deleted)["Options"][0]["Status"] == "DELETED"
