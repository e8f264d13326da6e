"""Subcontractor invoices: lines per schedule-of-values line, retainage, totals, bulk send."""

from decimal import Decimal

import pytest
from django.urls import reverse

from approvals.models import InvoiceLine, InvoiceStatus, SubcontractorInvoice
from tests.approvals.views.conftest import messages_of
from tests.factories import make_commitment, make_company, make_invoice


@pytest.fixture
def commitment(project):
    vendor = make_company(synced=True, name="Acme Drywall")
    project.companies.add(vendor)
    return make_commitment(
        project=project,
        vendor=vendor,
        lines=[Decimal("10000.00"), Decimal("5000.00")],
        default_retainage_percent=Decimal("7.5"),
        synced=True,
    )


def _data(commitment, lines, **overrides):
    data = {
        "number": "1043",
        "billing_date": "2026-06-01",
        "period_start": "2026-05-01",
        "period_end": "2026-05-31",
        "due_date": "2026-07-01",
        "status": "approved",
        "retainage_released": "0",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(len(lines)),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, (line, values) in enumerate(
        zip(commitment.lines.order_by("position"), lines, strict=True)
    ):
        data[f"lines-{index}-key"] = f"c{line.pk}"
        data.update({f"lines-{index}-{key}": value for key, value in values.items()})
    data.update(overrides)
    return data


def test_create_invoice_with_default_retainage_and_totals(pm_client, pm, commitment):
    response = pm_client.post(
        reverse("approvals:invoice_create", args=[commitment.pk]),
        _data(
            commitment,
            [
                {"work_completed": "1000.10", "materials_stored": "33.33"},
                {"work_completed": "200.00", "retainage_withheld": "0"},
            ],
        ),
    )

    invoice = SubcontractorInvoice.objects.get(commitment=commitment)
    assert response.url == reverse("approvals:invoice_detail", args=[invoice.pk])
    assert invoice.created_by == pm
    first, second = invoice.lines.order_by("commitment_line__position")
    # 7.5% of 1,033.43 is 77.50725, rounded half up to the cent.
    assert first.retainage_withheld == Decimal("77.51")
    assert second.retainage_withheld == Decimal("0.00")

    page = pm_client.get(response.url)
    assert (page.context["gross"], page.context["retainage"], page.context["net"]) == (
        Decimal("1233.43"),
        Decimal("77.51"),
        Decimal("1155.92"),
    )
    assert "1,155.92" in page.content.decode()


def test_lines_with_nothing_billed_are_not_stored(pm_client, commitment):
    pm_client.post(
        reverse("approvals:invoice_create", args=[commitment.pk]),
        _data(commitment, [{"work_completed": "100"}, {}]),
    )

    assert InvoiceLine.objects.count() == 1


@pytest.mark.parametrize(
    ("lines", "overrides", "message"),
    [
        ([{"work_completed": "100", "retainage_withheld": "150"}, {}], {}, "cannot be more than"),
        ([{"work_completed": "100", "retainage_withheld": "-1"}, {}], {}, "cannot be negative"),
        ([{"work_completed": "abc"}, {}], {}, "Enter a number."),
        ([{}, {}], {"period_end": "2026-04-01"}, "must end on or after its start"),
        ([{}, {}], {"billing_date": "yesterday"}, "Enter a valid date."),
        ([{}, {}], {"retainage_released": "10"}, "Tick"),
        ([{}, {}], {"is_retainage_release": "on", "retainage_released": "10"}, "Only 0.00"),
    ],
)
def test_invalid_invoices_are_explained_and_nothing_is_saved(
    pm_client, commitment, lines, overrides, message
):
    response = pm_client.post(
        reverse("approvals:invoice_create", args=[commitment.pk]),
        _data(commitment, lines, **overrides),
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SubcontractorInvoice.objects.exists()
    assert not InvoiceLine.objects.exists()


def test_a_tampered_line_count_is_refused(pm_client, commitment):
    data = _data(commitment, [{"work_completed": "1"}, {"work_completed": "2"}])
    data["lines-TOTAL_FORMS"] = "3"
    data["lines-2-key"] = data["lines-0-key"]
    data["lines-2-work_completed"] = "5"

    response = pm_client.post(reverse("approvals:invoice_create", args=[commitment.pk]), data)

    assert response.status_code == 200
    assert not SubcontractorInvoice.objects.exists()


def test_commitment_page_shows_retainage_held_and_released(pm_client, commitment):
    make_invoice(
        commitment=commitment,
        lines=[{"work_completed": "1000.00", "retainage_withheld": "75.00"}],
    )
    make_invoice(
        commitment=commitment,
        lines=[],
        is_retainage_release=True,
        retainage_released=Decimal("25.00"),
    )

    page = pm_client.get(reverse("approvals:commitment_detail", args=[commitment.pk]))

    assert page.context["retainage_held"] == Decimal("75.00")
    assert page.context["retainage_released"] == Decimal("25.00")


def test_bulk_send_reports_each_invoice(pm_client, project, commitment, connection):
    ready = make_invoice(commitment=commitment, number="A-1")
    draft = make_invoice(commitment=commitment, number="A-2", status=InvoiceStatus.DRAFT)
    elsewhere = make_invoice(number="X-9")

    response = pm_client.post(
        reverse("approvals:invoices_send", args=[project.pk]),
        {"invoice": [ready.pk, draft.pk, elsewhere.pk, "junk"]},
        follow=True,
    )

    ready.refresh_from_db()
    draft.refresh_from_db()
    elsewhere.refresh_from_db()
    assert ready.sync_status == "ready_to_export"
    assert draft.sync_status == "not_sent"
    assert elsewhere.sync_status == "not_sent"
    messages = messages_of(response)
    assert len(messages) == 2
    assert any(m.startswith("Invoice A-1") and "sent to the approvers" in m for m in messages)
    assert any("A-2" in m and "is not approved yet" in m for m in messages)


def test_bulk_send_with_nothing_ticked_says_so(pm_client, project):
    response = pm_client.post(reverse("approvals:invoices_send", args=[project.pk]), follow=True)

    assert messages_of(response) == ["Tick at least one invoice to send."]


def test_a_sent_invoice_refuses_new_amounts(pm_client, commitment, connection):
    invoice = make_invoice(commitment=commitment)
    pm_client.post(reverse("approvals:record_action", args=["invoice", invoice.pk, "send"]))
    invoice.refresh_from_db()
    assert invoice.sync_status == "ready_to_export"

    response = pm_client.post(
        reverse("approvals:invoice_edit", args=[invoice.pk]),
        _data(commitment, [{"work_completed": "9999"}, {}], number="CHANGED"),
    )

    text = response.content.decode()
    assert "The amounts of this invoice are locked" in text
    assert "Invoice number cannot be changed" in text
    assert invoice.lines.get().work_completed == Decimal("1000.00")
