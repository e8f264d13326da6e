"""Reaching the connected ERP through integrations.registry, which may not be installed yet."""

from __future__ import annotations

import importlib

from integrations.base import Connector, NotConnectedError
from integrations.models import ERPConnection

NO_ERP_NAME = "the ERP"


def _registry():
    try:
        return importlib.import_module("integrations.registry")
    except ModuleNotFoundError as error:
        if error.name != "integrations.registry":
            raise
        return None


NOT_CONNECTED = (
    "No accounting system is connected yet. An administrator must connect one under "
    "ERP Integrations."
)


def active_connection_with_problem() -> tuple[ERPConnection | None, str]:
    """(the connection exports go to, or None and the sentence saying why there is none)."""
    registry = _registry()
    if registry is None:
        connection = ERPConnection.objects.filter(is_active=True).order_by("pk").first()
        return connection, "" if connection is not None else NOT_CONNECTED
    try:
        return registry.active_connection(), ""
    except NotConnectedError as error:
        return None, error.message


def active_connection_or_none() -> ERPConnection | None:
    return active_connection_with_problem()[0]


def connector_or_none(connection: ERPConnection | None) -> Connector | None:
    """The connection's connector, or None while no connector for it is installed."""
    registry = _registry()
    if registry is None or connection is None:
        return None
    try:
        return registry.connector_for(connection)
    except NotConnectedError:
        return None
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith("integrations."):
            raise
        return None


def connector_for_export(connection: ERPConnection | None) -> Connector:
    """The connector an export must use; NotConnectedError says why there is none."""
    if connection is None:
        raise NotConnectedError(NOT_CONNECTED)
    missing = NotConnectedError(
        f"This installation has no connector for {connection.get_kind_display()} yet."
    )
    registry = _registry()
    if registry is None:
        raise missing
    try:
        return registry.connector_for(connection)
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith("integrations."):
            raise
        raise missing from error


def erp_name(connection: ERPConnection | None, connector: Connector | None = None) -> str:
    if connector is not None:
        return connector.display_name
    if connection is not None:
        return connection.get_kind_display()
    return NO_ERP_NAME
