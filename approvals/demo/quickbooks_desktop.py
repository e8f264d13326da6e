"""Demo data on the local QuickBooks Desktop (`make demo ERP=quickbooks_desktop`): the same users,
projects and companies as the other demos, exported for real through the Web Connector.

QuickBooks Desktop cannot be called: its Web Connector (the sandbox's, polling every few
seconds) collects what waits when it runs. The seed makes it run at each step, so the company's
customers, vendors and items are read before anything is accepted, and the projects and
companies accepted here are jobs and vendors in QuickBooks once it is done. The web server must
answer the Web Connector while the seed runs.
"""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from approvals import services
from approvals.demo import (
    COST_CODES,
    DEMO_MARKER_PROJECT,
    _commitment,
    _projects,
    _refresh,
    _run_exports,
    _users,
    companies_decided,
    companies_on,
    typed_cost_codes,
)
from approvals.models import Commitment, Company, CostCode, ERPCustomer, Project
from approvals.states import SyncStatus
from integrations.models import ERPConnection, ERPKind
from integrations.quickbooks_desktop import outbox
from integrations.quickbooks_desktop.models import DesktopConnection
from integrations.quickbooks_desktop.sandbox.control import SandboxHandle

WEB_CONNECTOR_USER = "qbwc"
COMPANY_NAME = "Summit Builders (QuickBooks Desktop)"
COMPANY_FILE_ID = "{5D3C0A1E-DE40-4B1D-9C21-000000000001}"
CUSTOMERS = ("Riverside Health System", "Oakwood School District", "Harbor Point Developers")
# The sandbox company's chart of accounts has no equipment account: rentals post to materials.
ITEM_ACCOUNTS = {
    "Job Materials": "Job Materials",
    "Subcontractors": "Subcontractors",
    "Equipment Rental": "Job Materials",
}
# A bookkeeper keyed this vendor into QuickBooks; Summit Steel Erectors is also a customer
# there, so exporting the company as a vendor fails with QuickBooks' 3100, shown as it is.
QUICKBOOKS_ONLY_VENDORS = ("Star Framing, LLC",)
QUICKBOOKS_ONLY_CUSTOMERS = ("Summit Steel Erectors",)
RUNS_UNTIL_DONE = 5


class DemoNotReady(Exception):
    """The Web Connector did not bring what the next step needs."""


def web_connector_login(*, password: str, admin=None) -> DesktopConnection:
    """The demo's QuickBooks Desktop connection, its Web Connector user `qbwc` signing in with
    `password`; the only active connection from now on."""
    now = timezone.now()
    ERPConnection.objects.filter(is_active=True).exclude(
        kind=ERPKind.QUICKBOOKS_DESKTOP, company_id=COMPANY_FILE_ID
    ).update(is_active=False, disconnected_at=now)
    connection, _ = ERPConnection.objects.update_or_create(
        kind=ERPKind.QUICKBOOKS_DESKTOP,
        company_id=COMPANY_FILE_ID,
        defaults={
            "company_name": COMPANY_NAME,
            "is_active": True,
            "disconnected_at": None,
            **({"connected_by": admin} if admin is not None else {}),
        },
    )
    desktop, _ = DesktopConnection.objects.update_or_create(
        connection=connection,
        defaults={
            "username": WEB_CONNECTOR_USER,
            "password_hash": make_password(password),
            "run_every_minutes": 1,
        },
    )
    return desktop


def seed_quickbooks_desktop_demo(
    *, sandbox: SandboxHandle, password: str, app_url: str
) -> list[str]:
    """Seed once; later runs find the marker project and leave everything as it is. `app_url`
    is where the sandbox's Web Connector reaches this site's endpoint."""
    if Project.objects.filter(number=DEMO_MARKER_PROJECT).exists():
        return ["Demo data already present; leaving it as it is."]
    users = _users(password)
    desktop = web_connector_login(password=password, admin=users["admin"])
    sandbox.reset()
    sandbox.settings(app_url=app_url, username=WEB_CONNECTOR_USER, password=password)
    _keyed_into_quickbooks(sandbox)
    outbox.list_reads_queue(desktop)
    _run_until(sandbox, lambda: _customer_ids(desktop), "read the customers")
    connection = desktop.connection
    codes = typed_cost_codes(connection)
    customers = _customer_ids(desktop)
    projects = _projects(users["pm"])
    companies = companies_on(projects["clinic"])
    pm, accountant = users["pm"], users["accountant"]

    services.record_send(record=projects["clinic"], actor=pm)
    services.record_accept(
        record=projects["clinic"],
        actor=accountant,
        choices={"parent_customer_id": customers["Riverside Health System"]},
    )
    services.record_send(record=projects["gym"], actor=pm)
    companies_decided(companies, pm=pm, accountant=accountant)
    _run_exports()  # each accepted record's request waits for the Web Connector
    _run_until(sandbox, lambda: not _waiting(), "answer the exports")
    _run_exports()  # the look-up of the failed export

    clinic = _refresh(projects["clinic"])
    for number, company, title, lines in (
        ("SC-001", "keystone", "Foundations and slabs", [("03-300", "Footings", "186400.00")]),
        ("SC-002", "acme", "Framing, drywall and finishes", [("09-250", "Drywall", "128900.00")]),
    ):
        _commitment(clinic, _refresh(companies[company]), number, title, codes, lines)

    return [
        "Demo data seeded:",
        f"  {Project.objects.count()} projects, {Company.objects.count()} companies, "
        f"{CostCode.objects.count()} cost codes, {Commitment.objects.count()} commitments",
        f"  connected to the local QuickBooks Desktop ({COMPANY_NAME}); its Web Connector "
        f"signs in as {WEB_CONNECTOR_USER}",
    ]


def _keyed_into_quickbooks(sandbox: SandboxHandle) -> None:
    """Customers, a vendor and the standard cost codes' items, as the bookkeeper keyed them."""
    for name in (*CUSTOMERS, *QUICKBOOKS_ONLY_CUSTOMERS):
        sandbox.seed("Customer", Name=name)
    for name in QUICKBOOKS_ONLY_VENDORS:
        sandbox.seed("Vendor", Name=name)
    for code, name, _cost_type, account in COST_CODES:
        sandbox.seed(
            "ItemService",
            Name=f"{code} {name}",
            SalesOrPurchase={"Desc": name, "AccountRef": {"FullName": ITEM_ACCOUNTS[account]}},
        )


def _customer_ids(desktop: DesktopConnection) -> dict[str, str]:
    customers = ERPCustomer.objects.filter(erp_connection=desktop.connection)
    return dict(customers.values_list("display_name", "erp_id"))


def _waiting() -> bool:
    return any(
        model.objects.filter(sync_status=SyncStatus.AWAITING_ERP).exists()
        for model in (Company, Project)
    )


def _run_until(sandbox: SandboxHandle, done, what: str) -> None:
    """Make the Web Connector run until `done()`: its own Auto-Run may have taken the work."""
    logs = []
    for _ in range(RUNS_UNTIL_DONE):
        if done():
            return
        logs.append(sandbox.run())
    if not done():
        said = "; ".join(f"{log['outcome']}: {log['message']}" for log in logs)
        raise DemoNotReady(f"The Web Connector did not {what} ({said}).")
