"""Plain functions that build valid records for tests. Every argument has a sensible default.

`synced=True` marks a record as already exported (status synced with an ERP id), the way a
finished export leaves it; use it to set the scene, never to test a transition.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from approvals.groups import ensure_default_groups
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
from approvals.permissions import ACCOUNTING_APPROVERS, ADMINISTRATORS, PROJECT_MANAGERS
from approvals.states import SyncStatus
from integrations.models import ERPConnection, ERPKind

_sequence = itertools.count(1)

ROLES = {
    "project_manager": PROJECT_MANAGERS,
    "approver": ACCOUNTING_APPROVERS,
    "administrator": ADMINISTRATORS,
}


def _next() -> int:
    return next(_sequence)


def make_user(
    *,
    role: str | None = None,
    username: str | None = None,
    email: str | None = None,
    projects=(),
    approve=(),
    first_name: str = "",
    **fields,
):
    """role: None, "project_manager", "approver" (all types), "administrator" or "superuser".

    approve: record models to give only their per-type approve permission (no group needed).
    projects: projects the user is a member of.
    """
    number = _next()
    username = username or f"user{number}"
    user = get_user_model().objects.create_user(
        username=username,
        email=email if email is not None else f"{username}@example.com",
        password="pw",
        first_name=first_name,
        is_superuser=role == "superuser",
        is_staff=role in {"superuser", "administrator", "approver"},
        **fields,
    )
    if role in ROLES:
        # A transactional test's flush empties the groups table; put the roles back.
        ensure_default_groups()
        user.groups.add(Group.objects.get(name=ROLES[role]))
    for model in approve:
        user.user_permissions.add(
            Permission.objects.get(
                content_type__app_label="approvals",
                codename=f"approve_{model._meta.model_name}",
            )
        )
    for project in projects:
        project.members.add(user)
    return user


# The company of a connection made only because a record was made synced before any was.
UNNAMED_COMPANY_ID = "made-by-a-factory"


def make_erp_connection(*, kind: str = ERPKind.QUICKBOOKS_ONLINE, **fields) -> ERPConnection:
    """A connection; the one a factory made for records synced earlier becomes it."""
    fields.setdefault("company_id", f"{9130000000 + _next()}")
    fields.setdefault("company_name", "Sandbox Construction Co")
    return adopt_unnamed_connection(kind=kind, **fields) or ERPConnection.objects.create(
        kind=kind, **fields
    )


def adopt_unnamed_connection(**fields) -> ERPConnection | None:
    """The connection made for records synced before any connection was, given `fields`: those
    records are then linked through the connection the test makes."""
    unnamed = ERPConnection.objects.filter(company_id=UNNAMED_COMPANY_ID).first()
    if unnamed is None:
        return None
    for name, value in {"is_active": True, **fields}.items():
        setattr(unnamed, name, value)
    unnamed.save()
    return unnamed


def linking_connection() -> ERPConnection:
    """The connection a record made synced here is linked through: the active one, else the
    latest, else an inactive one a connection made later adopts (an ERP id always names its
    connection)."""
    return ERPConnection.objects.order_by("-is_active", "-pk").first() or (
        ERPConnection.objects.create(
            kind=ERPKind.QUICKBOOKS_ONLINE, company_id=UNNAMED_COMPANY_ID, is_active=False
        )
    )


def _mark_synced(record, erp_id: str | None = None):
    type(record).objects.filter(pk=record.pk).update(
        sync_status=SyncStatus.SYNCED,
        erp_id=erp_id or str(_next()),
        erp_connection=linking_connection(),
    )
    record.refresh_from_db()
    return record


def make_project(
    *,
    number: str | None = None,
    name: str | None = None,
    synced: bool = False,
    members=(),
    **fields,
) -> Project:
    n = _next()
    project = Project.objects.create(
        number=number or f"P-{n:03d}", name=name or f"Riverside Clinic {n}", **fields
    )
    for user in members:
        project.members.add(user)
    return _mark_synced(project) if synced else project


def make_company(*, name: str | None = None, synced: bool = False, **fields) -> Company:
    company = Company.objects.create(name=name or f"Acme Drywall {_next()}", **fields)
    return _mark_synced(company) if synced else company


def make_cost_code(
    *, code: str | None = None, name: str = "Drywall", standard: bool = True, **fields
) -> CostCode:
    fields.setdefault("cost_type", CostType.SUBCONTRACT)
    n = _next()
    if standard:
        fields.setdefault("erp_connection", linking_connection())
    return CostCode.objects.create(
        code=code or f"09-{n:04d}",
        name=name,
        erp_id=str(n) if standard else "",
        **fields,
    )


def make_commitment(
    *,
    project: Project | None = None,
    vendor: Company | None = None,
    lines=(Decimal("10000.00"),),
    status: str = CommitmentStatus.APPROVED,
    synced: bool = False,
    **fields,
) -> Commitment:
    """lines: amounts, or (cost_code, amount) pairs; each line gets a standard cost code."""
    n = _next()
    fields.setdefault("kind", CommitmentKind.SUBCONTRACT)
    fields.setdefault("number", f"SC-{n:03d}")
    fields.setdefault("title", f"Drywall package {n}")
    commitment = Commitment.objects.create(
        project=project or make_project(synced=True),
        vendor=vendor or make_company(synced=True),
        status=status,
        **fields,
    )
    for position, line in enumerate(lines, start=1):
        cost_code, amount = line if isinstance(line, tuple) else (make_cost_code(), line)
        CommitmentLine.objects.create(
            commitment=commitment,
            position=position,
            cost_code=cost_code,
            description=f"Line {position}",
            amount=Decimal(amount),
        )
    return _mark_synced(commitment) if synced else commitment


def make_change_order(
    *,
    commitment: Commitment | None = None,
    lines=(Decimal("1500.00"),),
    status: str = ChangeOrderStatus.APPROVED,
    **fields,
) -> CommitmentChangeOrder:
    """lines: amounts of new lines (negative for a deduction), or (cost_code, amount) pairs."""
    n = _next()
    fields.setdefault("number", f"{n:03d}")
    fields.setdefault("title", f"Extra work {n}")
    change_order = CommitmentChangeOrder.objects.create(
        commitment=commitment or make_commitment(synced=True), status=status, **fields
    )
    for line in lines:
        cost_code, amount = line if isinstance(line, tuple) else (make_cost_code(), line)
        ChangeOrderLine.objects.create(
            change_order=change_order,
            cost_code=cost_code,
            description="Change",
            amount=Decimal(amount),
        )
    return change_order


def make_invoice(
    *,
    commitment: Commitment | None = None,
    lines=None,
    status: str = InvoiceStatus.APPROVED,
    period_start: date | None = None,
    **fields,
) -> SubcontractorInvoice:
    """lines: one dict per commitment line in order, with work_completed, materials_stored and
    retainage_withheld (Decimal or str); by default $1,000.00 of work and $100.00 retainage on
    the first line."""
    commitment = commitment or make_commitment(synced=True)
    period_start = period_start or date(2026, 5, 1)
    fields.setdefault("number", f"INV-{_next()}")
    fields.setdefault("billing_date", period_start + timedelta(days=30))
    fields.setdefault("period_end", period_start + timedelta(days=30))
    invoice = SubcontractorInvoice.objects.create(
        commitment=commitment, status=status, period_start=period_start, **fields
    )
    if lines is None:
        lines = [{"work_completed": "1000.00", "retainage_withheld": "100.00"}]
    commitment_lines = list(commitment.lines.order_by("position"))
    for commitment_line, line in zip(commitment_lines, lines, strict=False):
        InvoiceLine.objects.create(
            invoice=invoice,
            commitment_line=commitment_line,
            **{key: Decimal(value) for key, value in line.items()},
        )
    return invoice
