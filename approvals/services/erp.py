"""The workflow's one way to the connected ERP: its connection, connector, reader and names.

Everything here comes from integrations.registry, which names every ERP this installation
speaks to; nothing else in approvals/ looks an ERP up.
"""

from __future__ import annotations

from datetime import datetime

from integrations import registry
from integrations.base import AgentActivity, CollectedByAgent, Connector, NotConnectedError
from integrations.data import Reader
from integrations.models import ERPConnection
from integrations.registry import AgentImports, ImportNouns

NO_ERP_NAME = "the ERP"


def active_connection_with_problem() -> tuple[ERPConnection | None, str]:
    """(the connection exports go to, or None and the sentence saying why there is none)."""
    try:
        return registry.active_connection(), ""
    except NotConnectedError as error:
        return None, error.message


def active_connection_or_none() -> ERPConnection | None:
    return active_connection_with_problem()[0]


def connector_or_none(connection: ERPConnection | None) -> Connector | None:
    """The connection's connector, or None while it cannot be used."""
    if connection is None:
        return None
    try:
        return registry.connector_for(connection)
    except NotConnectedError:
        return None


def connector_for_export(connection: ERPConnection | None) -> Connector:
    """The connector an export must use; NotConnectedError says why there is none."""
    if connection is None:
        raise NotConnectedError(registry.not_connected_message())
    return registry.connector_for(connection)


def reader_for(connection: ERPConnection) -> Reader:
    """The reader an import of `connection` uses; NotConnectedError says why there is none."""
    return registry.reader_for(connection)


def agent_imports(connection: ERPConnection | None) -> AgentImports | None:
    """How the connection's imports are queued for its own agent, when they are (its agent
    runs when it will); None when a worker runs them through a reader."""
    return registry.agent_imports_for(connection) if connection is not None else None


def day_spent_until(connection: ERPConnection | None) -> datetime | None:
    """While the ERP's daily budget of calls is spent (work waits, nothing fails), when it
    resumes."""
    return registry.day_spent_until(connection) if connection is not None else None


def agent_of(connection: ERPConnection | None) -> CollectedByAgent | None:
    """The connector of an ERP whose own agent collects handed-off exports, else None."""
    connector = connector_or_none(connection)
    return connector if isinstance(connector, CollectedByAgent) else None


def hand_off_note(connection: ERPConnection | None) -> str:
    """What the ERP's agent last did, for a record waiting for it; "" when nothing is known."""
    agent = agent_of(connection)
    return agent.hand_off_note() if agent is not None else ""


def agent_activity(connection: ERPConnection | None) -> AgentActivity | None:
    """What the ERP's agent did lately and what waits for it; None for an ERP without one."""
    agent = agent_of(connection)
    return agent.agent_activity() if agent is not None else None


def erp_name(connection: ERPConnection | None, connector: Connector | None = None) -> str:
    if connector is not None:
        return connector.display_name
    if connection is not None:
        entry = registry.entry_for(connection.kind)
        return entry.display_name if entry else connection.get_kind_display()
    return NO_ERP_NAME


def import_nouns(connection: ERPConnection | None) -> ImportNouns:
    """What the connected ERP calls the jobs and vendors the import pages list."""
    entry = registry.entry_for(connection.kind) if connection is not None else None
    return entry.nouns if entry is not None else ImportNouns()
