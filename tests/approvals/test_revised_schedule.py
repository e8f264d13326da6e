"""Invoices bill the commitment as it stands: change-order lines, and never past a line's
balance, through the project manager's pages, the services and the export worker, with the
scripted ERP (tests/approvals/scripted_connector.py). What QuickBooks Online makes of a bill of
the revised schedule is tested in tests/integrations/quickbooks_online/test_revised_schedule.py."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from approvals.models import ApprovalPolicy, SubcontractorInvoice
from approvals.services import PreconditionsNotMet, record_accept, record_send
from approvals.services.importing.job_costs import job_costs_sync
from approvals.states import SyncStatus
from integrations.base import ExportResult
from tests import records
from tests.approvals.admin.helpers import run_queued_exports
from tests.html_forms import form_values


def signed_in(user) -> Client:
    client = Client()
    client.force_login(records.fresh(user))
    return client


def new_invoice_page(client, commitment) -> dict:
    page = client.get(reverse("approvals:invoice_create", args=[commitment.pk]))
    return form_values(page.content.decode(), containing="number")


def row_of(values: dict, key: str) -> str:
    """The formset index of the schedule line `key` ("c12", "o7") on an invoice form."""
    return next(
        name.split("-")[1]
        for name, value in values.items()
        if name.endswith("-key") and value == [key]
    )


def synced_change_order(books, scripted_connector):
    """Change order 007, exported: the ERP put its two lines on the purchase order."""
    change_order = records.new_change_order(books)
    line_ids = {line.pk: f"po-line-{line.pk}" for line in change_order.lines.all()}
    scripted_connector.SCRIPT.append(ExportResult(erp_id="po-1", line_ids=line_ids))
    record_send(record=change_order, actor=books.pm)
    record_accept(record=change_order, actor=books.approver)
    assert run_queued_exports() == ["synced"]
    change_order.refresh_from_db()
    return change_order


@pytest.mark.django_db
def test_a_change_order_line_is_billed_on_the_line_the_change_order_added(
    books, scripted_connector
):
    change_order = synced_change_order(books, scripted_connector)
    soffits = change_order.lines.get(description="Lobby soffits")
    assert soffits.erp_line_id == f"po-line-{soffits.pk}"
    pm = signed_in(books.pm)
    values = new_invoice_page(pm, books.commitment)
    index = row_of(values, f"o{soffits.pk}")
    values.update(
        {
            "number": ["INV-5001"],
            "billing_date": ["2026-06-30"],
            "period_start": ["2026-06-01"],
            "period_end": ["2026-06-30"],
            "status": ["approved"],
            f"lines-{index}-work_completed": ["4000.00"],
            f"lines-{index}-retainage_withheld": ["400.00"],
        }
    )
    assert (
        pm.post(reverse("approvals:invoice_create", args=[books.commitment.pk]), values).status_code
        == 302
    )
    invoice = SubcontractorInvoice.objects.get(number="INV-5001")
    scripted_connector.SCRIPT.append(ExportResult(erp_id="bill-5001"))
    record_send(record=invoice, actor=books.pm)
    record_accept(record=invoice, actor=books.approver)
    assert run_queued_exports() == ["synced"]

    sent = scripted_connector.CALLS[-1]["record"]
    (billed,) = [line for line in sent.lines.all() if line.work_completed]
    assert (billed.change_order_line, billed.work_completed) == (soffits, Decimal("4000.00"))
    page = pm.get(reverse("approvals:invoice_detail", args=[invoice.pk])).content.decode()
    assert "CCO 007.1" in page and "(change order 007)" in page


@pytest.mark.django_db
def test_a_change_order_line_waits_for_its_change_order_to_be_synced(books):
    change_order = records.new_change_order(books)
    soffits = change_order.lines.get(description="Lobby soffits")
    invoice = records.new_invoice(books, number="INV-5002")
    invoice.lines.all().delete()
    invoice.lines.create(change_order_line=soffits, work_completed=Decimal("100.00"))

    with pytest.raises(PreconditionsNotMet, match="Change order 007 must be synced"):
        record_send(record=invoice, actor=books.pm)


@pytest.mark.django_db
def test_billing_past_a_lines_balance_is_refused_at_save_and_at_send(books):
    pm = signed_in(books.pm)
    first = records.new_invoice(books, number="INV-5003")  # 12,062.50 on line 1 of 48,250.00
    record_send(record=first, actor=books.pm)
    values = new_invoice_page(pm, books.commitment)
    line = books.commitment.lines.get(position=1)
    index = row_of(values, f"c{line.pk}")
    values.update(
        {
            "number": ["INV-5004"],
            "billing_date": ["2026-06-30"],
            "period_start": ["2026-06-01"],
            "period_end": ["2026-06-30"],
            "status": ["approved"],
            f"lines-{index}-work_completed": ["40000.00"],
        }
    )
    page = pm.post(reverse("approvals:invoice_create", args=[books.commitment.pk]), values)

    assert page.status_code == 200
    said = page.content.decode()
    assert "This bills 52,062.50 of the line&#x27;s revised value of 48,250.00" in said
    assert "3,812.50 past its balance" in said
    assert not SubcontractorInvoice.objects.filter(number="INV-5004").exists()

    # Saved by another path (the admin), the send still refuses it, naming the line and excess.
    second = records.new_invoice(books, number="INV-5005")
    second.lines.filter(commitment_line=line).update(work_completed=Decimal("40000.00"))
    with pytest.raises(PreconditionsNotMet, match=r"Line 1 \(.*\) would be billed \$52,062.50"):
        record_send(record=second, actor=books.pm)
    ApprovalPolicy.objects.create(allow_billing_past_balance=True)
    record_send(record=second, actor=books.pm)
    assert second.sync_status == SyncStatus.READY_TO_EXPORT


@pytest.mark.django_db(transaction=True)
def test_two_invoices_sent_at_once_cannot_together_pass_a_lines_balance(books):
    line = books.commitment.lines.get(position=1)  # 48,250.00
    invoices = []
    for number in ("INV-5101", "INV-5102"):
        invoice = records.new_invoice(books, number=number)
        invoice.lines.filter(commitment_line=line).update(work_completed=Decimal("30000.00"))
        invoices.append(invoice)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def send(invoice):
        try:
            start.wait()
            record_send(record=SubcontractorInvoice.objects.get(pk=invoice.pk), actor=books.pm)
            outcomes.append("sent")
        except PreconditionsNotMet as refusal:
            outcomes.append(refusal.message)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(invoice,)) for invoice in invoices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcome == "sent" for outcome in outcomes) == [False, True]
    refusal = next(outcome for outcome in outcomes if outcome != "sent")
    assert "would be billed $60,000.00 of its revised value of $48,250.00" in refusal


@pytest.mark.django_db
def test_when_the_policy_allows_it_the_approver_confirms_each_line_past_its_balance(books):
    from django.contrib.contenttypes.models import ContentType

    from approvals.models import AuditEvent, DirectExportSetting
    from approvals.states import Action
    from tests.approvals.admin.helpers import decision_url, messages_of

    ApprovalPolicy.objects.create(allow_billing_past_balance=True)
    DirectExportSetting.objects.create(
        content_type=ContentType.objects.get_for_model(SubcontractorInvoice), enabled=True
    )
    line = books.commitment.lines.get(position=1)
    invoice = records.new_invoice(books, number="INV-5201")
    invoice.lines.filter(commitment_line=line).update(work_completed=Decimal("50000.00"))
    record_send(record=invoice, actor=books.pm)
    invoice.refresh_from_db()
    assert invoice.sync_status == SyncStatus.READY_TO_EXPORT  # direct export waits for a person
    sent = AuditEvent.objects.get(object_id=invoice.pk, action=Action.SEND)
    assert "1,750.00 past its balance" in sent.reason

    approver = signed_in(books.approver)
    page = approver.get(decision_url(SubcontractorInvoice, "accept", [invoice])).content.decode()
    assert "I confirm billing past the balance: Line 1" in page
    values = form_values(page, containing="ids")
    refused = approver.post(decision_url(SubcontractorInvoice, "accept"), values, follow=True)
    assert "Confirm billing past the balance" in " ".join(messages_of(refused))
    invoice.refresh_from_db()
    assert invoice.sync_status == SyncStatus.READY_TO_EXPORT

    values[f"confirm_past_balance_{invoice.pk}"] = ["on"]
    approver.post(decision_url(SubcontractorInvoice, "accept"), values)
    invoice.refresh_from_db()
    assert invoice.sync_status == SyncStatus.EXPORTING
    accepted = AuditEvent.objects.get(object_id=invoice.pk, action=Action.ACCEPT)
    assert accepted.reason.startswith("Accepted past the balance, as the approver confirmed")


@pytest.mark.django_db
def test_a_posting_date_in_a_closed_period_is_refused_at_send_and_at_accept(
    books, scripted_connector
):
    from datetime import date

    from tests.approvals.admin.helpers import decision_url, messages_of

    scripted_connector.CLOSED_THROUGH.append(date(2026, 6, 30))
    job_costs_sync(connection=books.connection)  # the closing date comes with the sync
    invoice = records.new_invoice(books, number="INV-5301")  # dated 2026-05-31
    with pytest.raises(
        PreconditionsNotMet,
        match=r"closed through 2026-06-30 in Xero \(as of the last sync less than",
    ):
        record_send(record=invoice, actor=books.pm)

    ApprovalPolicy.objects.create(invoices_post_on="accept_date")
    record_send(record=invoice, actor=books.pm)  # it would post today, after the closing date
    approver = signed_in(books.approver)
    page = approver.get(decision_url(SubcontractorInvoice, "accept", [invoice])).content.decode()
    values = form_values(page, containing="ids")
    assert values[f"posting_date_{invoice.pk}"] == [date.today().isoformat()]

    values[f"posting_date_{invoice.pk}"] = ["2026-06-15"]
    refused = approver.post(decision_url(SubcontractorInvoice, "accept"), values, follow=True)
    assert "cannot post on 2026-06-15" in " ".join(messages_of(refused))
    values[f"posting_date_{invoice.pk}"] = ["2026-07-01"]
    scripted_connector.SCRIPT.append(ExportResult(erp_id="bill-5301"))
    approver.post(decision_url(SubcontractorInvoice, "accept"), values)
    assert run_queued_exports() == ["synced"]
    assert scripted_connector.CALLS[-1]["record"].posting_date == date(2026, 7, 1)
