"""The .qwc file an accountant adds to the Web Connector: where the service is, who logs in and
how often to run. The password is not in it; the accountant types it into the Web Connector."""

from __future__ import annotations

from urllib.parse import urlsplit

from lxml import etree

from integrations.quickbooks_desktop.models import DesktopConnection

APP_NAME = "ERP approvals"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
HTTPS_REQUIRED = (
    "The Web Connector accepts this address only over HTTPS (a plain http:// address is "
    "accepted for localhost only). Serve this site over HTTPS, then download the file again."
)


def https_problem(app_url: str) -> str:
    """Why the Web Connector would refuse `app_url`, or ""."""
    parts = urlsplit(app_url)
    if parts.scheme == "https" or (parts.hostname or "") in LOCAL_HOSTS:
        return ""
    return HTTPS_REQUIRED


def app_name(desktop: DesktopConnection) -> str:
    """What the Web Connector and QuickBooks' list of integrated applications call us."""
    name = desktop.connection.company_name
    return f"{APP_NAME} ({name})" if name else APP_NAME


def qwc_document(desktop: DesktopConnection, *, app_url: str, support_url: str) -> bytes:
    root = etree.Element("QBWCXML")
    for element, text in (
        ("AppName", app_name(desktop)),
        ("AppID", ""),
        ("AppURL", app_url),
        (
            "AppDescription",
            "Sends approved construction records to QuickBooks and reads its lists back.",
        ),
        ("AppSupport", support_url),
        ("UserName", desktop.username),
        ("OwnerID", desktop.owner_id),
        ("FileID", desktop.file_id),
        ("QBType", "QBFS"),
        ("Style", "Document"),
    ):
        etree.SubElement(root, element).text = text
    scheduler = etree.SubElement(root, "Scheduler")
    etree.SubElement(scheduler, "RunEveryNMinutes").text = str(desktop.run_every_minutes)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def qwc_filename(desktop: DesktopConnection) -> str:
    safe = "".join(ch if ch.isalnum() else "-" for ch in desktop.username).strip("-")
    return f"erp-approvals-{safe or 'connection'}.qwc"
