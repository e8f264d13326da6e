"""Xero's sandbox is served before Xero has a connector, without Xero being offered."""

from integrations import registry
from integrations.models import ERPKind


def test_the_xero_sandbox_is_served_but_xero_is_not_offered_for_connecting():
    assert registry.sandboxes()[ERPKind.XERO] == "integrations.xero.sandbox.command"
    assert registry.entry_for(ERPKind.XERO) is None
    assert ERPKind.XERO not in registry.installed()
    assert "Xero" not in registry.connect_advice()
