"""The QuickBooks Online company the imports read, changed the way a bookkeeper would."""

import pytest

from integrations.quickbooks_online.client import QuickBooksClient


@pytest.fixture
def qbo(qbo_connection):
    """A client to change the sandbox company the way a bookkeeper would in QuickBooks."""
    with QuickBooksClient(qbo_connection) as client:
        yield client


@pytest.fixture
def accounts(qbo):
    """Starter accounts of the sandbox company by name: their Ids."""
    return {row["Name"]: str(row["Id"]) for row in qbo.query_all("Account")}
