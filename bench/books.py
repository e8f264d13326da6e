"""Real QuickBooks documents behind a scene's records: what invoices need before they can be
billed (items, a job, vendors, purchase orders), created in the sandbox by our connector, the
records then marked synced as a finished export leaves them."""

from __future__ import annotations

import uuid

from django.utils import timezone

from approvals.models import Commitment, Company, CostCode, Project
from approvals.services.exporting.exports import store_line_ids
from approvals.states import SyncStatus
from integrations.models import ERPConnection
from integrations.quickbooks_online.connector import QuickBooksOnlineConnector


def items_for(handle, codes: list[CostCode], connection: ERPConnection) -> None:
    """An item in QuickBooks for each cost code, which the cost code then names."""
    expense = next(
        account["Id"]
        for account in handle.entities("Account", realm_id=connection.company_id)
        if account["AccountType"] == "Cost of Goods Sold"
    )
    for code in codes:
        item = handle.create_entity(
            "Item",
            {"Name": code.name, "Type": "NonInventory", "ExpenseAccountRef": {"value": expense}},
            realm_id=connection.company_id,
        )
        CostCode.objects.filter(pk=code.pk).update(erp_id=item["Id"], erp_connection=connection)


def exported(records: list, connection: ERPConnection, *, owner: str = "Riverside Health") -> None:
    """Each record exported through the connector, in order (a project under a new customer
    `owner`), and marked synced to what it created."""
    connector = QuickBooksOnlineConnector(connection)
    parent = None
    for record in records:
        if isinstance(record, Project):
            if parent is None:
                parent = connector.client.create(
                    "Customer", {"DisplayName": owner}, request_id=uuid.uuid4().hex
                )["Id"]
            Project.objects.filter(pk=record.pk).update(erp_parent_customer_id=parent)
        record = type(record).objects.get(pk=record.pk)
        result = connector.export(record, idempotency_key=uuid.uuid4().hex)
        type(record).objects.filter(pk=record.pk).update(
            sync_status=SyncStatus.SYNCED,
            erp_id=result.erp_id,
            erp_version=result.version,
            erp_synced_at=timezone.now(),
            erp_connection=connection,
        )
        store_line_ids(record, result)


def purchase_orders(
    handle, connection: ERPConnection, *, orders: list[Commitment], codes: list[CostCode]
) -> None:
    """The job, the vendors and the purchase orders `orders` need, in QuickBooks."""
    items_for(handle, codes, connection)
    projects = list(Project.objects.filter(commitments__in=orders).distinct())
    vendors = list(Company.objects.filter(commitments__in=orders).distinct())
    exported([*projects, *vendors, *orders], connection)
