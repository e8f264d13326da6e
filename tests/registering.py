"""Putting a test connector (and reader) in the ERP registry for one test."""

from integrations import registry


def register_test_connector(
    monkeypatch, kind: str, connector: str, display_name: str = "Xero", reader: str = ""
):
    """Exports of `kind`'s connections go to the connector at dotted path `connector`, and its
    imports read through the reader at dotted path `reader`; without one, imports from it are
    refused with the registry's sentence."""
    monkeypatch.setitem(
        registry.ERPS,
        kind,
        registry.ERPEntry(
            display_name=display_name,
            connector=connector,
            reader=reader,
            connection_page="admin:index",
            sandbox="",
        ),
    )
