"""The workflow speaks no ERP's language: approvals/ and the workflow's templates name no ERP,
none of its entities, and read no raw ERP document. Only migrations (history) and the demo
(approvals/demo/ and its command, which seed the QuickBooks Online or Xero sandbox, or the local
QuickBooks Desktop) may; each ERP's own templates live in its folder of templates/integrations/."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = (
    "approvals/migrations/",
    "approvals/demo/",
    "approvals/management/commands/demo.py",
    "templates/integrations/",
)


def _scanned() -> list[str]:
    files = [*ROOT.glob("approvals/**/*.py"), *ROOT.glob("templates/**/*.html")]
    files += ROOT.glob("templates/**/*.txt")
    names = sorted(str(path.relative_to(ROOT)) for path in files)
    return [name for name in names if not name.startswith(ALLOWED) and "__pycache__" not in name]


FILES = _scanned()
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
    re.compile(r"ListID|EditSequence"),
    re.compile(r"\[\s*[\"']Id[\"']\s*\]"),
    # An entity's name as a string, not the label of a neutral choice (BILL = "bill", "Bill").
    re.compile("(?<![\"'], )[\"'](?:" + "|".join(ENTITIES) + ")[\"']"),
]


def erp_words(text: str) -> list[str]:
    return [match.group(0) for pattern in ERP_WORDS for match in pattern.finditer(text)]


def test_the_scan_covers_the_workflow():
    assert "approvals/services/workflow/actions.py" in FILES
    assert "templates/admin/approvals/decision.html" in FILES
    assert len(FILES) > 100


@pytest.mark.parametrize("name", FILES)
def test_the_file_names_no_erp(name):
    assert erp_words((ROOT / name).read_text()) == []


def test_the_scan_finds_each_kind_of_erp_word():
    found = erp_words(
        'QuickBooks Online; qbo; SyncToken; CDC; realmId; requestid; ListID; document["Id"]; '
        '"Bill"; \'VendorCredit\'; BILL = "bill", "Bill"'
    )
    assert found == [
        "QuickBooks",
        "qbo",
        "SyncToken",
        "CDC",
        "realm",
        "requestid",
        "ListID",
        '["Id"]',
        '"Bill"',
        "'VendorCredit'",
    ]
