"""A record handed to an ERP's own agent, wherever people see it: "Waiting for <ERP>" on its
page, its badges, a queue and a dashboard column of its own; locked, and neither retried,
rejected nor retrieved until the agent answers; its amounts billed already."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from approvals.models import Commitment, SubcontractorInvoice
from approvals.schedule import revised_schedule
from approvals.services import record_accept, record_send
from approvals.states import SyncStatus
from integrations.models import ERPKind
from tests.approvals.admin.helpers import (
    changelist_url,
    decision_url,
    messages_of,
    reviewed,
    run_queued_exports,
)
from tests.factories import make_commitment, make_invoice
from tests.integrations.contract import hand_off_erp
from tests.registering import register_test_connector

pytestmark = pytest.mark.django_db

WAITING = "Waiting for Xero"


@pytest.fixture
def hand_off(monkeypatch, erp_connection):
    """The Xero connection's exports go to an ERP whose agent answers later."""
    register_test_connector(
        monkeypatch, ERPKind.XERO, "tests.integrations.contract.hand_off_erp.HandOffConnector"
    )
    return hand_off_erp.reset()


def handed_off(record, *, pm, approver):
    record_send(record=record, actor=pm)
    record_accept(record=record, actor=approver)
    assert run_queued_exports() == ["handed off"]
    record.refresh_from_db()
    return record


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_record_page_says_it_waits_for_the_erp_and_offers_nothing_to_do(
    hand_off, project, pm, approver
):
    commitment = handed_off(make_commitment(project=project), pm=pm, approver=approver)

    page = signed_in(pm).get(reverse("approvals:commitment_detail", args=[commitment.pk]))

    text = page.content.decode()
    handed_at = timezone.localtime(commitment.handed_off_at).strftime("%Y-%m-%d %H:%M")
    assert (
        f"{WAITING}: handed over at {handed_at}; it answers when Xero next collects requests."
    ) in text
    assert f'<span class="badge badge-blue">{WAITING}</span>' in text
    assert "Retrieve</button>" not in text
    edit = signed_in(pm).get(reverse("approvals:commitment_edit", args=[commitment.pk]))
    assert "The schedule of values is locked while the commitment is with the ERP." in (
        edit.content.decode()
    )


def test_the_queue_tab_and_dashboard_column_appear_while_records_wait_for_the_erp(
    hand_off, client, project, pm, approver
):
    client.force_login(approver)
    waiting_list = changelist_url(Commitment, queue="awaiting")
    tabs = [tab.label for tab in client.get(changelist_url(Commitment)).context["queue_tabs"]]
    assert WAITING not in tabs
    assert WAITING not in client.get("/admin/approvals/dashboard/").context["queue_labels"]

    commitment = handed_off(make_commitment(project=project), pm=pm, approver=approver)

    tabs = [tab.label for tab in client.get(changelist_url(Commitment)).context["queue_tabs"]]
    assert tabs == [
        "All",
        "Ready to Export",
        "Failed to Export",
        "Exporting",
        WAITING,
        "Synced",
        "Rejected",
    ]
    listed = client.get(waiting_list)
    assert [record.pk for record in listed.context["cl"].result_list] == [commitment.pk]
    assert f'<span class="erp-badge erp-badge-blue">{WAITING}</span>' in listed.content.decode()
    dashboard = client.get("/admin/approvals/dashboard/").context
    (row,) = [row for row in dashboard["rows"] if row.name == "Commitments"]
    assert {cell.label: cell.count for cell in row.cells}[WAITING] == 1


def test_a_record_waiting_for_the_erp_is_neither_retried_nor_rejected(
    hand_off, client, project, pm, approver
):
    commitment = handed_off(make_commitment(project=project), pm=pm, approver=approver)
    client.force_login(approver)

    page = client.get(decision_url(Commitment, "retry", [commitment]))
    (row,) = page.context["rows"]
    assert row.notes == [f"It is {WAITING}, not Failed to export: it will be left as it is."]

    response = client.post(
        decision_url(Commitment, "reject"),
        {**reviewed([commitment]), "reason": "Wrong cost codes."},
        follow=True,
    )
    said = " ".join(messages_of(response))
    assert f"is '{WAITING}', so it cannot be rejected" in said
    commitment.refresh_from_db()
    assert commitment.sync_status == SyncStatus.AWAITING_ERP


def test_an_invoice_waiting_for_the_erp_is_billed_before_the_next_one(
    hand_off, project, pm, approver
):
    commitment = make_commitment(project=project, synced=True, lines=("10000.00",))
    first = make_invoice(
        commitment=commitment, lines=[{"work_completed": "2500.00", "retainage_withheld": "0"}]
    )
    handed_off(first, pm=pm, approver=approver)
    assert SubcontractorInvoice.objects.get(pk=first.pk).sync_status == SyncStatus.AWAITING_ERP

    (line,) = revised_schedule(commitment)

    assert line.billed_before == Decimal("2500.00")
