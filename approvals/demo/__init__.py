"""Demo data: a general contractor with records in every status, exported for real to the sandbox.

Everything goes through the same services, tasks and connector a real company uses; only the
QuickBooks Online company is the local sandbox.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone

from approvals import services
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
    ProjectMembership,
    SubcontractorInvoice,
    SyncKind,
)
from approvals.permissions import ACCOUNTING_APPROVERS, ADMINISTRATORS, PROJECT_MANAGERS
from approvals.services.importing.imports_jobs import project_enable_job_costs
from approvals.services.importing.sync_schedule import sync_run
from integrations.models import ERPConnection, ERPKind
from integrations.quickbooks_online.client import QuickBooksClient
from integrations.quickbooks_online.sandbox.control import SandboxHandle

DEMO_MARKER_PROJECT = "P-1001"

COST_CODES = [
    ("01-100", "General Requirements", CostType.OTHER, "Job Materials"),
    ("03-300", "Cast-in-Place Concrete", CostType.SUBCONTRACT, "Subcontractors"),
    ("05-120", "Structural Steel", CostType.SUBCONTRACT, "Subcontractors"),
    ("06-100", "Rough Carpentry", CostType.LABOR, "Subcontractors"),
    ("09-250", "Gypsum Board", CostType.SUBCONTRACT, "Subcontractors"),
    ("09-900", "Painting", CostType.SUBCONTRACT, "Subcontractors"),
    ("22-000", "Plumbing", CostType.SUBCONTRACT, "Subcontractors"),
    ("26-000", "Electrical", CostType.SUBCONTRACT, "Subcontractors"),
    ("31-000", "Earthwork", CostType.EQUIPMENT, "Equipment Rental"),
]

COMPANIES = {
    "keystone": dict(
        name="Keystone Concrete LLC",
        email="ap@keystoneconcrete.example",
        phone="(503) 555-0141",
        tax_id="93-1234567",
        address_line1="1200 SE Water Ave",
        city="Portland",
        region="OR",
        postal_code="97214",
        country="USA",
    ),
    "acme": dict(name="Acme Drywall Inc", email="billing@acmedrywall.example", city="Salem"),
    "bright": dict(name="Bright Spark Electric", email="office@brightspark.example"),
    "summit": dict(name="Summit Steel Erectors", email="ar@summitsteel.example"),
    "pacific": dict(name="Pacific Plumbing Co", email="accounts@pacificplumbing.example"),
    "northside": dict(name="Northside Painting"),
    "star": dict(name="Star Framing", email="info@starframing.example"),
}

# Vendors the bookkeeper keeps in QuickBooks only, as an accountant sees them when matching.
QUICKBOOKS_ONLY_VENDORS = {
    "Star Framing, LLC": {},
    "Granite Countertops Inc": {
        "PrimaryEmailAddr": {"Address": "billing@granitecountertops.example"},
        "TaxIdentifier": "91-7654321",
        "BillAddr": {
            "Line1": "310 NE Alberta St",
            "City": "Portland",
            "CountrySubDivisionCode": "OR",
            "PostalCode": "97211",
        },
    },
    "Home Depot Pro": {
        "PrimaryEmailAddr": {"Address": "pro-ar@homedepot.example"},
        "BillAddr": {"Line1": "PO Box 9055", "City": "Des Moines", "CountrySubDivisionCode": "IA"},
    },
}


def seed_demo(*, sandbox: SandboxHandle, password: str) -> list[str]:
    """Seed once; later runs find the marker project and leave everything as it is."""
    if Project.objects.filter(number=DEMO_MARKER_PROJECT).exists():
        return ["Demo data already present; leaving it as it is."]
    sandbox.reset()
    users = _users(password)
    connection = _connect(sandbox, users["admin"])
    parents = _quickbooks_customers(sandbox)
    codes = _cost_codes(sandbox, connection)
    _quickbooks_only_records(sandbox, codes, parents)
    projects = _projects(users["pm"])
    companies = companies_on(projects["clinic"])

    pm, accountant = users["pm"], users["accountant"]

    services.record_send(record=projects["clinic"], actor=pm)
    services.record_accept(
        record=projects["clinic"], actor=accountant, choices={"parent_customer_id": parents[0]}
    )
    services.record_send(record=projects["gym"], actor=pm)
    companies_decided(companies, pm=pm, accountant=accountant)
    _run_exports()

    clinic = _refresh(projects["clinic"])
    concrete = _commitment(
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
    drywall = _commitment(
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
    electrical = _commitment(
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
    steel = _commitment(
        clinic,
        _refresh(companies["summit"]),
        "SC-004",
        "Structural steel package",
        codes,
        [("05-120", "Steel supply and erection", "264000.00")],
    )
    _commitment(
        clinic,
        _refresh(companies["pacific"]),
        "SC-005",
        "Plumbing rough-in",
        codes,
        [("22-000", "Domestic water and waste", "97300.00")],
        status=CommitmentStatus.DRAFT,
    )

    services.record_send(record=concrete, actor=pm)
    services.record_accept(record=concrete, actor=accountant)
    services.record_send(record=drywall, actor=pm)
    services.record_accept(record=drywall, actor=accountant)
    _run_exports()

    # Summit's vendor is made inactive in QuickBooks, so its subcontract fails to export and
    # lands in Failed to Export with QuickBooks' reason, as it would for a real company.
    _deactivate_vendor(connection, _refresh(companies["summit"]).erp_id)
    services.record_send(record=steel, actor=pm)
    services.record_accept(record=steel, actor=accountant)
    services.record_send(record=electrical, actor=pm)
    _run_exports()

    concrete = _refresh(concrete)
    cco_synced = _change_order(
        concrete,
        "CCO-001",
        "Added footing at grid C-4",
        codes,
        [("03-300", "Footing F-7 at grid C-4", "8425.00")],
    )
    services.record_send(record=cco_synced, actor=pm)
    services.record_accept(record=cco_synced, actor=accountant)
    cco_waiting = _change_order(
        concrete,
        "CCO-002",
        "Rock removal allowance",
        codes,
        [("31-000", "Rock excavation, 40 CY", "12600.00")],
    )
    services.record_send(record=cco_waiting, actor=pm)
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
    rejected = _invoice(
        concrete, "KC-1043", today - timedelta(days=5), {1: "27645.00"}, retainage="5"
    )
    services.record_send(record=rejected, actor=pm)
    services.record_reject(
        record=rejected,
        actor=accountant,
        reason="Retainage on this subcontract is 10%, the pay application withholds 5%.",
    )
    edited_later = _invoice(
        _refresh(drywall), "AD-2206", today - timedelta(days=33), {0: "28400.00"}
    )
    services.record_send(record=edited_later, actor=pm)
    services.record_accept(record=edited_later, actor=accountant)
    _run_exports()
    _invoice(_refresh(drywall), "AD-2207", today - timedelta(days=3), {0: "32225.00"})
    _run_exports()
    # Someone keys a different amount into AD-2206's bill in QuickBooks after it was exported:
    # the job-cost sync below flags it on the dashboard beside the approved amount.
    _change_first_bill_line(connection, _refresh(edited_later).erp_id, "25400.00")

    clinic = _refresh(clinic)
    _quickbooks_job_costs(sandbox, clinic, codes, _refresh(first))
    project_enable_job_costs(project=clinic, actor=accountant)
    for kind in (SyncKind.VENDORS, SyncKind.JOBS, SyncKind.JOB_COSTS):
        sync_run(connection=connection, kind=kind)

    return [
        "Demo data seeded:",
        f"  {Project.objects.count()} projects, {Company.objects.count()} companies, "
        f"{CostCode.objects.count()} cost codes, {Commitment.objects.count()} commitments, "
        f"{CommitmentChangeOrder.objects.count()} change orders, "
        f"{SubcontractorInvoice.objects.count()} invoices",
        f"  connected to the QuickBooks Online sandbox (realm {connection.company_id})",
    ]


def companies_decided(companies: dict[str, Company], *, pm, accountant) -> None:
    """The project manager sends the companies; the accountant accepts four, leaves one
    waiting, and rejects Star Framing, which the books already hold under another name."""
    for key in ("keystone", "acme", "bright", "summit"):
        services.record_send(record=companies[key], actor=pm)
        services.record_accept(record=companies[key], actor=accountant)
    services.record_send(record=companies["pacific"], actor=pm)
    services.record_send(record=companies["star"], actor=pm)
    services.record_reject(
        record=companies["star"],
        actor=accountant,
        reason="QuickBooks already has 'Star Framing, LLC': link that vendor instead.",
    )


def _users(password: str) -> dict:
    user_model = get_user_model()
    specs = {
        "pm": dict(first_name="Pat", last_name="Morgan", group=PROJECT_MANAGERS),
        "accountant": dict(first_name="Alex", last_name="Chen", group=ACCOUNTING_APPROVERS),
        "admin": dict(first_name="Ada", last_name="Admin", group=ADMINISTRATORS),
    }
    users = {}
    for username, spec in specs.items():
        group = Group.objects.get(name=spec.pop("group"))
        user, _ = user_model.objects.get_or_create(
            username=username,
            defaults={
                **spec,
                "email": f"{username}@summit-builders.example",
                "is_staff": username != "pm",
                "is_superuser": username == "admin",
            },
        )
        user.set_password(password)
        user.save()
        user.groups.add(group)
        users[username] = user
    return users


def _connect(sandbox: SandboxHandle, admin) -> ERPConnection:
    tokens = sandbox.issue_tokens()
    now = timezone.now()
    ERPConnection.objects.filter(kind=ERPKind.QUICKBOOKS_ONLINE, is_active=True).update(
        is_active=False, disconnected_at=now
    )
    connection, _ = ERPConnection.objects.update_or_create(
        kind=ERPKind.QUICKBOOKS_ONLINE,
        company_id=sandbox.realm_id,
        defaults={
            "company_name": "Sandbox Construction Co",
            "access_token": tokens["access_token"],
            "access_token_expires_at": now + timedelta(seconds=int(tokens["expires_in"])),
            "refresh_token": tokens["refresh_token"],
            "refresh_token_expires_at": now
            + timedelta(seconds=int(tokens["x_refresh_token_expires_in"])),
            "is_active": True,
            "connected_by": admin,
            "disconnected_at": None,
        },
    )
    return connection


def _quickbooks_customers(sandbox: SandboxHandle) -> list[str]:
    names = ["Riverside Health System", "Oakwood School District", "Harbor Point Developers"]
    return [sandbox.create_entity("Customer", {"DisplayName": name})["Id"] for name in names]


def _account_ids(sandbox: SandboxHandle) -> dict[str, str]:
    return {account["Name"]: account["Id"] for account in sandbox.entities("Account")}


def _cost_codes(sandbox: SandboxHandle, connection: ERPConnection) -> dict[str, CostCode]:
    """Items entered in QuickBooks, brought in by the real cost-code import."""
    accounts = _account_ids(sandbox)
    for code, name, _cost_type, account in COST_CODES:
        sandbox.create_entity(
            "Item",
            {
                "Name": f"{code} {name}",
                "Sku": code,
                "Type": "Service",
                "ExpenseAccountRef": {"value": accounts[account]},
                "IncomeAccountRef": {"value": accounts["Construction Income"]},
            },
        )
    sync_run(connection=connection, kind=SyncKind.COST_CODES)
    return typed_cost_codes(connection)


def typed_cost_codes(connection: ERPConnection) -> dict[str, CostCode]:
    """The demo's cost codes as the import brought them from the ERP's items, each given its
    cost type (an import makes every new one 'other')."""
    codes = {}
    for code, _name, cost_type, _account in COST_CODES:
        cost_code = CostCode.objects.get(code=code, erp_connection=connection)
        CostCode.objects.filter(pk=cost_code.pk).update(cost_type=cost_type)
        cost_code.refresh_from_db()
        codes[code] = cost_code
    return codes


def companies_on(project: Project) -> dict[str, Company]:
    """The demo's companies, every one working on `project`."""
    companies = {key: Company.objects.create(**fields) for key, fields in COMPANIES.items()}
    for company in companies.values():
        project.companies.add(company)
    return companies


