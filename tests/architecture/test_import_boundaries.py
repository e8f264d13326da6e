"""One seam between the workflow and each ERP: approvals/ imports nothing from an ERP's folder,
and an ERP's folder uses of approvals/ only its models, its states and the inbound entry points
(approvals.inbound). Read from the code's import statements, so a new module is
covered the day it is written."""

import ast
from pathlib import Path

import pytest

from integrations.registry import ERPS

ROOT = Path(__file__).resolve().parents[2]
ERP_FOLDERS = sorted({entry.app.split(".")[1] for entry in ERPS.values() if entry.app})
ERP_MODULES = tuple(f"integrations.{folder}" for folder in ERP_FOLDERS)
WORKFLOW_SURFACE = ("approvals.models", "approvals.states", "approvals.inbound")
# The demo seeds a QuickBooks Online company, a Xero organisation or a QuickBooks Desktop company
# in its sandbox, and says so.
DEMO = (
    "approvals/demo/__init__.py",
    "approvals/demo/xero.py",
    "approvals/demo/quickbooks_desktop.py",
    "approvals/management/commands/demo.py",
)


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    modules = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.append(node.module)
            modules += [f"{node.module}.{alias.name}" for alias in node.names]
    return modules


def python_files(folder: str) -> list[Path]:
    return sorted(path for path in (ROOT / folder).rglob("*.py") if "migrations" not in path.parts)


def test_every_erp_of_the_registry_has_its_folder():
    assert ERP_FOLDERS == ["quickbooks_desktop", "quickbooks_online", "xero"]
    assert all((ROOT / "integrations" / folder).is_dir() for folder in ERP_FOLDERS)


@pytest.mark.parametrize(
    "path",
    [path for path in python_files("approvals") if str(path.relative_to(ROOT)) not in DEMO],
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_the_workflow_imports_nothing_from_an_erp_folder(path):
    reaching = [module for module in imported_modules(path) if module.startswith(ERP_MODULES)]
    assert reaching == []


@pytest.mark.parametrize(
    "path",
    [path for folder in ERP_FOLDERS for path in python_files(f"integrations/{folder}")],
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_an_erp_folder_uses_only_the_workflow_s_surface(path):
    inside = [
        module
        for module in imported_modules(path)
        if module.startswith("approvals") and not module.startswith(WORKFLOW_SURFACE)
    ]
    # `from approvals import inbound` names the package, then the module.
    inside = [module for module in inside if module != "approvals"]
    assert inside == []


def test_the_scan_reads_both_kinds_of_import(tmp_path):
    module = tmp_path / "sample.py"
    module.write_text("import approvals.selectors\nfrom approvals.services import erp\n")
    assert imported_modules(module) == [
        "approvals.selectors",
        "approvals.services",
        "approvals.services.erp",
    ]
