"""Shared scene for the workflow tests.

The generic workflow is tested against a connected Xero company: this installation has no Xero
connector, so nothing here reaches the network, and every export of it fails permanently with
the registry's own sentence. Tests that need an export to behave a certain way register the
scripted connector of tests/approvals/scripted_connector.py for Xero; tests of the imports
register it with the scripted reader of tests/approvals/scripted_reader.py.
"""

from dataclasses import dataclass

import pytest
from django.utils import timezone

from approvals.models import (
    Commitment,
    CommitmentChangeOrder,
    Company,
    CostCode,
    Project,
    SubcontractorInvoice,
)
from approvals.states import SyncStatus
from integrations.models import ERPConnection, ERPKind
from tests import records
from tests.factories import make_erp_connection, make_project, make_user
from tests.registering import register_test_connector


@pytest.fixture
def erp_connection(db):
    return make_erp_connection(kind=ERPKind.XERO)


@pytest.fixture
def project(erp_connection):
    return make_project(synced=True)


@pytest.fixture
def pm(project):
    return make_user(role="project_manager", projects=[project], first_name="Pat")


@pytest.fixture
def approver(db):
    return make_user(role="approver", username="alice", first_name="Alice")


@pytest.fixture
def invoice_approver(db):
    return make_user(username="ivan", approve=[SubcontractorInvoice])


@pytest.fixture
def administrator(db):
    return make_user(role="administrator")


@pytest.fixture
def scripted_connector(monkeypatch, erp_connection):
    """Register the scripted connector and reader for the Xero connection, their ERP empty;
    returns the connector's script."""
    from tests.approvals import scripted_connector as module
    from tests.approvals import scripted_reader

    scripted_reader.reset()
    module.SCRIPT.clear()
    module.CALLS.clear()
    module.FOUND.clear()
    module.LOOKED_UP.clear()
    module.CLOSED_THROUGH.clear()
    module.PROBLEMS.clear()
    register_test_connector(
        monkeypatch,
        ERPKind.XERO,
        "tests.approvals.scripted_connector.ScriptedConnector",
        reader="tests.approvals.scripted_reader.ScriptedReader",
    )
    return module


@pytest.fixture
def erp_books(scripted_connector):
    """What the scripted ERP of the Xero connection holds, read through the scripted reader."""
    from tests.approvals import scripted_reader

    return scripted_reader.BOOKS


@dataclass
class Books:
    """Our project, vendor and subcontract in the scripted ERP, and the people working on them."""

    connection: ERPConnection
    cost_codes: dict[str, CostCode]
    pm: object
    approver: object
    project: Project
    vendor: Company
    commitment: Commitment


def linked(record, connection: ERPConnection, erp_id: str):
    """`record` as a finished export to `connection` leaves it."""
    type(record).objects.filter(pk=record.pk).update(
        sync_status=SyncStatus.SYNCED,
        erp_connection=connection,
        erp_id=erp_id,
        erp_version="0",
        erp_synced_at=timezone.now(),
    )
    record.refresh_from_db()
    return record


@pytest.fixture
def books(erp_connection, scripted_connector) -> Books:
    """The scene of tests/records.py in the scripted ERP: a project manager (Pat) and an approver
    (Alex), three standard cost codes, and our project, vendor and two-line subcontract synced."""
    pm, approver = records.people()
    cost_codes = {
        name: CostCode.objects.create(
            code=f"801-{position}00",
            name=name,
            erp_connection=erp_connection,
            erp_id=f"item-{position}",
        )
        for position, name in enumerate(records.ITEMS, start=1)
    }
    project = linked(
        make_project(number="P-1801", name="Riverside Clinic", members=[pm]),
        erp_connection,
        "job-1",
    )
    vendor = linked(
        Company.objects.create(
            name="Acme Drywall", legal_name="Acme Drywall & Framing LLC", email="ap@acme.example"
        ),
        erp_connection,
        "vendor-1",
    )
    commitment = records.new_commitment(project, vendor, cost_codes, number="SC-1001-004")
    for position, line in enumerate(commitment.lines.order_by("position"), start=1):
        type(line).objects.filter(pk=line.pk).update(erp_line_id=str(position))
    linked(commitment, erp_connection, "po-1")
    return Books(
        erp_connection,
        cost_codes,
        records.fresh(pm),
        records.fresh(approver),
        project,
        vendor,
        commitment,
    )


EXPORTABLE = [Company, Commitment, CommitmentChangeOrder, SubcontractorInvoice]