def _quickbooks_only_records(sandbox, codes, parents) -> None:
    """Jobs, vendors and costs entered straight into QuickBooks, for the import side."""
    for name, details in QUICKBOOKS_ONLY_VENDORS.items():
        sandbox.create_entity("Vendor", {"DisplayName": name, "CompanyName": name, **details})
    sandbox.create_entity(
        "Customer",
        {
            "DisplayName": "Harbor Point Parking Garage",
            "ShipAddr": {
                "Line1": "11 Harbor Point Way",
                "City": "Vancouver",
                "CountrySubDivisionCode": "WA",
                "PostalCode": "98660",
            },
            "Job": True,
            "ParentRef": {"value": parents[2]},
        },
    )


def _quickbooks_job_costs(sandbox, clinic, codes, paid_invoice) -> None:
    """Costs the bookkeeper entered in QuickBooks against the clinic's job, and a payment."""
    vendors = {vendor["DisplayName"]: vendor["Id"] for vendor in sandbox.entities("Vendor")}
    accounts = _account_ids(sandbox)

    def line(code: str, description: str, amount: str) -> dict:
        return {
            "DetailType": "ItemBasedExpenseLineDetail",
            "Amount": amount,
            "Description": description,
            "ItemBasedExpenseLineDetail": {
                "ItemRef": {"value": codes[code].erp_id},
                "CustomerRef": {"value": clinic.erp_id},
                "Qty": 1,
                "UnitPrice": amount,
            },
        }

    sandbox.create_entity(
        "Purchase",
        {
            "PaymentType": "CreditCard",
            "AccountRef": {"value": accounts["Mastercard"]},
            "EntityRef": {"type": "Vendor", "value": vendors["Home Depot Pro"]},
            "Line": [
                line("06-100", "Lumber and fasteners", "1240.50"),
                line("01-100", "Temporary fencing rental", "386.00"),
            ],
        },
    )
    sandbox.create_entity(
        "Bill",
        {
            "VendorRef": {"value": vendors["Granite Countertops Inc"]},
            "DocNumber": "GC-5512",
            "Line": [line("01-100", "Reception desk countertop", "4875.00")],
        },
    )
    sandbox.create_entity(
        "VendorCredit",
        {
            "VendorRef": {"value": vendors["Home Depot Pro"]},
            "Line": [line("06-100", "Returned lumber", "212.25")],
        },
    )
    bill = next(b for b in sandbox.entities("Bill") if b["Id"] == paid_invoice.erp_id)
    sandbox.create_entity(
        "BillPayment",
        {
            "VendorRef": bill["VendorRef"],
            "PayType": "Check",
            "CheckPayment": {"BankAccountRef": {"value": accounts["Checking"]}},
            "TotalAmt": str(bill["TotalAmt"]),
            "Line": [
                {
                    "Amount": str(bill["TotalAmt"]),
                    "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}],
                }
            ],
        },
    )


