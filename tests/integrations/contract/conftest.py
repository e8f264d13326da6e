"""The contract suite runs every case against every ERP listed here, each through its adapter."""

import pytest

from tests.integrations.contract.hand_off_erp import ScriptedHandOff
from tests.integrations.contract.quickbooks_desktop import QuickBooksDesktop
from tests.integrations.contract.quickbooks_online import QuickBooksOnline
from tests.integrations.contract.xero import Xero

ADAPTERS = {
    "quickbooks_desktop": QuickBooksDesktop,
    "quickbooks_online": QuickBooksOnline,
    "scripted_hand_off": ScriptedHandOff,
    "xero": Xero,
}


@pytest.fixture(params=sorted(ADAPTERS))
def erp(request, db):
    return ADAPTERS[request.param](request)


@pytest.fixture(autouse=True)
def _retries_due_at_once(settings):
    """A retry runs as soon as the worker looks again, so a case plays out in one test."""
    settings.EXPORT_MAX_TRIES = 3
    settings.EXPORT_RETRY_BASE_SECONDS = 0
    settings.EXPORT_RETRY_MAX_SECONDS = 0
