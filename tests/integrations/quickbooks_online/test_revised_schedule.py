"""Invoices billing the revised schedule, exported to QuickBooks Online: a bill line for a change
order's line links to the purchase order line that change order added, and the bill posts on
the date chosen after the closing date read from QuickBooks. (The revised schedule itself, with
any ERP, is tested in tests/approvals/test_revised_schedule.py.)"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from approvals.models import ApprovalPolicy, SubcontractorInvoice
from approvals.services import PreconditionsNotMet, record_accept, record_send
from approvals.services.importing.job_costs import job_costs_sync
from tests.approvals.admin.helpers import run_queued_exports
from tests.html_forms import form_values
from tests.reliability import scene


@pytest.fixture
def books(qbo_sandbox, qbo_settings, settings):
    settings.EXPORT_RETRY_BASE_SECONDS = 0
    settings.EXPORT_RETRY_MAX_SECONDS = 0
    pm, approver = scene.people()
    return scene.open_books(qbo_sandbox, pm=pm, approver=approver, tag=811)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(scene.fresh(user))
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


def synced_change_order(books):
    change_order = scene.new_change_order(books)
    record_send(record=change_order, actor=books.pm)
    record_accept(record=change_order, actor=books.approver)
    assert run_queued_exports() == ["synced"]
    change_order.refresh_from_db()
    return change_order


@pytest.mark.django_db
def test_a_change_order_line_is_billed_and_the_bill_line_links_to_the_line_it_added(books):
    change_order = synced_change_order(books)
    soffits = change_order.lines.get(description="Lobby soffits")
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
    record_send(record=invoice, actor=books.pm)
    record_accept(record=invoice, actor=books.approver)
    assert run_queued_exports() == ["synced"]

    (bill,) = [b for b in books.entities("Bill") if b.get("DocNumber") == "INV-5001"]
    (billed,) = [line for line in bill["Line"] if line.get("Description", "").startswith("CCO 007")]
    assert billed["LinkedTxn"] == [
        {
            "TxnId": books.commitment.erp_id,
            "TxnType": "PurchaseOrder",
            "TxnLineId": soffits.erp_line_id,
        }
    ]
    page = pm.get(reverse("approvals:invoice_detail", args=[invoice.pk])).content.decode()
    assert "CCO 007.1" in page and "(change order 007)" in page


@pytest.mark.django_db
def test_a_posting_date_in_a_closed_period_is_refused_at_send_and_at_accept(books):
    from datetime import date

    from tests.approvals.admin.helpers import decision_url, messages_of

    books.sandbox.set_book_close_date("2026-06-30", realm_id=books.realm_id)
    job_costs_sync(connection=books.connection)  # the closing date comes with the sync
    invoice = scene.new_invoice(books, number="INV-5301")  # dated 2026-05-31
    with pytest.raises(
        PreconditionsNotMet,
        match=r"closed through 2026-06-30 in QuickBooks Online \(as of the last sync less than",
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
    approver.post(decision_url(SubcontractorInvoice, "accept"), values)
    assert run_queued_exports() == ["synced"]
    (bill,) = [b for b in books.entities("Bill") if b.get("DocNumber") == "INV-5301"]
    assert bill["TxnDate"] == "2026-07-01"
