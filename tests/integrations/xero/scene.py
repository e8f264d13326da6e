"""The books a Xero test starts from: the sandbox's organisation with items for our cost codes
and our project, contact and subcontract already exported to it with the real connector, then
marked synced the way a finished export leaves them (records as tests/records.py builds them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.utils import timezone

from approvals.models import Commitment, Company, CostCode, Project
from approvals.states import SyncStatus
from integrations.models import ERPConnection
from integrations.xero import mapping
from integrations.xero.client import XeroClient
from integrations.xero.connector import XeroConnector
from tests.factories import make_project
from tests.records import ITEMS, fresh, new_commitment


@dataclass
class Books:
    sandbox: object
    connection: ERPConnection
    cost_codes: dict[str, CostCode]
    pm: object
    approver: object
    project: Project
    vendor: Company
    commitment: Commitment
    tag: int = 0  # keeps each organisation's codes and numbers apart when several are opened

    def records(self, kind: str) -> list[dict]:
        return self.sandbox.records(kind, tenant_id=self.connection.company_id)


def open_books(sandbox, connection: ERPConnection, *, pm, approver, tag: int = 0) -> Books:
    cost_codes = {}
    with XeroClient(connection) as client:
        for position, name in enumerate(ITEMS, start=1):
            code = f"{tag:03d}-{position}00" if tag else f"09-{position}00"
            item = client.create(
                "Items",
                {
                    "Items": [
                        mapping.cost_code_item_payload(code=code, name=name, account_code="320")
                    ]
                },
                idempotency_key=f"scene-item-{connection.company_id}-{code}",
            )["Items"][0]
            cost_codes[name] = CostCode.objects.create(
                code=code, name=name, erp_id=item["ItemID"], erp_connection=connection
            )
    pm, approver = fresh(pm), fresh(approver)
    connector = XeroConnector(connection)
    number = f"P-1{tag:03d}" if tag else "P-1001"
    project = make_project(number=number, name="Riverside Clinic", members=[pm])
    exported(connector, project)
    vendor = Company.objects.create(
        name="Acme Drywall", legal_name="Acme Drywall & Framing LLC", email="ap@acme.example"
    )
    exported(connector, vendor)
    commitment = new_commitment(project, vendor, cost_codes, number="SC-1001-004")
    Commitment.objects.filter(pk=commitment.pk).update(currency="AUD")
    exported(connector, commitment)
    return Books(sandbox, connection, cost_codes, pm, approver, project, vendor, commitment, tag)


def exported(connector: XeroConnector, record) -> None:
    result = connector.export(record, idempotency_key=f"scene-{uuid.uuid4().hex[:12]}")
    type(record).objects.filter(pk=record.pk).update(
        sync_status=SyncStatus.SYNCED,
        erp_id=result.erp_id,
        erp_version=result.version,
        erp_synced_at=timezone.now(),
        erp_connection=connector.connection,
    )
    for line in getattr(record, "lines", None).all() if hasattr(record, "lines") else []:
        if line.pk in result.line_ids:
            type(line).objects.filter(pk=line.pk).update(erp_line_id=result.line_ids[line.pk])
    record.refresh_from_db()
