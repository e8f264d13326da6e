"""The workflow speaks no ERP's language: the files cleaned so far name no ERP, none of its
entities, and read no raw ERP document. Extend FILES as more of approvals/ is cleaned."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = [
    "approvals/services/imports_cost_codes.py",
    "approvals/services/imports_jobs.py",
    "approvals/services/imports_vendors.py",
    "approvals/services/job_costs.py",
    "approvals/services/erp_bills.py",
    "approvals/services/drift.py",
    "approvals/services/sync_runs.py",
    "approvals/services/freshness.py",
    "approvals/services/erp.py",
    "approvals/sync_tasks.py",
    "approvals/selectors_job_costs.py",
    "approvals/admin/outcomes.py",
    "approvals/services/accept_questions.py",
    "approvals/services/approved.py",
    "approvals/services/descriptions.py",
    "approvals/services/lookalikes.py",
    "approvals/services/actions.py",
    "approvals/admin/decisions.py",
    "approvals/admin/described.py",
    "approvals/admin/forms.py",
    "approvals/admin/records.py",
    "templates/admin/approvals/decision.html",
    "templates/admin/approvals/includes/document_description.html",
    "templates/admin/approvals/includes/document_lines.html",
    "templates/admin/index.html",
    "templates/admin/approvals/imports_jobs.html",
    "templates/admin/approvals/imports_vendors.html",
]
ENTITIES = ("Bill", "BillPayment", "Purchase", "PurchaseOrder", "VendorCredit", "Customer", "Item")
ERP_WORDS = [
    re.compile(r"QuickBooks", re.IGNORECASE),
    re.compile(r"\bQBO\b", re.IGNORECASE),
    re.compile(r"Xero", re.IGNORECASE),
    re.compile(r"SyncToken"),
    re.compile(r"\bCDC\b", re.IGNORECASE),
    re.compile(r"change data capture", re.IGNORECASE),
    re.compile(r"\brealm", re.IGNORECASE),
    re.compile(r"requestid|request_id", re.IGNORECASE),
    re.compile(r"\[\s*[\"']Id[\"']\s*\]"),
    re.compile("[\"'](?:" + "|".join(ENTITIES) + ")[\"']"),
]


def erp_words(text: str) -> list[str]:
    return [match.group(0) for pattern in ERP_WORDS for match in pattern.finditer(text)]


@pytest.mark.parametrize("name", FILES)
def test_the_file_names_no_erp(name):
    assert erp_words((ROOT / name).read_text()) == []


def test_the_scan_finds_each_kind_of_erp_word():
    found = erp_words(
        'QuickBooks Online; qbo; SyncToken; CDC; realmId; requestid; document["Id"]; "Bill"; '
        "'VendorCredit'"
    )
    assert found == [
        "QuickBooks",
        "qbo",
        "SyncToken",
        "CDC",
        "realm",
        "requestid",
        '["Id"]',
        '"Bill"',
        "'VendorCredit'",
    ]
