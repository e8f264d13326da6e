"""Switching QuickBooks Online companies, end to end: our pages through Django's test client,
QuickBooks' consent and API through the sandbox over a real socket.

Company A is connected and records are exported to it; A is disconnected and company B
connected. What depends on A's ids is refused with a sentence until an administrator re-links
or unlinks it on the switching page; after the re-link, the export goes to B with B's ids.
"""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from approvals.models import (
    AuditEvent,
    Commitment,
    CommitmentKind,
    CommitmentLine,
    CommitmentStatus,
    Company,
    CostCode,
    Project,
)
from approvals.preconditions import send_problems
from approvals.services import record_accept, record_send
from approvals.services.importing.imports_cost_codes import cost_codes_sync
from approvals.services.importing.imports_jobs import jobs_sync
from approvals.services.importing.imports_vendors import vendors_sync
from approvals.states import Action, SyncStatus
from integrations.models import ERPConnection, ERPKind
from tests.factories import make_user
from tests.integrations.quickbooks_online.test_connect import approve_at_quickbooks, our_path
from tests.integrations.quickbooks_online.test_exports_end_to_end import run_queued_exports

pytestmark = pytest.mark.django_db

SWITCHING_URL = reverse("admin:approvals_switching")
CONNECTION_URL = reverse("quickbooks_online:connection")
REALM_B = "9341453050000777"
ITEMS = ("09-250 Gypsum board", "09-900 Painting")
SENTENCE = (
    "Vendor 'Riverside Drywall LLC' is linked to QuickBooks Online (Sandbox Construction Co), not "
    "the connected QuickBooks Online (Second Construction Co): re-link or unlink it under ERP "
    "Integrations → Switching accounting systems."
)


@pytest.fixture
def admin_client(db):
    administrator = User.objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(administrator)
    client.user = administrator
    return client


def connect(client, realm_id: str | None = None) -> ERPConnection:
    """Press Connect and consent at the sandbox, for `realm_id` (its default company if None)."""
    authorize_url = client.post(reverse("quickbooks_online:connect"))["Location"]
    if realm_id:
        authorize_url += f"&realm_id={realm_id}"
    response = client.get(our_path(approve_at_quickbooks(authorize_url)), follow=True)
    assert response.redirect_chain[-1][0] == CONNECTION_URL
    return ERPConnection.objects.get(kind=ERPKind.QUICKBOOKS_ONLINE, is_active=True)


def disconnect(client) -> None:
    assert client.post(reverse("quickbooks_online:disconnect")).status_code == 302
    assert not ERPConnection.objects.filter(is_active=True).exists()


def add_items(sandbox, realm_id: str) -> None:
    expense = next(
        account["Id"]
        for account in sandbox.entities("Account", realm_id=realm_id)
        if account["AccountType"] == "Cost of Goods Sold"
    )
    for name in ITEMS:
        sandbox.create_entity(
            "Item",
            {"Name": name, "Type": "NonInventory", "ExpenseAccountRef": {"value": expense}},
            realm_id=realm_id,
        )


def exported(record, pm, approver):
    record_send(record=record, actor=pm)
    record_accept(record=type(record).objects.get(pk=record.pk), actor=approver)
    assert run_queued_exports()[-1] == "synced"
    return type(record).objects.get(pk=record.pk)


def commitment_of(project, vendor, number: str) -> Commitment:
    commitment = Commitment.objects.create(
        project=project,
        vendor=vendor,
        kind=CommitmentKind.SUBCONTRACT,
        number=number,
        title="Framing and drywall",
        status=CommitmentStatus.APPROVED,
    )
    for position, code in enumerate(CostCode.objects.order_by("code"), start=1):
        CommitmentLine.objects.create(
            commitment=commitment,
            position=position,
            cost_code=code,
            description=code.name,
            amount=Decimal("1000.00") * position,
        )
    return commitment


