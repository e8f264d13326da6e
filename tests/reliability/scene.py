"""The books a cell starts from: a QuickBooks company with items and an owner customer, and our
project, vendor and subcontract already exported to it, so each cell exercises one export.

Prerequisites are exported with the real connector (so QuickBooks holds real documents) and
then marked synced, the way a finished export leaves them. The records themselves are built as
tests/records.py builds them for any ERP.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from approvals.models import Commitment, Company, CostCode, Project
from approvals.states import SyncStatus
from integrations.models import ERPConnection, ERPKind
from integrations.quickbooks_online.client import QuickBooksClient
from integrations.quickbooks_online.connector import QuickBooksOnlineConnector
from tests.factories import make_project
from tests.records import ITEMS as ITEMS
from tests.records import fresh as fresh
from tests.records import fresh_record as fresh_record
from tests.records import new_change_order as new_change_order
from tests.records import new_commitment as new_commitment
from tests.records import new_company as new_company
from tests.records import new_invoice as new_invoice
from tests.records import people as people


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


def new_project(books: Books) -> Project:
    return make_project(number=f"P-2{books.tag:03d}", name="North Annex", members=[books.pm])


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
