"""The control API and the handle that the tests, demo and benchmarks use."""

from __future__ import annotations

import pytest

from integrations.quickbooks_online.sandbox.control import SandboxControlError, SandboxHandle


def test_handle_describes_the_default_company(qbo_sandbox):
    assert qbo_sandbox.realm_id == "9341453050000001"
    assert (qbo_sandbox.client_id, qbo_sandbox.client_secret) == (
        "sandbox-client",
        "sandbox-secret",
    )
    assert qbo_sandbox.discovery_url == f"{qbo_sandbox.base_url}/.well-known/openid_configuration"
    [info] = qbo_sandbox.entities("CompanyInfo")
    assert info["CompanyName"] == "Sandbox Construction Co"


def test_starter_accounts_cover_payables_expenses_and_a_bank(qbo_sandbox):
    types = {account["AccountType"] for account in qbo_sandbox.entities("Account")}
    assert {"Accounts Payable", "Bank", "Expense", "Cost of Goods Sold"} <= types


def test_reset_empties_data_and_restores_the_company(qbo_sandbox):
    qbo_sandbox.create_entity("Vendor", {"DisplayName": "Acme Drywall"})
    qbo_sandbox.reset()
    assert qbo_sandbox.entities("Vendor") == []
    assert qbo_sandbox.entities("Account")


def test_create_entity_validates_like_the_api(qbo_sandbox):
    qbo_sandbox.create_entity("Vendor", {"DisplayName": "Acme Drywall"})
    with pytest.raises(SandboxControlError) as raised:
        qbo_sandbox.create_entity("Customer", {"DisplayName": "ACME drywall"})
    assert raised.value.status == 400
    assert raised.value.body["Fault"]["Error"][0]["code"] == "6240"


def test_entities_can_leave_out_inactive_records(qbo_sandbox):
    qbo_sandbox.create_entity("Vendor", {"DisplayName": "Active One"})
    qbo_sandbox.create_entity("Vendor", {"DisplayName": "Gone One", "Active": False})
    assert [v["DisplayName"] for v in qbo_sandbox.entities("Vendor", include_inactive=False)] == [
        "Active One"
    ]
    assert len(qbo_sandbox.entities("Vendor")) == 2


def test_seed_vendors_bulk_inserts_numbered_vendors(qbo_sandbox):
    qbo_sandbox.seed_vendors(250, prefix="Sub")
    vendors = qbo_sandbox.entities("Vendor")
    assert len(vendors) == 250
    assert vendors[0]["DisplayName"] == "Sub 000001"
    assert vendors[-1]["DisplayName"] == "Sub 000250"
    assert len({v["Id"] for v in vendors}) == 250


def test_request_log_records_api_calls_but_not_control_calls(qbo_sandbox, api):
    api.get("vendor/999")
    qbo_sandbox.entities("Vendor")
    [entry] = qbo_sandbox.request_log()
    assert entry["method"] == "GET"
    assert entry["path"] == f"/v3/company/{qbo_sandbox.realm_id}/vendor/999"
    assert entry["query"] == "minorversion=75"
    assert entry["status"] == 400
    qbo_sandbox.clear_request_log()
    assert qbo_sandbox.request_log() == []


def test_unknown_fault_kind_is_refused(qbo_sandbox):
    with pytest.raises(SandboxControlError) as raised:
        qbo_sandbox.inject_fault("meteor_strike")
    assert "Unknown fault kind" in raised.value.body["error"]


def test_a_handle_can_be_built_from_just_the_base_url(qbo_sandbox):
    other = SandboxHandle(qbo_sandbox.base_url)
    assert other.realm_id == qbo_sandbox.realm_id
