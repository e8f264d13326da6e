"""Records as the people of a scene keep them: a vendor, a subcontract with two lines, a change
order adding two more, an invoice billing the first two.

Any ERP's scene builds on them (tests/reliability/scene.py exports them to the QuickBooks Online
sandbox; the workflow tests link them to the scripted ERP). `books` is any scene object with the
`commitment` (and, for a change order, the `cost_codes` by name) its records hang on.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model

from approvals.models import (
    ChangeOrderLine,
    ChangeOrderStatus,
    Commitment,
    CommitmentChangeOrder,
    CommitmentKind,
    CommitmentLine,
    CommitmentStatus,
    Company,
    InvoiceLine,
    InvoiceStatus,
    SubcontractorInvoice,
)
from tests.factories import make_user

ITEMS = ("Gypsum board", "Painting", "Electrical")


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


def new_change_order(books) -> CommitmentChangeOrder:
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


def new_invoice(books, *, number: str = "INV-2001") -> SubcontractorInvoice:
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
