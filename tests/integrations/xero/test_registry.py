"""Xero is offered for connecting, with its own words on the import pages."""

from integrations import registry
from integrations.models import ERPKind


def test_xero_is_offered_with_its_sandbox_and_nouns():
    entry = registry.entry_for(ERPKind.XERO)
    assert entry is not None and entry.display_name == "Xero"
    assert registry.sandboxes()[ERPKind.XERO] == "integrations.xero.sandbox.command"
    assert "Xero" in registry.connect_advice()
    assert (entry.nouns.job, entry.nouns.vendor) == ("tracking option", "contact")
