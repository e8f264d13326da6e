"""Shared scene for the workflow tests.

The generic workflow is tested against a connected Xero company: this installation has no Xero
connector, so nothing here reaches the network, and every export of it fails permanently with
the registry's own sentence. Tests that need an export to behave a certain way register the
scripted connector of tests/approvals/scripted_connector.py for Xero; tests of the imports
register it with the scripted reader of tests/approvals/scripted_reader.py.
"""

import pytest

from approvals.models import Commitment, CommitmentChangeOrder, Company, SubcontractorInvoice
from integrations.models import ERPKind
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
    """Register the scripted connector for the Xero connection; returns its script."""
    from tests.approvals import scripted_connector as module

    module.SCRIPT.clear()
    module.CALLS.clear()
    module.FOUND.clear()
    module.CLOSED_THROUGH.clear()
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

    return scripted_reader.reset()


EXPORTABLE = [Company, Commitment, CommitmentChangeOrder, SubcontractorInvoice]