@pytest.fixture
def company_a(admin_client, qbo_sandbox, qbo_settings):
    """Company A connected, its items imported, our project, vendor and one commitment in it."""
    realm_a = qbo_sandbox.realm_id
    connection = connect(admin_client)
    add_items(qbo_sandbox, realm_a)
    cost_codes_sync(connection=connection)
    customer = qbo_sandbox.create_entity("Customer", {"DisplayName": "Riverside Health"})
    pm = make_user(role="project_manager", username="pat")
    approver = make_user(role="approver", username="alex")
    project = Project.objects.create(
        number="P-104", name="Riverside Clinic", erp_parent_customer_id=customer["Id"]
    )
    project.members.add(pm)
    project = exported(project, pm, approver)
    vendor = exported(Company.objects.create(name="Riverside Drywall LLC"), pm, approver)
    synced_commitment = exported(commitment_of(project, vendor, "SC-1"), pm, approver)
    return {
        "connection": connection,
        "pm": pm,
        "approver": approver,
        "project": project,
        "vendor": vendor,
        "synced_commitment": synced_commitment,
        "commitment": commitment_of(project, vendor, "SC-2"),
    }


def switch_to_b(admin_client, qbo_sandbox) -> ERPConnection:
    disconnect(admin_client)
    qbo_sandbox.add_company(REALM_B, "Second Construction Co")
    add_items(qbo_sandbox, REALM_B)
    customer = qbo_sandbox.create_entity(
        "Customer", {"DisplayName": "Riverside Health"}, realm_id=REALM_B
    )
    qbo_sandbox.create_entity(
        "Customer",
        {
            "DisplayName": "P-104 Riverside Clinic",
            "Job": True,
            "ParentRef": {"value": customer["Id"]},
        },
        realm_id=REALM_B,
    )
    qbo_sandbox.create_entity("Vendor", {"DisplayName": "Riverside Drywall LLC"}, realm_id=REALM_B)
    connection = connect(admin_client, REALM_B)
    assert connection.company_id == REALM_B
    return connection


def audit_actions(model, pk) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id=pk
        ).values_list("action", flat=True)
    )


