"""The workflow's tests need no ERP of ours: no file under tests/approvals imports an ERP's folder
(integrations/<erp>/), directly or through a test module it imports, nor uses the QuickBooks
Online sandbox's fixtures (qbo_*). So `make test` runs them with no ERP installed (ERP_APPS=""),
against the scripted connector and reader, and they prove the workflow speaks to any ERP."""

import ast
import re
from pathlib import Path

import pytest

from tests.architecture.test_import_boundaries import ERP_MODULES, imported_modules

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_TESTS = sorted(
    path for path in (ROOT / "tests" / "approvals").rglob("*.py") if "__pycache__" not in path.parts
)
QBO_FIXTURE = re.compile(r"^qbo(_\w+)?$")


def module_file(module: str) -> Path | None:
    """The file of one of our test modules ("tests.records"), or None for anything else."""
    if not module.startswith("tests."):
        return None
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def erp_imports(path: Path) -> list[str]:
    """ERP modules `path` imports, itself or through the test modules it imports: each as
    "module (through tests/...)"."""
    found, seen, waiting = [], {path}, [path]
    while waiting:
        current = waiting.pop()
        for module in imported_modules(current):
            if module.startswith(ERP_MODULES):
                found.append(f"{module} (through {shown(current)})")
            imported = module_file(module)
            if imported is not None and imported not in seen:
                seen.add(imported)
                waiting.append(imported)
    return sorted(found)


def qbo_fixtures(path: Path) -> list[str]:
    """The QuickBooks Online fixtures `path` asks for: as arguments, or by name."""
    used = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
            used += [argument.arg for argument in arguments if QBO_FIXTURE.match(argument.arg)]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            used += [node.value] if QBO_FIXTURE.match(node.value) else []
    return used


def test_the_scan_covers_the_workflow_tests():
    names = {str(path.relative_to(ROOT)) for path in WORKFLOW_TESTS}
    assert "tests/approvals/conftest.py" in names
    assert "tests/approvals/services/importing/test_job_costs.py" in names
    assert len(names) > 50


@pytest.mark.parametrize("path", WORKFLOW_TESTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_a_workflow_test_imports_no_erp(path):
    assert erp_imports(path) == []


@pytest.mark.parametrize("path", WORKFLOW_TESTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_a_workflow_test_uses_no_quickbooks_fixture(path):
    assert qbo_fixtures(path) == []


def test_the_scan_finds_an_erp_reached_through_a_test_module_and_each_kind_of_fixture(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "import pytest\n"
        "from tests.reliability import scene\n"
        "from tests.records import people\n\n"
        "@pytest.mark.usefixtures('qbo_settings')\n"
        "def test_one(qbo_sandbox, qbo, qbox, *, qbo_connection):\n"
        "    from integrations.quickbooks_online.mapping import as_decimal\n"
    )

    reached = erp_imports(sample)
    assert "integrations.quickbooks_online.client (through tests/reliability/scene.py)" in reached
    assert "integrations.quickbooks_online.mapping (through test_sample.py)" in reached
    assert not any("tests/records.py" in line for line in reached)
    assert sorted(qbo_fixtures(sample)) == ["qbo", "qbo_connection", "qbo_sandbox", "qbo_settings"]
