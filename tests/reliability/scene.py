"""The books a cell starts from: a QuickBooks company with items and an owner customer, and our
project, vendor and subcontract already exported to it, so each cell exercises one export.

Prerequisites are exported with the real connector (so QuickBooks holds real documents) and
then marked synced, the way a finished export leaves them.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from approvals.models import (
    ChangeOrderLine,
    ChangeOrderStatus,
    Commitment,
    CommitmentChangeOrder,
    CommitmentKind,
    CommitmentLine,
    CommitmentStatus,
    Company,
    CostCode,
    InvoiceLine,
    InvoiceStatus,
    Project,
    SubcontractorInvoice,
)
from approvals.states import SyncStatus
from integrations.models import ERPConnection, ERPKind
from integrations.quickbooks_online.client import QuickBooksClient
from integrations.quickbooks_online.connector import QuickBooksOnlineConnector
from tests.factories import make_project, make_user

ITEMS = ("Gypsum board", "Painting", "Electrical")


@dataclass
class Books:
    """What QuickBooks holds and what of it our records point at."""

    sandbox: object
    connection: ERPConnection
    owner_id: str
    new_owner_id: str  # a customer with no jobs yet, for the project exported in a cell
    cost_codes: dict[str, CostCode]
    pm: object
    approver: object
    project: Project
    vendor: Company
    commitment: Commitment
    tag: int

    @property
    def realm_id(self) -> str:
        return self.connection.company_id

    def entities(self, entity: str) -> list[dict]:
        return self.sandbox.entities(entity, realm_id=self.realm_id)

    def create_entity(self, entity: str, payload: dict) -> dict:
        return self.sandbox.create_entity(entity, payload, realm_id=self.realm_id)


def people() -> tuple:
    pm = make_user(role="project_manager", username="pat", first_name="Pat")
    approver = make_user(role="approver", username="alex", first_name="Alex")
    return pm, approver


def fresh(user):
    """The user anew from the database: a user object caches its projects and permissions."""
    return get_user_model().objects.get(pk=user.pk)


def fresh_record(record):
    """The record anew from the database, as the next page or worker run would read it."""
    return type(record).objects.get(pk=record.pk)


def connect_new_company(sandbox, tag: int) -> ERPConnection:
    """A QuickBooks company of its own, connected in place of the previous one."""
    realm_id = f"93417000{tag:04d}"
    sandbox.add_company(realm_id, f"Sandbox Construction Co {tag}")
    tokens = sandbox.issue_tokens(realm_id)
    now = timezone.now()
    ERPConnection.objects.filter(is_active=True).update(is_active=False, disconnected_at=now)
    return ERPConnection.objects.create(
        kind=ERPKind.QUICKBOOKS_ONLINE,
        company_id=realm_id,
        company_name=f"Sandbox Construction Co {tag}",
        access_token=tokens["access_token"],
        access_token_expires_at=now + timedelta(seconds=int(tokens["expires_in"])),
        refresh_token=tokens["refresh_token"],
        refresh_token_expires_at=now + timedelta(seconds=int(tokens["x_refresh_token_expires_in"])),
    )


def open_books(sandbox, *, pm, approver, tag: int) -> Books:
    """A fresh QuickBooks company with items, two customers and our exported prerequisites."""
    connection = connect_new_company(sandbox, tag)
    realm_id = connection.company_id
    expense = next(
        account["Id"]
        for account in sandbox.entities("Account", realm_id=realm_id)
        if account["AccountType"] == "Cost of Goods Sold"
    )
    cost_codes = {}
    for position, name in enumerate(ITEMS, start=1):
        item = sandbox.create_entity(
            "Item",
            {"Name": name, "Type": "NonInventory", "ExpenseAccountRef": {"value": expense}},
            realm_id=realm_id,
        )
        cost_codes[name] = CostCode.objects.create(
            code=f"{tag:03d}-{position}00", name=name, erp_id=item["Id"], erp_connection=connection
        )
    customers = [
        sandbox.create_entity("Customer", {"DisplayName": name}, realm_id=realm_id)["Id"]
        for name in ("Riverside Health", "Oakwood Schools")
    ]
    pm, approver = fresh(pm), fresh(approver)
    connector = QuickBooksOnlineConnector(connection)
    project = make_project(
        number=f"P-1{tag:03d}",
        name="Riverside Clinic",
        erp_parent_customer_id=customers[0],
        members=[pm],
    )
    _exported(connector, project)
    vendor = Company.objects.create(
        name="Acme Drywall", legal_name="Acme Drywall & Framing LLC", email="ap@acme.example"
    )
    _exported(connector, vendor)
    commitment = new_commitment(project, vendor, cost_codes, number="SC-1001-004")
    _exported(connector, commitment)
    return Books(
        sandbox, connection, *customers, cost_codes, pm, approver, project, vendor, commitment, tag
    )


def _exported(connector: QuickBooksOnlineConnector, record) -> None:
    result = connector.export(record, idempotency_key=f"scene-{uuid.uuid4().hex[:12]}")
    type(record).objects.filter(pk=record.pk).update(
        sync_status=SyncStatus.SYNCED,
        erp_id=result.erp_id,
        erp_version=result.version,
        erp_synced_at=timezone.now(),
        erp_connection=connector.connection,
    )
    record.refresh_from_db()


def new_company(name: str = "Riverside Drywall LLC") -> Company:
    return Company.objects.create(
        name=name,
        legal_name=f"{name} (Oregon)",
        email="billing@riverside-drywall.example",
        phone="(503) 555-0199",
        address_line1="4100 Riverside Dr",
        city="Portland",
        region="OR",
        postal_code="97214",
        country="USA",
    )


def new_project(books: Books) -> Project:
    return make_project(number=f"P-2{books.tag:03d}", name="North Annex", members=[books.pm])


def new_commitment(project, vendor, cost_codes, *, number: str = "SC-2001-007") -> Commitment:
    commitment = Commitment.objects.create(
        project=project,
        vendor=vendor,
        kind=CommitmentKind.SUBCONTRACT,
        number=number,
        title="Framing and drywall",
        status=CommitmentStatus.APPROVED,
        default_retainage_percent=Decimal("10.00"),
    )
    CommitmentLine.objects.create(
        commitment=commitment,
        position=1,
        cost_code=cost_codes["Gypsum board"],
        description="Metal studs and gypsum board",
        amount=Decimal("48250.00"),
    )
    CommitmentLine.objects.create(
        commitment=commitment,
        position=2,
        cost_code=cost_codes["Painting"],
        description="Prime and paint",
        quantity=Decimal("1850"),
        unit_cost=Decimal("12.75"),
        amount=Decimal("23587.50"),
    )
    return commitment


def new_change_order(books: Books) -> CommitmentChangeOrder:
    change_order = CommitmentChangeOrder.objects.create(
        commitment=books.commitment,
        number="007",
        title="Added soffits at the lobby",
        status=ChangeOrderStatus.APPROVED,
    )
    for cost_code, description, amount in (
        ("Gypsum board", "Lobby soffits", "8425.00"),
        ("Electrical", "Soffit lighting rough-in", "1310.55"),
    ):
        ChangeOrderLine.objects.create(
            change_order=change_order,
            cost_code=books.cost_codes[cost_code],
            description=description,
            amount=Decimal(amount),
        )
    return change_order


def new_invoice(books: Books, *, number: str = "INV-2001") -> SubcontractorInvoice:
    invoice = SubcontractorInvoice.objects.create(
        commitment=books.commitment,
        number=number,
        billing_date=date(2026, 5, 31),
        period_start=date(2026, 5, 1),
        period_end=date(2026, 5, 31),
        status=InvoiceStatus.APPROVED,
    )
    first, second = books.commitment.lines.order_by("position")
    InvoiceLine.objects.create(
        invoice=invoice,
        commitment_line=first,
        work_completed=Decimal("12062.50"),
        retainage_withheld=Decimal("1206.25"),
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        commitment_line=second,
        work_completed=Decimal("3187.45"),
        retainage_withheld=Decimal("318.75"),
    )
    return invoice


class PersonInQuickBooks(QuickBooksClient):
    """A person working in QuickBooks' own screens, beside our exports: not our app, so not
    counted in our share of the company's rate limits (and asking nothing of our database, so
    it can act from another thread while a test's transaction is open)."""

    def _counted(self, *, batch: bool) -> AbstractContextManager:
        return nullcontext()


