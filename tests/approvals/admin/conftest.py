"""The scene of the admin tests: a QuickBooks Online connection, an approver, a project manager.

Checking a record for QuickBooks needs no HTTP, so sending and accepting run without a server;
only the tests that read from or export to QuickBooks start the sandbox.
"""

import pytest

from tests.factories import make_erp_connection, make_project, make_user


@pytest.fixture
def erp_connection(db):
    return make_erp_connection()


@pytest.fixture
def project(erp_connection):
    return make_project(synced=True)


@pytest.fixture
def project_manager(project):
    return make_user(role="project_manager", projects=[project], first_name="Pat")


@pytest.fixture
def approver(db):
    return make_user(role="approver", username="alice", first_name="Alice")


@pytest.fixture
def approver_client(client, approver):
    client.force_login(approver)
    return client
