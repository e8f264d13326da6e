"""The control API, and reading back what a bookkeeper entered: items, accounts, checks, card
charges, vendor credits and bill payments."""

from __future__ import annotations

import requests

from .conftest import rets
from .test_status_and_queries import books, run, status_of


def test_reset_leaves_an_empty_company_with_its_chart_of_accounts(qbd_sandbox):
    qbd_sandbox.seed("Vendor", Name="Bolt Electric")
    qbd_sandbox.fault("quickbooks_closed", count=3)
    qbd_sandbox.settings(password="changed", highest_qbxml="10.0")

    status = qbd_sandbox.reset()

    assert status["records"] == {"Account": 7}
    assert status["faults"] == {"absent_for_seconds": 0.0}
    assert status["company"]["highest_qbxml"] == "12.0"
    assert "password" not in status["web_connector"]


def test_bad_control_calls_get_clear_answers(qbd_sandbox):
    base = f"{qbd_sandbox.base_url}/_sandbox"
    bad_json = requests.post(f"{base}/faults", data=b"{", timeout=5)
    assert bad_json.status_code == 400 and "not valid JSON" in bad_json.json()["error"]
    unknown_fault = qbd_sandbox.call("POST", "faults", {"kind": "meteor"}, expect=400)
    assert "quickbooks_closed" in unknown_fault["error"]
    assert (
        "Unknown settings"
        in qbd_sandbox.call("POST", "settings", {"colour": "red"}, expect=400)["error"]
    )
    assert (
        "qbXML version"
        in qbd_sandbox.call("POST", "settings", {"highest_qbxml": "99"}, expect=400)["error"]
    )
    assert "No control route" in qbd_sandbox.call("GET", "nowhere", expect=404)["error"]
    assert requests.get(f"{qbd_sandbox.base_url}/qbwc/", timeout=5).status_code == 404
    assert (
        qbd_sandbox.call("DELETE", "records/80000999-1", expect=404)["error"]
        == "No record 80000999-1."
    )
    assert "Unknown kind" in qbd_sandbox.call("GET", "records/Invoice", expect=404)["error"]


def test_seeding_goes_through_quickbooks_own_checks(qbd_sandbox):
    qbd_sandbox.seed("Vendor", Name="Bolt Electric")
    taken = qbd_sandbox.call(
        "POST", "records", {"kind": "Customer", "fields": {"Name": "bolt electric"}}, expect=400
    )
    assert taken["error"].startswith("3100:")
    too_long = qbd_sandbox.call(
        "POST", "records", {"kind": "Vendor", "fields": {"Name": "v" * 42}}, expect=400
    )
    assert "at most 41" in too_long["error"]
    unknown = qbd_sandbox.call("POST", "records", {"kind": "Invoice", "fields": {}}, expect=400)
    assert "Unknown kind" in unknown["error"]


def test_item_and_account_queries(qbd_sandbox):
    books(qbd_sandbox)
    qbd_sandbox.seed(
        "ItemOtherCharge",
        Name="Retainage",
        SalesOrPurchase={"AccountRef": {"FullName": "Retainage Payable"}},
    )
    items, payables = run(
        qbd_sandbox,
        "<ItemQueryRq/>",
        "<AccountQueryRq><AccountType>AccountsPayable</AccountType></AccountQueryRq>",
    )
    assert [(item.tag, item.find("Name").text) for item in items] == [
        ("ItemServiceRet", "Electrical"),
        ("ItemOtherChargeRet", "Retainage"),
    ]
    assert rets(items)[0]["SalesAndPurchase"]["ExpenseAccountRef"]["FullName"] == "Subcontractors"
    assert [a["Name"] for a in rets(payables)] == ["Accounts Payable"]