def _projects(pm) -> dict[str, Project]:
    specs = {
        "clinic": dict(
            number=DEMO_MARKER_PROJECT,
            name="Riverside Clinic Expansion",
            address="4100 Riverside Dr, Portland, OR",
            customer_name="Riverside Health System",
        ),
        "gym": dict(
            number="P-1002",
            name="Oakwood Elementary Gymnasium",
            address="77 Oakwood Ln, Beaverton, OR",
            customer_name="Oakwood School District",
        ),
        "lofts": dict(
            number="P-1003",
            name="Harbor Point Lofts",
            address="9 Harbor Point Way, Vancouver, WA",
            customer_name="Harbor Point Developers",
        ),
    }
    projects = {}
    for key, fields in specs.items():
        project = Project.objects.create(created_by=pm, **fields)
        ProjectMembership.objects.create(project=project, user=pm)
        projects[key] = project
    return projects


def _commitment(project, vendor, number, title, codes, lines, *, kind=None, status=None):
    commitment = Commitment.objects.create(
        project=project,
        vendor=vendor,
        kind=kind or CommitmentKind.SUBCONTRACT,
        number=number,
        title=title,
        status=status or CommitmentStatus.APPROVED,
        default_retainage_percent=Decimal("10.00"),
    )
    for position, line in enumerate(lines, start=1):
        code, description, amount, *quantity = line
        fields = {"amount": Decimal(amount)} if amount else {}
        if quantity:
            qty, unit_cost = (Decimal(value) for value in quantity)
            fields = {
                "quantity": qty,
                "unit_cost": unit_cost,
                "amount": (qty * unit_cost).quantize(Decimal("0.01")),
            }
        CommitmentLine.objects.create(
            commitment=commitment,
            position=position,
            cost_code=codes[code],
            description=description,
            **fields,
        )
    return commitment