def someone_in_quickbooks(connection: ERPConnection) -> QuickBooksClient:
    return PersonInQuickBooks(connection)


def deactivate(connection: ERPConnection, entity: str, entity_id: str) -> None:
    set_active(connection, entity, entity_id, active=False)


def set_active(connection: ERPConnection, entity: str, entity_id: str, *, active: bool) -> None:
    """Someone makes a name-list record inactive (or active again) in QuickBooks."""
    with someone_in_quickbooks(connection) as client:
        current = client.read(entity, entity_id)
        client.update(
            entity,
            {"Id": entity_id, "SyncToken": current["SyncToken"], "Active": active},
            request_id=uuid.uuid4().hex,
            sparse=True,
        )


def item_line(books: Books, item: str, amount: Decimal, *, description: str = "") -> dict:
    return {
        "DetailType": "ItemBasedExpenseLineDetail",
        "Amount": amount,
        "Description": description or item,
        "ItemBasedExpenseLineDetail": {
            "ItemRef": {"value": books.cost_codes[item].erp_id},
            "CustomerRef": {"value": books.project.erp_id},
        },
    }


def add_line_by_hand(books: Books, line: dict) -> None:
    """Someone adds a line to the subcontract's purchase order in QuickBooks."""
    order_id = books.commitment.erp_id
    with someone_in_quickbooks(books.connection) as client:
        current = client.read("PurchaseOrder", order_id)
        client.update(
            "PurchaseOrder",
            {"Id": order_id, "SyncToken": current["SyncToken"], "Line": [*current["Line"], line]},
            request_id=uuid.uuid4().hex,
            sparse=True,
        )
