"""Which accounting system is connected, and the connector that speaks to it."""

from __future__ import annotations

from importlib import import_module

from integrations.base import Connector, NotConnectedError
from integrations.models import ERPConnection, ERPKind

NOT_CONNECTED = (
    "No accounting system is connected. "
    "An administrator can connect QuickBooks Online under ERP Integrations."
)


def disconnected_message(connection: ERPConnection) -> str:
    return (
        f"{connection.get_kind_display()} is disconnected — reconnect: its stored authorization "
        "can no longer be read (the encryption key changed). An administrator must reconnect it "
        "under ERP Integrations."
    )


# Imported on first use so an ERP's HTTP stack loads only where it is needed.
CONNECTORS = {
    ERPKind.QUICKBOOKS_ONLINE: "integrations.quickbooks_online.connector.QuickBooksOnlineConnector",
}


def active_connection() -> ERPConnection:
    """The one active connection; the workflow exports to a single accounting company."""
    connections = list(ERPConnection.objects.filter(is_active=True).order_by("pk")[:2])
    if not connections:
        raise NotConnectedError(NOT_CONNECTED)
    if len(connections) > 1:
        raise NotConnectedError(
            "More than one accounting system is connected. An administrator must disconnect "
            "all but one under ERP Integrations before records can be exported."
        )
    if connections[0].authorization_unreadable:
        raise NotConnectedError(disconnected_message(connections[0]))
    return connections[0]


def connector_for(connection: ERPConnection) -> Connector:
    if not connection.is_active:
        raise NotConnectedError(NOT_CONNECTED)
    if connection.authorization_unreadable:
        raise NotConnectedError(disconnected_message(connection))
    path = CONNECTORS.get(connection.kind)
    if path is None:
        raise NotConnectedError(
            f"Exports to {connection.get_kind_display()} are not available yet. "
            "An administrator can connect QuickBooks Online under ERP Integrations."
        )
    module_name, class_name = path.rsplit(".", 1)
    return getattr(import_module(module_name), class_name)(connection)
