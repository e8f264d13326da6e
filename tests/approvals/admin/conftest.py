"""The scene of the admin tests: a connected ERP that answers from a script (the scripted
connector of tests/approvals/scripted_connector.py), an approver and a project manager.

Checking, describing and accepting a record need no ERP call; exports go to the script.
"""

import pytest

from tests.factories import make_user


@pytest.fixture(autouse=True)
def _scripted_erp(scripted_connector):
    """Every admin test speaks to the scripted ERP."""


@pytest.fixture
def project_manager(project):
    return make_user(role="project_manager", projects=[project], first_name="Pat")


@pytest.fixture
def approver_client(client, approver):
    client.force_login(approver)
    return client
