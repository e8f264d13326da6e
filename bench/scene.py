"""Large scenes built fast with bulk_create: the records a busy general contractor has.

Records are written as a finished workflow leaves them (sent, synced), the way a database
restored from production looks; the benchmarks then measure pages and services on top.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
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
    CostType,
    InvoiceLine,
    InvoiceStatus,
    Project,
    SubcontractorInvoice,
)
from approvals.permissions import ACCOUNTING_APPROVERS, PROJECT_MANAGERS
from approvals.states import SyncStatus
from integrations.models import ERPConnection, ERPKind

BATCH = 5_000
# Room for every invoice a scenario bills on one line: none of them passes its balance.
LINE_AMOUNT = Decimal("10000000.00")
WORK_COMPLETED = Decimal("1000.00")
RETAINAGE = Decimal("100.00")
PERIOD_START = date(2026, 5, 1)


def user(*, username: str, group: str, staff: bool = False):
    person = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.com", is_staff=staff
    )
    person.groups.add(Group.objects.get(name=group))
    return person


def approver(username: str = "approver"):
    return user(username=username, group=ACCOUNTING_APPROVERS, staff=True)


def project_manager(username: str = "pm"):
    return user(username=username, group=PROJECT_MANAGERS)


def offline_connection(company_id: str = "bench-company") -> ERPConnection:
    """A QuickBooks Online company that pages reach without HTTP (checks need no call)."""
    return ERPConnection.objects.get_or_create(
        kind=ERPKind.QUICKBOOKS_ONLINE,
        company_id=company_id,
        defaults={"company_name": "Bench Construction"},
    )[0]


def _linking_connection() -> ERPConnection:
    """The connection the scene's ERP ids belong to (an ERP id always names its connection)."""
    return ERPConnection.objects.filter(is_active=True).order_by("pk").first() or (
        offline_connection()
    )


def cost_codes(count: int, *, prefix: str = "09") -> list[CostCode]:
    connection = _linking_connection()
    return CostCode.objects.bulk_create(
        CostCode(
            code=f"{prefix}-{n:04d}",
            name=f"Cost code {n}",
            cost_type=CostType.SUBCONTRACT,
            erp_id=f"item-{prefix}-{n}",
            erp_connection=connection,
        )
        for n in range(1, count + 1)
    )


def projects(count: int, *, prefix: str = "P", members=()) -> list[Project]:
    connection = _linking_connection()
    created = Project.objects.bulk_create(
        Project(
            number=f"{prefix}-{n:05d}",
            name=f"Riverside Clinic {prefix}{n}",
            customer_name="Riverside Health",
            sync_status=SyncStatus.SYNCED,
            erp_id=f"job-{prefix}-{n}",
            erp_connection=connection,
        )
        for n in range(1, count + 1)
    )
    for member in members:
        member.projects.add(*created)
    return created


def vendors(
    count: int, *, prefix: str = "Acme", sync_status: str = SyncStatus.SYNCED, sent_by=None
) -> list[Company]:
    """Companies; synced ones carry an ERP id, waiting ones were sent by `sent_by`."""
    synced = sync_status == SyncStatus.SYNCED
    waiting = sync_status == SyncStatus.READY_TO_EXPORT
    sent_at = timezone.now()
    connection = _linking_connection() if synced else None
    return Company.objects.bulk_create(
        (
            Company(
                name=f"{prefix} Drywall {n:06d}",
                email=f"ap{n}@{prefix.lower()}.example",
                sync_status=sync_status,
                erp_id=f"vendor-{prefix}-{n}" if synced else "",
                erp_connection=connection,
                sent_by=sent_by if waiting else None,
                sent_at=sent_at - timedelta(seconds=count - n) if waiting else None,
            )
            for n in range(1, count + 1)
        ),
        batch_size=BATCH,
    )


