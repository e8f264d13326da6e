"""Customers (and jobs), vendors, items, accounts and classes: QuickBooks' naming rules."""

from __future__ import annotations

import pytest

from .conftest import json_of


def error_of(response) -> dict:
    assert response.status_code == 400, response.text
    [error] = json_of(response)["Fault"]["Error"]
    return error


def test_jobs_nest_under_customers_with_level_and_qualified_name(api):
    owner = api.create("Customer", {"DisplayName": "Smith Construction"})
    job = api.create(
        "Customer",
        {
            "DisplayName": "Smith Residence",
            "Job": True,
            "BillWithParent": True,
            "ParentRef": {"value": owner["Id"]},
        },
    )
    phase = api.create(
        "Customer",
        {
            "DisplayName": "Smith Residence - Kitchen",
            "Job": True,
            "ParentRef": {"value": job["Id"]},
        },
    )
    assert (job["Level"], job["FullyQualifiedName"]) == (1, "Smith Construction:Smith Residence")
    assert job["ParentRef"] == {"value": owner["Id"]}
    assert job["BillWithParent"] is True
    assert phase["Level"] == 2
    assert (
        phase["FullyQualifiedName"]
        == "Smith Construction:Smith Residence:Smith Residence - Kitchen"
    )


def test_renaming_a_customer_renames_its_jobs_qualified_names(api):
    owner = api.create("Customer", {"DisplayName": "Smith Construction"})
    job = api.create(
        "Customer",
        {"DisplayName": "Smith Residence", "Job": True, "ParentRef": {"value": owner["Id"]}},
    )
    api.post(
        "customer",
        {"Id": owner["Id"], "SyncToken": "0", "sparse": True, "DisplayName": "Smith Builders"},
    )
    reread = json_of(api.get(f"customer/{job['Id']}"))["Customer"]
    assert reread["FullyQualifiedName"] == "Smith Builders:Smith Residence"


def test_job_needs_a_parent(api):
    assert error_of(api.post("customer", {"DisplayName": "Orphan", "Job": True}))["code"] == "2020"


def test_jobs_nest_at_most_four_levels(api):
    parent = api.create("Customer", {"DisplayName": "Level 0"})
    for level in range(1, 5):
        parent = api.create(
            "Customer",
            {"DisplayName": f"Level {level}", "Job": True, "ParentRef": {"value": parent["Id"]}},
        )
    too_deep = api.post(
        "customer", {"DisplayName": "Level 5", "Job": True, "ParentRef": {"value": parent["Id"]}}
    )
    assert error_of(too_deep)["code"] == "6000"


def test_display_names_are_unique_across_customers_vendors_and_jobs_ignoring_case(api):
    owner = api.create("Customer", {"DisplayName": "Owner A"})
    other = api.create("Customer", {"DisplayName": "Owner B"})
    api.create(
        "Customer", {"DisplayName": "Kitchen", "Job": True, "ParentRef": {"value": owner["Id"]}}
    )
    second_kitchen = api.post(
        "customer", {"DisplayName": "KITCHEN", "Job": True, "ParentRef": {"value": other["Id"]}}
    )
    assert error_of(second_kitchen)["code"] == "6240"
    assert error_of(api.post("vendor", {"DisplayName": "kitchen"}))["code"] == "6240"