def test_a_switch_refuses_old_links_until_relinked_then_exports_to_the_new_company(
    admin_client, qbo_sandbox, company_a
):
    a = company_a
    old_vendor_id = a["vendor"].erp_id
    b = switch_to_b(admin_client, qbo_sandbox)

    # The connection page says records are linked elsewhere, and leads to the switching page.
    page = admin_client.get(CONNECTION_URL).content.decode()
    assert "linked to another accounting company than the connected one" in page
    assert SWITCHING_URL in page

    # A commitment whose vendor, job and items are A's is refused, with the sentence.
    commitment = a["commitment"]
    problems = send_problems(Commitment.objects.get(pk=commitment.pk))
    assert SENTENCE in problems
    assert any(
        "Project 'P-104 Riverside Clinic' is linked to QuickBooks Online" in p for p in problems
    )
    assert any("Cost code '09-250 Gypsum board' is linked to" in p for p in problems)

    # The record's pages say where it is linked.
    vendor_page = admin_client.get(
        reverse("admin:approvals_company_change", args=[a["vendor"].pk])
    ).content.decode()
    assert (
        "Linked to QuickBooks Online (Sandbox Construction Co), not the connected QuickBooks "
        "Online (Second Construction Co)." in vendor_page
    )

    # The switching page counts per type and old connection.
    page = admin_client.get(SWITCHING_URL).content.decode()
    assert "QuickBooks Online (Sandbox Construction Co)" in page
    for label, count in (("Companies", 1), ("Projects", 1), ("Cost codes", 2), ("Commitments", 1)):
        assert (
            f"<td>{label}</td><td>QuickBooks Online (Sandbox Construction Co)</td><td>{count}</td>"
            in page
        )

    # What B holds is imported; the re-link proposes the pairs, and links what was confirmed.
    vendors_sync(connection=b)
    jobs_sync(connection=b)
    cost_codes_sync(connection=b)
    old = a["connection"].pk
    for slug, model in (("company", Company), ("project", Project), ("costcode", CostCode)):
        proposed = admin_client.get(SWITCHING_URL, {"confirm": "relink", "type": slug, "from": old})
        keys = [pair.key for pair in proposed.context["confirming"]["pairs"]]
        assert len(keys) == model.objects.filter(erp_connection=old).count()
        response = admin_client.post(
            SWITCHING_URL,
            {"action": "relink", "type": slug, "from": old, "confirmed": "yes", "pair": keys},
            follow=True,
        )
        assert (
            "re-linked to QuickBooks Online (Second Construction Co)" in response.content.decode()
        )
        assert not model.objects.filter(erp_connection=old).exclude(erp_id="").exists()

    vendor = Company.objects.get(pk=a["vendor"].pk)
    b_vendor = next(
        v
        for v in qbo_sandbox.entities("Vendor", realm_id=REALM_B)
        if v["DisplayName"] == "Riverside Drywall LLC"
    )
    assert (vendor.erp_connection_id, vendor.erp_id) == (b.pk, b_vendor["Id"])
    assert vendor.sync_status == SyncStatus.SYNCED
    assert audit_actions(Company, vendor.pk)[-1] == Action.LINK
    link = AuditEvent.objects.filter(action=Action.LINK).order_by("pk")
    assert link.count() == 4  # one vendor, one job, two cost codes
    assert f"(id {old_vendor_id})" in link.first().reason

    # The transaction linked to A is unlinked, with its event; it goes back to Not sent.
    page = admin_client.get(SWITCHING_URL, {"confirm": "unlink", "type": "commitment", "from": old})
    assert (
        "Unlink 1 commitment from QuickBooks Online (Sandbox Construction Co)?"
        in page.content.decode()
    )
    admin_client.post(
        SWITCHING_URL,
        {"action": "unlink", "type": "commitment", "from": old, "expected": 1, "confirmed": "yes"},
    )
    unlinked = Commitment.objects.get(pk=a["synced_commitment"].pk)
    assert (unlinked.sync_status, unlinked.erp_id, unlinked.erp_connection) == (
        SyncStatus.NOT_SENT,
        "",
        None,
    )
    assert audit_actions(Commitment, unlinked.pk)[-1] == Action.UNLINK
    assert (
        "Nothing is linked to another accounting company."
        in admin_client.get(SWITCHING_URL).content.decode()
    )

    # Now the commitment goes to B, with B's vendor, job and items.
    exported_commitment = exported(Commitment.objects.get(pk=commitment.pk), a["pm"], a["approver"])
    assert exported_commitment.erp_connection_id == b.pk
    [order] = [
        po
        for po in qbo_sandbox.entities("PurchaseOrder", realm_id=REALM_B)
        if po["Id"] == exported_commitment.erp_id
    ]
    assert order["VendorRef"]["value"] == b_vendor["Id"]
    b_items = {i["Id"] for i in qbo_sandbox.entities("Item", realm_id=REALM_B)}
    lines = [line["ItemBasedExpenseLineDetail"] for line in order["Line"]]
    assert {line["ItemRef"]["value"] for line in lines} <= b_items
    assert {line["CustomerRef"]["value"] for line in lines} == {
        Project.objects.get(pk=a["project"].pk).erp_id
    }
    assert not [po for po in qbo_sandbox.entities("PurchaseOrder") if po.get("DocNumber") == "SC-2"]


def test_an_accept_made_before_the_switch_is_not_exported_to_the_new_company(
    admin_client, qbo_sandbox, company_a
):
    a = company_a
    commitment = a["commitment"]
    record_send(record=commitment, actor=a["pm"])
    record_accept(record=Commitment.objects.get(pk=commitment.pk), actor=a["approver"])
    switch_to_b(admin_client, qbo_sandbox)

    assert run_queued_exports()[-1] == "failed: linked through another connection"

    failed = Commitment.objects.get(pk=commitment.pk)
    assert failed.sync_status == SyncStatus.EXPORT_FAILED
    assert SENTENCE in failed.last_export_error
    assert not qbo_sandbox.entities("PurchaseOrder", realm_id=REALM_B)


def test_reconnecting_the_same_company_is_not_a_switch(admin_client, qbo_sandbox, company_a):
    a = company_a
    connect(admin_client)  # again, while connected
    disconnect(admin_client)
    again = connect(admin_client)

    assert again.pk == a["connection"].pk
    assert (
        "Nothing is linked to another accounting company."
        in admin_client.get(SWITCHING_URL).content.decode()
    )
    assert (
        "linked to another accounting company"
        not in admin_client.get(CONNECTION_URL).content.decode()
    )
    assert send_problems(Commitment.objects.get(pk=a["commitment"].pk)) == []
    vendor = Company.objects.get(pk=a["vendor"].pk)
    assert (vendor.erp_connection_id, vendor.erp_id) == (a["connection"].pk, a["vendor"].erp_id)
    assert not AuditEvent.objects.filter(action__in=(Action.LINK, Action.UNLINK)).exists()
