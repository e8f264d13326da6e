"""Demo data on the local Xero (`make demo ERP=xero`): the same users, projects and companies as
the QuickBooks Online demo, exported for real to the sandbox's Australian organisation through
the same services, tasks and connector a real company uses.

Records are in the organisation's currency (AUD). Cost codes are items keyed into Xero and
linked here (Xero's imports come with its reader).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from approvals import services
from approvals.demo import (
    COST_CODES,
    DEMO_MARKER_PROJECT,
    _change_order,
    _commitment,
    _invoice,
    _projects,
    _refresh,
    _run_exports,
    _users,
    companies_on,
)
from approvals.models import (
    Commitment,
    CommitmentChangeOrder,
    CommitmentKind,
    Company,
    CostCode,
    Project,
    SubcontractorInvoice,
)
from integrations.models import ERPConnection, ERPKind
from integrations.xero import choices, mapping
from integrations.xero.client import XeroClient
from integrations.xero.organisation import remember_organisation
from integrations.xero.sandbox.control import SandboxHandle

CURRENCY = "AUD"
# The sandbox organisation's chart: expense accounts of items, and retentions payable.
ITEM_ACCOUNTS = {"Job Materials": "330", "Subcontractors": "320", "Equipment Rental": "310"}
CHOICES = {
    "tracking_category_id": choices.NEW_CATEGORY,
    "retainage_account_code": "830",
    "item_account_code": "320",
    "tax_type": "INPUT",
    "retainage_tax_type": "BASEXCLUDED",
    "line_amount_types": "Exclusive",
    "bill_status": "AUTHORISED",
    "purchase_orders": "on",
}


def seed_xero_demo(*, sandbox: SandboxHandle, password: str) -> list[str]:
    """Seed once; later runs find the marker project and leave everything as it is."""
    if Project.objects.filter(number=DEMO_MARKER_PROJECT).exists():
        return ["Demo data already present; leaving it as it is."]
    sandbox.reset()
    users = _users(password)
    connection = _connect(sandbox, users["admin"])
    codes = _cost_codes(connection)
    projects = _projects(users["pm"])
    companies = companies_on(projects["clinic"])
    pm, accountant = users["pm"], users["accountant"]

    services.record_send(record=projects["clinic"], actor=pm)
    services.record_accept(record=projects["clinic"], actor=accountant)
    services.record_send(record=projects["gym"], actor=pm)
    for key in ("keystone", "acme", "bright"):
        services.record_send(record=companies[key], actor=pm)
        services.record_accept(record=companies[key], actor=accountant)
    services.record_send(record=companies["pacific"], actor=pm)
    _run_exports()

    clinic = _refresh(projects["clinic"])
    concrete = _in_aud(
        _commitment(
            clinic,
            _refresh(companies["keystone"]),
            "SC-001",
            "Foundations and slabs",
            codes,
            [
                ("03-300", "Footings and foundation walls", "186400.00"),
                ("03-300", "Slab on grade", "92150.00"),
                ("31-000", "Excavation and backfill", "41800.00"),
            ],
        )
    )
    drywall = _in_aud(
        _commitment(
            clinic,
            _refresh(companies["acme"]),
            "SC-002",
            "Framing, drywall and finishes",
            codes,
            [
                ("09-250", "Metal studs and gypsum board", "128900.00"),
                ("09-900", "Paint, level 4 finish", "38250.00"),
            ],
        )
    )
    electrical = _in_aud(
        _commitment(
            clinic,
            _refresh(companies["bright"]),
            "PO-003",
            "Switchgear and lighting",
            codes,
            [
                ("26-000", "LED troffers 2x4", None, "240", "186.5000"),
                ("26-000", "400A panelboard", None, "2", "14250.0000"),
            ],
            kind=CommitmentKind.PURCHASE_ORDER,
        )
    )
    for commitment in (concrete, drywall):
        services.record_send(record=commitment, actor=pm)
        services.record_accept(record=commitment, actor=accountant)
    services.record_send(record=electrical, actor=pm)
    _run_exports()

    concrete = _refresh(concrete)
    synced_change = _change_order(
        concrete,
        "CCO-001",
        "Added footing at grid C-4",
        codes,
        [("03-300", "Footing F-7 at grid C-4", "8425.00")],
    )
    services.record_send(record=synced_change, actor=pm)
    services.record_accept(record=synced_change, actor=accountant)
    waiting_change = _change_order(
        concrete,
        "CCO-002",
        "Rock removal allowance",
        codes,
        [("31-000", "Rock excavation, 40 CY", "12600.00")],
    )
    services.record_send(record=waiting_change, actor=pm)
    _run_exports()

    concrete = _refresh(concrete)
    today = timezone.localdate()
    first = _invoice(
        concrete, "KC-1041", today - timedelta(days=45), {0: "55920.00", 2: "41800.00"}
    )
    services.record_send(record=first, actor=pm)
    services.record_accept(record=first, actor=accountant)
    second = _invoice(
        concrete, "KC-1042", today - timedelta(days=15), {0: "74560.00", 1: "46075.00"}
    )
    services.record_send(record=second, actor=pm)
    _invoice(_refresh(drywall), "AD-2207", today - timedelta(days=3), {0: "32225.00"})
    _run_exports()

    return [
        "Demo data seeded:",
        f"  {Project.objects.count()} projects, {Company.objects.count()} companies, "
        f"{CostCode.objects.count()} cost codes, {Commitment.objects.count()} commitments, "
        f"{CommitmentChangeOrder.objects.count()} change orders, "
        f"{SubcontractorInvoice.objects.count()} invoices",
        f"  connected to the Xero sandbox (organisation {connection.company_name})",
    ]


def _connect(sandbox: SandboxHandle, admin) -> ERPConnection:
    tokens = sandbox.issue_tokens()
    now = timezone.now()
    ERPConnection.objects.filter(is_active=True).update(is_active=False, disconnected_at=now)
    connection, _ = ERPConnection.objects.update_or_create(
        kind=ERPKind.XERO,
        company_id=sandbox.tenant_id,
        defaults={
            "access_token": tokens["access_token"],
            "access_token_expires_at": now + timedelta(seconds=int(tokens["expires_in"])),
            "refresh_token": tokens["refresh_token"],
            "refresh_token_expires_at": now + timedelta(days=60),
            "is_active": True,
            "connected_by": admin,
            "disconnected_at": None,
            "settings": {},
        },
    )
    with XeroClient(connection) as client:
        remember_organisation(connection, client)
        choices.save(connection, client, CHOICES)
    return connection


def _cost_codes(connection: ERPConnection) -> dict[str, CostCode]:
    """Items keyed into Xero, one per standard cost code, linked here."""
    codes = {}
    with XeroClient(connection) as client:
        for code, name, cost_type, account in COST_CODES:
            item = client.create(
                "Items",
                {
                    "Items": [
                        mapping.cost_code_item_payload(
                            code=code, name=name, account_code=ITEM_ACCOUNTS[account]
                        )
                    ]
                },
                idempotency_key=f"demo-item-{code}",
            )["Items"][0]
            codes[code] = CostCode.objects.create(
                code=code,
                name=name,
                cost_type=cost_type,
                erp_id=item["ItemID"],
                erp_connection=connection,
            )
    return codes


def _in_aud(commitment: Commitment) -> Commitment:
    Commitment.objects.filter(pk=commitment.pk).update(currency=CURRENCY)
    return _refresh(commitment)