def commitments(
    count: int,
    *,
    projects: list[Project],
    vendors: list[Company],
    codes: list[CostCode],
    prefix: str = "SC",
) -> list[Commitment]:
    """Approved, synced subcontracts with one schedule-of-values line each, spread round-robin."""
    connection = _linking_connection()
    created = Commitment.objects.bulk_create(
        (
            Commitment(
                project=projects[n % len(projects)],
                vendor=vendors[n % len(vendors)],
                kind=CommitmentKind.SUBCONTRACT,
                number=f"{prefix}-{n:06d}",
                title=f"Drywall package {n}",
                status=CommitmentStatus.APPROVED,
                sync_status=SyncStatus.SYNCED,
                erp_id=f"po-{prefix}-{projects[n % len(projects)].pk}-{n}",
                erp_connection=connection,
            )
            for n in range(count)
        ),
        batch_size=BATCH,
    )
    CommitmentLine.objects.bulk_create(
        (
            CommitmentLine(
                commitment=commitment,
                position=1,
                cost_code=codes[n % len(codes)],
                description="Drywall and taping",
                amount=LINE_AMOUNT,
            )
            for n, commitment in enumerate(created)
        ),
        batch_size=BATCH,
    )
    return created


def change_orders(commitments: list[Commitment], *, codes: list[CostCode]) -> None:
    """One approved change order with one added line on each commitment."""
    created = CommitmentChangeOrder.objects.bulk_create(
        (
            CommitmentChangeOrder(
                commitment=commitment,
                number="001",
                title="Extra partitions",
                status=ChangeOrderStatus.APPROVED,
            )
            for commitment in commitments
        ),
        batch_size=BATCH,
    )
    ChangeOrderLine.objects.bulk_create(
        (
            ChangeOrderLine(
                change_order=change_order,
                cost_code=codes[n % len(codes)],
                description="Change",
                amount=Decimal("1500.00"),
            )
            for n, change_order in enumerate(created)
        ),
        batch_size=BATCH,
    )


def invoices(
    count: int,
    *,
    commitments: list[Commitment],
    sent_by=None,
    sync_status: str = SyncStatus.READY_TO_EXPORT,
    prefix: str = "INV",
) -> list[SubcontractorInvoice]:
    """Approved pay applications, one line each ($1,000.00 of work, $100.00 retainage), spread
    round-robin over the commitments; each has its own number and billing period."""
    lines = dict(
        CommitmentLine.objects.filter(commitment__in=commitments).values_list("commitment_id", "pk")
    )
    sent_at = timezone.now()
    created = SubcontractorInvoice.objects.bulk_create(
        (
            _invoice(n, commitments[n % len(commitments)], sent_by, sync_status, sent_at, prefix)
            for n in range(count)
        ),
        batch_size=BATCH,
    )
    InvoiceLine.objects.bulk_create(
        (
            InvoiceLine(
                invoice=invoice,
                commitment_line_id=lines[invoice.commitment_id],
                work_completed=WORK_COMPLETED,
                retainage_withheld=RETAINAGE,
            )
            for invoice in created
        ),
        batch_size=BATCH,
    )
    return created


def _invoice(n: int, commitment, sent_by, sync_status, sent_at, prefix) -> SubcontractorInvoice:
    period_start = PERIOD_START + timedelta(days=n)
    waiting = sync_status != SyncStatus.NOT_SENT
    return SubcontractorInvoice(
        commitment=commitment,
        number=f"{prefix}-{n:06d}",
        billing_date=period_start + timedelta(days=30),
        period_start=period_start,
        period_end=period_start + timedelta(days=30),
        status=InvoiceStatus.APPROVED,
        sync_status=sync_status,
        sent_by=sent_by if waiting else None,
        sent_at=sent_at - timedelta(seconds=n) if waiting else None,
    )


def settle() -> None:
    """Vacuum and analyze, as autovacuum keeps a production database: a freshly bulk-loaded
    table has no statistics, and PostgreSQL would plan its queries for an empty one."""
    from django.db import connection

    with connection.cursor() as cursor:
        # VACUUM cannot run in a transaction (the smoke test runs in one); ANALYZE can.
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