def test_inactive_records_keep_their_name(api):
    vendor = api.create("Vendor", {"DisplayName": "Old Sub"})
    api.post("vendor", {"Id": vendor["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    assert error_of(api.post("vendor", {"DisplayName": "Old Sub"}))["code"] == "6240"


@pytest.mark.parametrize("bad", ["Acme: Drywall", "Acme\tDrywall", "Acme\nDrywall"])
def test_forbidden_characters_in_names(api, bad):
    error = error_of(api.post("vendor", {"DisplayName": bad}))
    assert error["code"] == "6000"
    assert "DisplayName cannot contain a colon" in error["Detail"]


def test_names_longer_than_documented_are_refused(api):
    error = error_of(api.post("vendor", {"DisplayName": "x" * 501}))
    assert error == {
        "Message": "String length specified does not match the supported length",
        "Detail": "Min:0 Max:500 supported. Supplied length:501",
        "code": "2050",
        "element": "DisplayName",
    }
    assert (
        error_of(api.post("vendor", {"DisplayName": "ok", "CompanyName": "c" * 101}))["code"]
        == "2050"
    )
    assert api.post("vendor", {"DisplayName": "x" * 500}).status_code == 200


def test_display_name_is_generated_from_the_name_parts(api):
    vendor = api.create("Vendor", {"GivenName": "Dianne", "FamilyName": "Bradley"})
    assert vendor["DisplayName"] == "Dianne Bradley"
    assert error_of(api.post("vendor", {"CompanyName": "No Name Co"}))["code"] == "2020"


def test_email_must_look_like_an_address(api):
    error = error_of(
        api.post("vendor", {"DisplayName": "A", "PrimaryEmailAddr": {"Address": "nope"}})
    )
    assert error["code"] == "2010"


def test_name_lists_cannot_be_deleted_only_deactivated(api, qbo_sandbox):
    vendor = api.create("Vendor", {"DisplayName": "Acme Drywall"})
    refused = api.post("vendor", {"Id": vendor["Id"], "SyncToken": "0"}, operation="delete")
    assert error_of(refused)["code"] == "500"
    response = api.post(
        "vendor", {"Id": vendor["Id"], "SyncToken": "0", "sparse": True, "Active": False}
    )
    assert json_of(response)["Vendor"]["Active"] is False
    assert qbo_sandbox.entities("Vendor", include_inactive=False) == []


def test_sparse_update_changes_only_what_is_sent(api):
    vendor = api.create(
        "Vendor", {"DisplayName": "Acme Drywall", "AcctNum": "A-1", "CompanyName": "Acme"}
    )
    updated = json_of(
        api.post("vendor", {"Id": vendor["Id"], "SyncToken": "0", "sparse": True, "AcctNum": "A-2"})
    )["Vendor"]
    assert (updated["AcctNum"], updated["CompanyName"], updated["SyncToken"]) == (
        "A-2",
        "Acme",
        "1",
    )
    assert updated["sparse"] is False


def test_full_update_clears_writable_fields_left_out(api):
    vendor = api.create("Vendor", {"DisplayName": "Acme Drywall", "AcctNum": "A-1"})
    updated = json_of(
        api.post("vendor", {"Id": vendor["Id"], "SyncToken": "0", "DisplayName": "Acme Drywall"})
    )["Vendor"]
    assert "AcctNum" not in updated
    assert updated["SyncToken"] == "1"


def test_sparse_update_cannot_remove_the_display_name(api):
    vendor = api.create("Vendor", {"DisplayName": "Acme Drywall"})
    response = api.post(
        "vendor", {"Id": vendor["Id"], "SyncToken": "0", "sparse": True, "DisplayName": ""}
    )
    assert error_of(response)["code"] == "2020"


def test_sync_token_increments_and_stale_or_future_tokens_fail(api):
    vendor = api.create("Vendor", {"DisplayName": "Acme Drywall"})
    for expected in ("1", "2", "3"):
        current = str(int(expected) - 1)
        response = api.post(
            "vendor", {"Id": vendor["Id"], "SyncToken": current, "sparse": True, "Notes": expected}
        )
        assert json_of(response)["Vendor"]["SyncToken"] == expected
    assert (
        error_of(api.post("vendor", {"Id": vendor["Id"], "SyncToken": "1", "sparse": True}))["code"]
        == "5010"
    )
    assert (
        error_of(api.post("vendor", {"Id": vendor["Id"], "SyncToken": "9", "sparse": True}))["code"]
        == "5010"
    )


def test_update_without_sync_token_is_a_missing_parameter(api):
    vendor = api.create("Vendor", {"DisplayName": "Acme Drywall"})
    assert error_of(api.post("vendor", {"Id": vendor["Id"], "sparse": True}))["code"] == "2020"


def test_reading_an_unknown_id_is_object_not_found(api):
    assert error_of(api.get("vendor/424242"))["code"] == "610"
    assert error_of(api.get("customer/not-a-number"))["code"] == "610"


def test_items_need_a_type_and_the_documented_accounts(api, accounts):
    assert error_of(api.post("item", {"Name": "01-000 General"}))["element"] == "Type"
    no_expense = api.post("item", {"Name": "01-000 General", "Type": "NonInventory"})
    assert error_of(no_expense)["element"] == "ExpenseAccountRef"
    service_without_income = api.post(
        "item",
        {
            "Name": "02-000",
            "Type": "Service",
            "ExpenseAccountRef": {"value": accounts["Subcontractors"]},
        },
    )
    assert error_of(service_without_income)["element"] == "IncomeAccountRef"
    item = api.create(
        "Item",
        {
            "Name": "01-000 General",
            "Type": "NonInventory",
            "ExpenseAccountRef": {"value": accounts["Subcontractors"]},
        },
    )
    assert item["ExpenseAccountRef"] == {
        "value": accounts["Subcontractors"],
        "name": "Subcontractors",
    }


def test_items_group_under_categories_only(api, accounts):
    category = api.create("Item", {"Name": "Division 03", "Type": "Category"})
    concrete = api.create(
        "Item",
        {
            "Name": "03-100 Forms",
            "Type": "NonInventory",
            "ExpenseAccountRef": {"value": accounts["Subcontractors"]},
            "SubItem": True,
            "ParentRef": {"value": category["Id"]},
        },
    )
    assert concrete["FullyQualifiedName"] == "Division 03:03-100 Forms"
    under_item = api.post(
        "item",
        {
            "Name": "03-110",
            "Type": "NonInventory",
            "ExpenseAccountRef": {"value": accounts["Subcontractors"]},
            "ParentRef": {"value": concrete["Id"]},
        },
    )
    assert error_of(under_item)["code"] == "6000"


def test_item_names_are_unique_and_limited(api):
    api.create("Item", {"Name": "Division 03", "Type": "Category"})
    assert error_of(api.post("item", {"Name": "division 03", "Type": "Category"}))["code"] == "6240"
    assert error_of(api.post("item", {"Name": "x" * 101, "Type": "Category"}))["code"] == "2050"


def test_accounts_refuse_quotes_and_colons_and_derive_classification(api):
    assert (
        error_of(api.post("account", {"Name": 'Bad "name"', "AccountType": "Expense"}))["code"]
        == "6000"
    )
    assert error_of(api.post("account", {"Name": "Fuel"}))["element"] == "AccountType"
    fuel = api.create("Account", {"Name": "Fuel", "AccountType": "Expense"})
    assert fuel["Classification"] == "Expense"
    assert (
        error_of(api.post("account", {"Name": "FUEL", "AccountType": "Expense"}))["code"] == "6240"
    )


def test_classes_nest(api):
    region = api.create("Class", {"Name": "West"})
    branch = api.create(
        "Class", {"Name": "Seattle", "SubClass": True, "ParentRef": {"value": region["Id"]}}
    )
    assert (branch["FullyQualifiedName"], branch["SubClass"]) == ("West:Seattle", True)


def test_a_parent_that_is_inactive_is_not_found(api):
    owner = api.create("Customer", {"DisplayName": "Gone Owner"})
    api.post("customer", {"Id": owner["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    job = api.post(
        "customer", {"DisplayName": "Job", "Job": True, "ParentRef": {"value": owner["Id"]}}
    )
    error = error_of(job)
    assert (error["code"], error["element"]) == ("610", "ParentRef")
