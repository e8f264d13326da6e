"""Every accounting system this installation speaks to, and which one is connected.

One entry per ERP names its connector, its reader, its connection page, the nouns its import
pages use and the command that serves its sandbox. The workflow reaches the connected ERP only
through here (approvals/services/erp.py); connectors and readers are imported on first use, so
an ERP's HTTP stack loads only where it is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib import import_module

from django.apps import apps

from integrations import rate_limits
from integrations.base import Connector, NotConnectedError
from integrations.data import AgentImports, Reader
from integrations.models import ERPConnection, ERPKind


@dataclass(frozen=True)
class ImportNouns:
    """What the ERP calls the jobs and vendors the import pages list."""

    job: str = "job"
    jobs: str = "jobs"
    vendor: str = "vendor"
    vendors: str = "vendors"
    job_parent: str = "customer"
    """What a job sits under in the ERP; "" where jobs stand alone (Xero's tracking options)."""


@dataclass(frozen=True)
class ERPEntry:
    display_name: str
    connector: str  # dotted path of the Connector class ("" while its exports are not built)
    reader: str  # dotted path of the Reader class ("" while its imports are not built)
    connection_page: str  # URL name of the page that connects and disconnects it
    sandbox: str  # dotted path of the module serving its local sandbox (manage.py erp_sandbox)
    app: str = ""  # the Django app of its folder: the entry counts only while it is installed
    url_prefix: str = ""  # where its pages and webhooks are served, under /erp/
    urls: str = ""  # dotted path of the URLconf of those pages
    nouns: ImportNouns = ImportNouns()
    rate_limits: str = ""  # dotted path of the function giving its RateLimits per company
    # Dotted path of its AgentImports class, when its imports are reads queued for its own agent
    # (which runs when it will) rather than runs of a reader while a worker waits.
    agent_imports: str = ""


ERPS: dict[str, ERPEntry] = {
    ERPKind.QUICKBOOKS_ONLINE: ERPEntry(
        display_name="QuickBooks Online",
        connector="integrations.quickbooks_online.connector.QuickBooksOnlineConnector",
        reader="integrations.quickbooks_online.reading.QuickBooksReader",
        connection_page="quickbooks_online:connection",
        sandbox="integrations.quickbooks_online.sandbox.command",
        app="integrations.quickbooks_online",
        url_prefix="quickbooks-online/",
        urls="integrations.quickbooks_online.urls",
        rate_limits="integrations.quickbooks_online.limits.rate_limits",
    ),
    ERPKind.XERO: ERPEntry(
        display_name="Xero",
        connector="integrations.xero.connector.XeroConnector",
        reader="integrations.xero.reading.XeroReader",
        connection_page="xero:connection",
        sandbox="integrations.xero.sandbox.command",
        app="integrations.xero",
        url_prefix="xero/",
        urls="integrations.xero.urls",
        rate_limits="integrations.xero.limits.rate_limits",
        nouns=ImportNouns(
            job="tracking option",
            jobs="tracking options",
            vendor="contact",
            vendors="contacts",
            job_parent="",
        ),
    ),
    # Exports through the Web Connector's outbox; its imports are queries queued for it.
    ERPKind.QUICKBOOKS_DESKTOP: ERPEntry(
        display_name="QuickBooks Desktop",
        connector="integrations.quickbooks_desktop.connector.QuickBooksDesktopConnector",
        reader="",
        connection_page="admin:quickbooks_desktop_desktopconnection_changelist",
        sandbox="integrations.quickbooks_desktop.sandbox.command",
        app="integrations.quickbooks_desktop",
        url_prefix="quickbooks-desktop/",
        urls="integrations.quickbooks_desktop.urls",
        agent_imports="integrations.quickbooks_desktop.imports.WebConnectorImports",
    ),
}


# Sandboxes built ahead of their ERP's connector: `manage.py erp_sandbox` serves them, but the
# ERP is not offered for connecting until its entry joins ERPS (its sandbox then moves there).
SANDBOX_ONLY: dict[str, str] = {}


def installed() -> dict[str, ERPEntry]:
    """The ERPs this installation speaks to: an ERP whose folder's app is not in INSTALLED_APPS
    is not offered, connected, exported to or imported from."""
    return {
        kind: entry for kind, entry in ERPS.items() if not entry.app or apps.is_installed(entry.app)
    }


def sandboxes() -> dict[str, str]:
    """ERP kind → dotted path of the module serving its sandbox: each installed ERP's, and the
    sandboxes built ahead of their connector."""
    served = {kind: entry.sandbox for kind, entry in installed().items() if entry.sandbox}
    return {**SANDBOX_ONLY, **served}


def entry_for(kind: str) -> ERPEntry | None:
    return installed().get(kind)


def connect_advice() -> str:
    names = [entry.display_name for entry in installed().values()]
    if not names:
        return "This installation has no accounting system to connect yet."
    listed = " or ".join(filter(None, [", ".join(names[:-1]), names[-1]]))
    return f"An administrator can connect {listed} under ERP Integrations."


def not_connected_message() -> str:
    return f"No accounting system is connected. {connect_advice()}"


def disconnected_message(connection: ERPConnection) -> str:
    return (
        f"{connection.get_kind_display()} is disconnected — reconnect: its stored authorization "
        "can no longer be read (the encryption key changed). An administrator must reconnect it "
        "under ERP Integrations."
    )


def active_connection() -> ERPConnection:
    """The one active connection; the workflow exports to a single accounting company."""
    connections = list(ERPConnection.objects.filter(is_active=True).order_by("pk")[:2])
    if not connections:
        raise NotConnectedError(not_connected_message())
    if len(connections) > 1:
        raise NotConnectedError(
            "More than one accounting system is connected. An administrator must disconnect "
            "all but one under ERP Integrations before records can be exported."
        )
    if connections[0].authorization_unreadable:
        raise NotConnectedError(disconnected_message(connections[0]))
    return connections[0]


def _usable_entry(connection: ERPConnection, what: str) -> ERPEntry:
    if not connection.is_active:
        raise NotConnectedError(not_connected_message())
    if connection.authorization_unreadable:
        raise NotConnectedError(disconnected_message(connection))
    entry = entry_for(connection.kind)
    if entry is None:
        raise NotConnectedError(
            f"{what} {connection.get_kind_display()} are not available yet. {connect_advice()}"
        )
    return entry


def _load(path: str):
    module_name, class_name = path.rsplit(".", 1)
    return getattr(import_module(module_name), class_name)


def connector_for(connection: ERPConnection) -> Connector:
    entry = _usable_entry(connection, "Exports to")
    if not entry.connector:
        raise NotConnectedError(
            f"Exports to {entry.display_name} are not available yet. {connect_advice()}"
        )
    return _load(entry.connector)(connection)


def day_spent_until(connection: ERPConnection) -> datetime | None:
    """While the connection's daily budget of calls is spent, when work resumes; else None."""
    entry = entry_for(connection.kind)
    if entry is None or not entry.rate_limits or not apps.is_installed(entry.app):
        return None
    return rate_limits.day_spent_until(connection, _load(entry.rate_limits)())


def agent_imports_for(connection: ERPConnection) -> AgentImports | None:
    """The connection's AgentImports when its imports wait for its own agent; else None."""
    entry = entry_for(connection.kind)
    if entry is None or not entry.agent_imports:
        return None
    return _load(entry.agent_imports)(connection)


def reader_for(connection: ERPConnection) -> Reader:
    entry = _usable_entry(connection, "Imports from")
    if entry.agent_imports:
        raise NotConnectedError(
            f"Imports from {entry.display_name} are read by its own agent when it runs, not "
            "while a worker waits: request them (Sync now, or the schedule) instead."
        )
    if not entry.reader:
        raise NotConnectedError(
            f"Imports from {entry.display_name} are not available yet. {connect_advice()}"
        )
    return _load(entry.reader)(connection)
