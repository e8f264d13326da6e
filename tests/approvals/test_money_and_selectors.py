from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from approvals.models import (
    ChangeOrderStatus,
    Commitment,
    Company,
    InvoiceStatus,
    SubcontractorInvoice,
)
from approvals.selectors import (
    commitment_retainage,
    commitment_revised_total,
    commitment_total,
    dashboard_counts,
    oldest_waiting,
    projects_for_user,
    recent_failures,
    records_waiting,
)
from approvals.services import record_send
from approvals.states import SyncStatus
from tests.factories import (
    make_change_order,
    make_commitment,
    make_company,
    make_invoice,
    make_project,
    make_user,
)

pytestmark = pytest.mark.django_db


def test_invoice_totals_are_exact_to_the_cent(db):
    commitment = make_commitment(lines=[Decimal("10000.00"), Decimal("2500.00")])
    invoice = make_invoice(
        commitment=commitment,
        lines=[
            {
                "work_completed": "1000.10",
                "materials_stored": "0.20",
                "retainage_withheld": "100.03",
            },
            {"work_completed": "0.10", "retainage_withheld": "0.01"},
        ],
    )
    gross, retainage, net = invoice.totals()
    assert (gross, retainage, net) == (Decimal("1000.40"), Decimal("100.04"), Decimal("900.36"))
    assert all(isinstance(amount, Decimal) for amount in (gross, retainage, net))


def test_retainage_held_and_released_over_approved_invoices(db):
    commitment = make_commitment(synced=True)
    make_invoice(
        commitment=commitment, lines=[{"work_completed": "1000", "retainage_withheld": "100"}]
    )
    make_invoice(
        commitment=commitment, lines=[{"work_completed": "500", "retainage_withheld": "50"}]
    )
    make_invoice(
        commitment=commitment,
        status=InvoiceStatus.DRAFT,
        lines=[{"work_completed": "9", "retainage_withheld": "9"}],
    )
    release = make_invoice(
        commitment=commitment, lines=[], is_retainage_release=True, retainage_released=Decimal("40")
    )
    assert commitment_retainage(commitment) == (Decimal("150.00"), Decimal("40.00"))
    assert tuple(release.totals()) == (Decimal("0.00"), Decimal("-40.00"), Decimal("40.00"))


def test_revised_total_adds_only_approved_change_orders(db):
    commitment = make_commitment(lines=[Decimal("1000.00"), Decimal("234.56")], synced=True)
    make_change_order(commitment=commitment, lines=[Decimal("100.00"), Decimal("-34.56")])
    make_change_order(
        commitment=commitment, lines=[Decimal("999")], status=ChangeOrderStatus.PENDING
    )
    assert commitment_total(commitment) == Decimal("1234.56")
    assert commitment_revised_total(commitment) == Decimal("1300.00")


def test_projects_for_user(db):
    mine, other = make_project(), make_project()
    make_project(is_active=False)
    pm = make_user(role="project_manager", projects=[mine])
    assert list(projects_for_user(pm)) == [mine]
    assert set(projects_for_user(make_user(role="administrator"))) == {mine, other}
    assert list(projects_for_user(None)) == []


def test_queue_dashboard_oldest_and_failures(erp_connection, pm):
    first, second = make_company(), make_company()
    record_send(record=first, actor=pm)
    record_send(record=second, actor=pm)
    Company.objects.filter(pk=second.pk).update(sent_at=timezone.now() - timedelta(days=3))
    invoice = make_invoice()
    SubcontractorInvoice.objects.filter(pk=invoice.pk).update(sync_status=SyncStatus.EXPORT_FAILED)

    assert list(records_waiting(model=Company)) == [second, first]
    counts = dashboard_counts()
    assert counts[Company][SyncStatus.READY_TO_EXPORT] == 2
    assert counts[SubcontractorInvoice][SyncStatus.EXPORT_FAILED] == 1
    assert counts[Commitment][SyncStatus.READY_TO_EXPORT] == 0
    assert oldest_waiting() == second
    assert recent_failures() == [invoice]


def test_the_sql_totals_of_a_list_are_the_totals_of_each_invoice(db):
    commitment = make_commitment(synced=True, lines=[Decimal("10000.00")])
    billed = make_invoice(
        commitment=commitment,
        lines=[
            {
                "work_completed": "1000.10",
                "materials_stored": "0.25",
                "retainage_withheld": "100.04",
            }
        ],
    )
    release = make_invoice(commitment=commitment, lines=[{"work_completed": "0"}])
    SubcontractorInvoice.objects.filter(pk=release.pk).update(
        is_retainage_release=True, retainage_released=Decimal("100.04")
    )
    release.refresh_from_db()

    listed = {
        invoice.pk: (invoice.totals_gross, invoice.totals_retainage, invoice.totals_net)
        for invoice in SubcontractorInvoice.objects.with_totals()
    }

    assert (
        listed[billed.pk]
        == tuple(billed.totals())
        == (
            Decimal("1000.35"),
            Decimal("100.04"),
            Decimal("900.31"),
        )
    )
    assert (
        listed[release.pk]
        == tuple(release.totals())
        == (
            Decimal("0.00"),
            Decimal("-100.04"),
            Decimal("100.04"),
        )
    )