def test_entered_costs_and_payments_are_read_with_their_job_lines(qbd_sandbox):
    books(qbd_sandbox)
    job_line = {
        "AccountRef": {"FullName": "Job Materials"},
        "Amount": "120.00",
        "CustomerRef": {"FullName": "Acme:Tower"},
    }
    check = qbd_sandbox.seed(
        "Check",
        AccountRef={"FullName": "Checking"},
        PayeeEntityRef={"FullName": "Bolt Electric"},
        TxnDate="2026-03-02",
        RefNumber="1001",
        ExpenseLineRet=[job_line],
    )
    assert check["Amount"] == "120.00"
    qbd_sandbox.seed(
        "CreditCardCharge",
        AccountRef={"FullName": "Company Card"},
        PayeeEntityRef={"FullName": "Bolt Electric"},
        ExpenseLineRet=[{**job_line, "Amount": "30.00"}],
    )
    qbd_sandbox.seed(
        "VendorCredit",
        VendorRef={"FullName": "Bolt Electric"},
        ExpenseLineRet=[{**job_line, "Amount": "15.00"}],
    )
    qbd_sandbox.seed(
        "BillPaymentCheck",
        PayeeEntityRef={"FullName": "Bolt Electric"},
        BankAccountRef={"FullName": "Checking"},
        Amount="500.00",
        AppliedToTxnRet=[{"TxnID": "33-1", "TxnType": "Bill", "Amount": "500.00"}],
    )
    qbd_sandbox.seed(
        "BillPaymentCreditCard",
        PayeeEntityRef={"FullName": "Bolt Electric"},
        CreditCardAccountRef={"FullName": "Company Card"},
        Amount="75.00",
    )

    checks, charges, credits, paid_by_check, paid_by_card = run(
        qbd_sandbox,
        "<CheckQueryRq><IncludeLineItems>true</IncludeLineItems></CheckQueryRq>",
        "<CreditCardChargeQueryRq><IncludeLineItems>true</IncludeLineItems></CreditCardChargeQueryRq>",
        "<VendorCreditQueryRq><IncludeLineItems>true</IncludeLineItems></VendorCreditQueryRq>",
        "<BillPaymentCheckQueryRq><EntityFilter><FullName>Bolt Electric</FullName></EntityFilter></BillPaymentCheckQueryRq>",
        "<BillPaymentCreditCardQueryRq/>",
    )
    assert rets(checks)[0]["ExpenseLineRet"]["CustomerRef"]["FullName"] == "Acme:Tower"
    assert rets(charges)[0]["Amount"] == "30.00"
    assert rets(credits)[0]["CreditAmount"] == "15.00"
    assert rets(paid_by_check)[0]["AppliedToTxnRet"]["TxnID"] == "33-1"
    assert rets(paid_by_card)[0]["CreditCardAccountRef"]["FullName"] == "Company Card"
    assert all(
        status_of(rs) == ("0", "Info")
        for rs in (checks, charges, credits, paid_by_check, paid_by_card)
    )


def test_seeded_entries_resolve_their_references(qbd_sandbox):
    refused = qbd_sandbox.call(
        "POST",
        "records",
        {"kind": "Check", "fields": {"AccountRef": {"FullName": "No Such Bank"}}},
        expect=400,
    )
    assert refused["error"].startswith("3140:")


def test_settings_and_seeds_of_the_wrong_shape_are_refused(qbd_sandbox):
    assert (
        "must be a float"
        in qbd_sandbox.call("POST", "settings", {"every_seconds": "soon"}, expect=400)["error"]
    )
    assert (
        "more than 0"
        in qbd_sandbox.call("POST", "settings", {"every_seconds": 0}, expect=400)["error"]
    )
    wrong = qbd_sandbox.call("POST", "records", {"kind": "Vendor", "fields": ["Name"]}, expect=400)
    assert "fields must be an object" in wrong["error"]


def test_text_with_markup_ampersands_and_line_breaks_round_trips(qbd_sandbox):
    hostile = '<script>alert(1)</script> & Sons\n"Müller"'
    vendor = qbd_sandbox.seed("Vendor", Name="Müller & Sons <script>", Notes=hostile)
    (read,) = run(
        qbd_sandbox, f"<VendorQueryRq><ListID>{vendor['ListID']}</ListID></VendorQueryRq>"
    )
    (found,) = rets(read)
    assert (found["Name"], found["Notes"]) == ("Müller & Sons <script>", hostile)