def _change_order(commitment, number, title, codes, lines):
    change_order = CommitmentChangeOrder.objects.create(
        commitment=commitment, number=number, title=title, status=ChangeOrderStatus.APPROVED
    )
    for code, description, amount in lines:
        ChangeOrderLine.objects.create(
            change_order=change_order,
            cost_code=codes[code],
            description=description,
            amount=Decimal(amount),
        )
    return change_order


def _invoice(commitment, number, billing_date: date, work_by_line, retainage=None):
    percent = Decimal(retainage) if retainage else commitment.default_retainage_percent
    invoice = SubcontractorInvoice.objects.create(
        commitment=commitment,
        number=number,
        billing_date=billing_date,
        period_start=billing_date.replace(day=1),
        period_end=billing_date,
        due_date=billing_date + timedelta(days=30),
        status=InvoiceStatus.APPROVED,
    )
    lines = list(commitment.lines.order_by("position"))
    for index, amount in work_by_line.items():
        work = Decimal(amount)
        InvoiceLine.objects.create(
            invoice=invoice,
            commitment_line=lines[index],
            work_completed=work,
            retainage_withheld=(work * percent / 100).quantize(Decimal("0.01")),
        )
    return invoice


def _deactivate_vendor(connection: ERPConnection, vendor_id: str) -> None:
    client = QuickBooksClient(connection)
    vendor = client.read("Vendor", vendor_id)
    client.update(
        "Vendor",
        {"Id": vendor_id, "SyncToken": vendor["SyncToken"], "Active": False},
        request_id=str(uuid.uuid4()),
        sparse=True,
    )


def _change_first_bill_line(connection: ERPConnection, bill_id: str, amount: str) -> None:
    client = QuickBooksClient(connection)
    bill = client.read("Bill", bill_id)
    lines = [dict(line) for line in bill["Line"]]
    lines[0]["Amount"] = amount
    client.update("Bill", {**bill, "Line": lines}, request_id=str(uuid.uuid4()))


def _run_exports() -> None:
    call_command("db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", verbosity=0)


def _refresh(record):
    record.refresh_from_db()
    return record
