"""Bills link their purchase order line by line, and synced documents changed in QuickBooks
Online after the export are flagged on their records: through the services, the export worker
and the job-cost sync, against the sandbox over a socket."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from approvals.models import AuditEvent, SubcontractorInvoice
from approvals.services import record_accept, record_send, record_unlink
from approvals.services.importing.job_costs import job_costs_sync
from approvals.services.workflow.errors import PreconditionsNotMet
from approvals.states import ERPDrift, Note, SyncStatus
from tests.approvals.admin.helpers import run_queued_exports
from tests.reliability import scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(qbo_sandbox, qbo_settings, settings):
    settings.EXPORT_RETRY_BASE_SECONDS = 0
    settings.EXPORT_RETRY_MAX_SECONDS = 0
    pm, approver = scene.people()
    return scene.open_books(qbo_sandbox, pm=pm, approver=approver, tag=911)


def exported_invoice(books, number: str = "INV-2001") -> SubcontractorInvoice:
    invoice = scene.new_invoice(books, number=number)
    record_send(record=invoice, actor=books.pm)
    record_accept(record=invoice, actor=books.approver)
    assert run_queued_exports() == ["synced"]
    invoice.refresh_from_db()
    return invoice


def bill_of(books, invoice) -> dict:
    (bill,) = [bill for bill in books.entities("Bill") if bill["Id"] == invoice.erp_id]
    return bill


def order_of(books) -> dict:
    (order,) = [
        order for order in books.entities("PurchaseOrder") if order["Id"] == books.commitment.erp_id
    ]
    return order


def change_in_quickbooks(books, entity: str, document_id: str, change) -> dict:
    """Someone edits a document in QuickBooks itself: `change` turns the read into the update."""
    with scene.someone_in_quickbooks(books.connection) as client:
        current = client.read(entity, document_id)
        return client.update(entity, change(current), request_id=uuid.uuid4().hex)


def admin_client(books) -> Client:
    client = Client()
    client.force_login(scene.fresh(books.approver))
    return client


def test_an_exported_bill_links_each_line_to_its_purchase_order_line(books):
    invoice = exported_invoice(books)

    bill = bill_of(books, invoice)
    order = order_of(books)
    assert [line.get("LinkedTxn") for line in bill["Line"]][:2] == [
        [{"TxnId": order["Id"], "TxnType": "PurchaseOrder", "TxnLineId": order_line["Id"]}]
        for order_line in order["Line"]
    ]
    assert order["LinkedTxn"] == [{"TxnId": bill["Id"], "TxnType": "Bill"}]
    received = [Decimal(str(line["Received"])) for line in order["Line"]]
    # The second line has a quantity: QuickBooks counts what is received in units.
    assert received == [
        Decimal("12062.50"),
        (Decimal("3187.45") / Decimal("12.75")).quantize(Decimal("0.00001")),
    ]
    assert order["POStatus"] == "Open"
    assert invoice.sync_status == SyncStatus.SYNCED
    assert invoice.erp_problem == ""


def test_a_bill_that_cannot_be_linked_stays_synced_once_and_says_so_everywhere(books):
    # Someone rebuilt the purchase order's lines on other items: nothing on it matches ours.
    def rebuilt(order):
        lines = [
            scene.item_line(books, "Electrical", Decimal(str(line["Amount"])), description="x")
            for line in order["Line"]
        ]
        return {"Id": order["Id"], "SyncToken": order["SyncToken"], "Line": lines, "sparse": True}

    change_in_quickbooks(books, "PurchaseOrder", books.commitment.erp_id, rebuilt)

    invoice = exported_invoice(books)

    assert invoice.sync_status == SyncStatus.SYNCED
    assert len([b for b in books.entities("Bill") if b.get("DocNumber") == "INV-2001"]) == 1
    assert invoice.erp_problem.startswith("Not linked to its purchase order SC-1001-004")
    assert "line(s) 1, 2" in invoice.erp_problem
    client = admin_client(books)
    change_page = client.get(
        reverse("admin:approvals_subcontractorinvoice_change", args=[invoice.pk])
    ).content.decode()
    assert "Not linked to its purchase order SC-1001-004" in change_page
    queue = client.get(
        reverse("admin:approvals_subcontractorinvoice_changelist") + "?queue=synced"
    ).content.decode()
    assert "Not linked to its purchase order" in queue
    dashboard = client.get(reverse("admin:approvals_dashboard")).content.decode()
    assert "Not linked to its purchase order SC-1001-004" in dashboard

    # Someone links the lines in QuickBooks; the next sync sees it and the notice goes.
    order = order_of(books)

    def linked(bill):
        lines = []
        for line, order_line in zip(bill["Line"][:2], order["Line"], strict=True):
            line = {key: value for key, value in line.items() if key not in ("Id", "LineNum")}
            line["LinkedTxn"] = [
                {"TxnId": order["Id"], "TxnType": "PurchaseOrder", "TxnLineId": order_line["Id"]}
            ]
            lines.append(line)
        return {**bill, "Line": [*lines, *bill["Line"][2:]]}

    change_in_quickbooks(books, "Bill", invoice.erp_id, linked)
    job_costs_sync(connection=books.connection)
    job_costs_sync(connection=books.connection)

    invoice.refresh_from_db()
    assert invoice.erp_problem == ""
    assert invoice.erp_drift == ERPDrift.NONE
    actions = list(
        AuditEvent.objects.filter(object_id=invoice.pk, action__startswith="erp_problem")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [Note.ERP_PROBLEM_CLEARED]


def test_a_bill_edited_in_quickbooks_shows_its_amount_beside_the_approved_one(books):
    invoice = exported_invoice(books)
    job_costs_sync(connection=books.connection)

    def cut(bill):
        lines = [dict(line) for line in bill["Line"]]
        lines[0]["Amount"] = "10000.00"
        return {**bill, "Line": lines}

    change_in_quickbooks(books, "Bill", invoice.erp_id, cut)
    summary = job_costs_sync(connection=books.connection)

    invoice.refresh_from_db()
    assert summary.drifted == 1
    assert invoice.erp_drift == ERPDrift.EDITED
    assert invoice.erp_drift_amount == Decimal("11662.45")
    assert "comes to 11,662.45 where 13,724.95 was approved" in invoice.erp_drift_note
    dashboard = admin_client(books).get(reverse("admin:approvals_dashboard")).content.decode()
    assert "Bill INV-2001 was changed in QuickBooks Online" in dashboard
    assert "11,662.45" in dashboard and "13,724.95" in dashboard

    # A sync that sees nothing new leaves it flagged, with no second history entry.
    assert job_costs_sync(connection=books.connection).drifted == 0
    assert AuditEvent.objects.filter(object_id=invoice.pk, action=Note.ERP_DRIFT).count() == 1

    def restored(bill):
        lines = [dict(line) for line in bill["Line"]]
        lines[0]["Amount"] = "12062.50"
        return {**bill, "Line": lines}

    change_in_quickbooks(books, "Bill", invoice.erp_id, restored)
    job_costs_sync(connection=books.connection)
    invoice.refresh_from_db()
    assert (invoice.erp_drift, invoice.erp_drift_amount) == (ERPDrift.NONE, None)


def test_a_bill_deleted_in_quickbooks_is_flagged_and_may_then_be_unlinked(books):
    invoice = exported_invoice(books)
    with pytest.raises(PreconditionsNotMet, match="still exists"):
        record_unlink(record=invoice, actor=scene.fresh(books.approver))
    job_costs_sync(connection=books.connection)

    bill = bill_of(books, invoice)
    with scene.someone_in_quickbooks(books.connection) as client:
        client.delete("Bill", bill["Id"], bill["SyncToken"], request_id=uuid.uuid4().hex)
    job_costs_sync(connection=books.connection)

    invoice.refresh_from_db()
    assert invoice.erp_drift == ERPDrift.DELETED
    assert invoice.erp_drift_note == "Bill INV-2001 was deleted in QuickBooks Online."
    record_unlink(record=invoice, actor=scene.fresh(books.approver))
    invoice.refresh_from_db()
    assert (invoice.sync_status, invoice.erp_drift, invoice.erp_id) == (
        SyncStatus.NOT_SENT,
        ERPDrift.NONE,
        "",
    )


def test_a_purchase_order_edited_in_quickbooks_flags_its_commitment_but_a_change_order_does_not(
    books,
):
    change_order = scene.new_change_order(books)
    record_send(record=change_order, actor=books.pm)
    record_accept(record=change_order, actor=books.approver)
    assert run_queued_exports() == ["synced"]
    job_costs_sync(connection=books.connection)
    commitment = scene.fresh_record(books.commitment)
    assert commitment.erp_drift == ERPDrift.NONE

    scene.add_line_by_hand(books, scene.item_line(books, "Painting", Decimal("500.00")))
    job_costs_sync(connection=books.connection)

    commitment.refresh_from_db()
    assert commitment.erp_drift == ERPDrift.EDITED
    assert commitment.erp_drift_amount == Decimal("82073.05")
    assert "where 81,573.05 was approved" in commitment.erp_drift_note


def test_a_bill_line_moved_to_another_job_is_flagged_though_the_total_holds(books):
    invoice = exported_invoice(books)
    job_costs_sync(connection=books.connection)
    elsewhere = books.create_entity("Customer", {"DisplayName": "Harbor Point"})["Id"]

    def moved(bill):
        lines = [dict(line) for line in bill["Line"]]
        detail = dict(lines[0]["ItemBasedExpenseLineDetail"])
        detail["CustomerRef"] = {"value": elsewhere}
        lines[0]["ItemBasedExpenseLineDetail"] = detail
        return {**bill, "Line": lines}

    change_in_quickbooks(books, "Bill", invoice.erp_id, moved)
    job_costs_sync(connection=books.connection)

    invoice.refresh_from_db()
    assert invoice.erp_drift == ERPDrift.EDITED
    assert "its lines were changed (job, cost code or amount per line; same total)" in (
        invoice.erp_drift_note
    )


def test_amounts_moved_between_purchase_order_lines_are_flagged(books):
    job_costs_sync(connection=books.connection)

    def shifted(order):
        lines = [dict(line) for line in order["Line"]]
        for line, change in zip(lines, ("-1000", "1000"), strict=True):
            line["Amount"] = str(Decimal(str(line["Amount"])) + Decimal(change))
            detail = dict(line["ItemBasedExpenseLineDetail"])
            detail.pop("Qty", None)
            detail.pop("UnitPrice", None)
            line["ItemBasedExpenseLineDetail"] = detail
        return {**order, "Line": lines}

    change_in_quickbooks(books, "PurchaseOrder", books.commitment.erp_id, shifted)
    job_costs_sync(connection=books.connection)

    commitment = scene.fresh_record(books.commitment)
    assert commitment.erp_drift == ERPDrift.EDITED
    assert "its lines were changed" in commitment.erp_drift_note


def test_a_bill_keyed_by_hand_under_the_same_number_is_not_taken_for_ours(books):
    hand_keyed = books.create_entity(
        "Bill",
        {
            "DocNumber": "INV-2001",
            "VendorRef": {"value": books.vendor.erp_id},
            "Line": [scene.item_line(books, "Electrical", Decimal("13724.95"))],
        },
    )
    invoice = scene.new_invoice(books)
    record_send(record=invoice, actor=books.pm)
    # The accountant looked at it and says it is another bill.
    record_accept(record=invoice, actor=books.approver, confirm_duplicate=True)

    # The look-up after the failure does not take the hand-keyed bill for ours either.
    assert run_queued_exports() == ["failed", "nothing in the ERP"]

    invoice.refresh_from_db()
    assert invoice.sync_status == SyncStatus.EXPORT_FAILED
    assert "already has bill INV-2001 from Acme Drywall" in invoice.last_export_error
    assert "it is not this invoice" in invoice.last_export_error
    bills = [bill for bill in books.entities("Bill") if bill.get("DocNumber") == "INV-2001"]
    assert [bill["Id"] for bill in bills] == [hand_keyed["Id"]]
    assert "LinkedTxn" not in bills[0]["Line"][0]


def test_unlinking_a_deleted_purchase_order_unlinks_the_change_orders_it_carried(books):
    change_order = scene.new_change_order(books)
    record_send(record=change_order, actor=books.pm)
    record_accept(record=change_order, actor=books.approver)
    assert run_queued_exports() == ["synced"]
    order = order_of(books)
    with scene.someone_in_quickbooks(books.connection) as client:
        client.delete("PurchaseOrder", order["Id"], order["SyncToken"], request_id="gone-po")
    job_costs_sync(connection=books.connection)  # the unlink trusts what the sync saw

    record_unlink(record=scene.fresh_record(books.commitment), actor=scene.fresh(books.approver))

    change_order.refresh_from_db()
    assert (change_order.sync_status, change_order.erp_id) == (SyncStatus.NOT_SENT, "")
    assert set(change_order.lines.values_list("erp_line_id", flat=True)) == {""}
    reason = AuditEvent.objects.filter(object_id=change_order.pk, action="unlink").get().reason
    assert f"Its lines were on QuickBooks Online document {order['Id']}" in reason


def test_a_change_order_taken_off_its_purchase_order_is_flagged_and_unlinked_without_asking(
    books,
):
    change_order = scene.new_change_order(books)
    record_send(record=change_order, actor=books.pm)
    record_accept(record=change_order, actor=books.approver)
    assert run_queued_exports() == ["synced"]
    change_order.refresh_from_db()
    job_costs_sync(connection=books.connection)
    books.sandbox.clear_request_log()
    with pytest.raises(PreconditionsNotMet, match=r"still exists \(as of the last sync"):
        record_unlink(record=change_order, actor=scene.fresh(books.approver))
    assert books.sandbox.request_log() == []

    def without_the_change_order(order):
        kept = [
            line
            for line in order["Line"]
            if not str(line.get("Description", "")).startswith("CCO 007:")
        ]
        return {**order, "Line": kept}

    change_in_quickbooks(books, "PurchaseOrder", change_order.erp_id, without_the_change_order)
    job_costs_sync(connection=books.connection)
    change_order.refresh_from_db()
    assert change_order.erp_drift == ERPDrift.DELETED
    assert change_order.erp_drift_note == (
        f"The lines of change order 007 were removed from purchase order "
        f"{books.commitment.erp_doc_number or books.commitment.number} in QuickBooks Online."
    )

    books.sandbox.clear_request_log()
    record_unlink(record=change_order, actor=scene.fresh(books.approver))
    assert books.sandbox.request_log() == []
    change_order.refresh_from_db()
    assert (change_order.sync_status, change_order.erp_id) == (SyncStatus.NOT_SENT, "")
