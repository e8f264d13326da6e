"""Random and hostile form input gets a page with messages, never a server error."""

from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from approvals.models import (
    ChangeOrderLine,
    CommitmentChangeOrder,
    CommitmentLine,
    InvoiceLine,
    SubcontractorInvoice,
)
from tests.factories import make_commitment, make_company, make_cost_code

HOSTILE = st.sampled_from(
    [
        "",
        " ",
        "NaN",
        "-Infinity",
        "1e999999",
        "9" * 40,
        "-0",
        "0.001",
        "1,000.00",
        "²",
        "٣",
        "\x00",
        "2026-02-30",
        "99999-01-01",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        str(2**70),
        "-1",
    ]
)
VALUE = st.one_of(HOSTILE, st.text(max_size=30), st.integers(-(2**40), 2**40).map(str))
# Mostly plausible form counts; now and then one far past the limit (which is slow to re-render).
COUNT = st.sampled_from(["-1", "0", "1", "2", "3", "4", "", "abc", "1e3", "NaN", "9" * 40])
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

LINE_FIELDS = {
    "commitment": ["id", "cost_code", "description", "quantity", "unit_cost", "amount", "DELETE"],
    "change_order": ["id", "commitment_line", "cost_code", "description", "amount", "DELETE"],
    "invoice": ["key", "work_completed", "materials_stored", "retainage_withheld"],
}
HEADER_FIELDS = {
    "commitment": [
        "vendor",
        "kind",
        "number",
        "title",
        "status",
        "default_retainage_percent",
    ],
    "change_order": ["number", "title", "status"],
    "invoice": [
        "number",
        "billing_date",
        "period_start",
        "period_end",
        "due_date",
        "status",
        "is_retainage_release",
        "retainage_released",
    ],
}


@pytest.fixture
def commitment(project):
    vendor = make_company(synced=True)
    project.companies.add(vendor)
    return make_commitment(
        project=project, vendor=vendor, lines=[Decimal("100.00"), Decimal("50.00")], synced=True
    )


def _posted(draw, kind):
    data = {name: draw(VALUE) for name in HEADER_FIELDS[kind]}
    data["lines-TOTAL_FORMS"] = draw(COUNT)
    data["lines-INITIAL_FORMS"] = draw(COUNT)
    for index in range(3):
        for name in LINE_FIELDS[kind]:
            if draw(st.booleans()):
                data[f"lines-{index}-{name}"] = draw(VALUE)
    return data


@FUZZ
@given(data=st.data())
def test_commitment_form_never_fails(pm_client, project, commitment, data):
    make_cost_code()
    posted = _posted(data.draw, "commitment")
    lines_before = CommitmentLine.objects.count()

    create = pm_client.post(reverse("approvals:commitment_create", args=[project.pk]), posted)
    edit = pm_client.post(reverse("approvals:commitment_edit", args=[commitment.pk]), posted)

    assert create.status_code in {200, 302}
    assert edit.status_code in {200, 302}
    if create.status_code == 200 and edit.status_code == 200:
        assert CommitmentLine.objects.count() == lines_before


@FUZZ
@given(data=st.data())
def test_change_order_form_never_fails(pm_client, commitment, data):
    posted = _posted(data.draw, "change_order")

    response = pm_client.post(
        reverse("approvals:change_order_create", args=[commitment.pk]), posted
    )

    assert response.status_code in {200, 302}
    if response.status_code == 200:
        assert not CommitmentChangeOrder.objects.exists()
        assert not ChangeOrderLine.objects.exists()


@FUZZ
@given(data=st.data())
def test_invoice_form_never_fails(pm_client, commitment, data):
    posted = _posted(data.draw, "invoice")

    response = pm_client.post(reverse("approvals:invoice_create", args=[commitment.pk]), posted)

    assert response.status_code in {200, 302}
    if response.status_code == 200:
        assert not SubcontractorInvoice.objects.exists()
        assert not InvoiceLine.objects.exists()


@FUZZ
@given(value=VALUE, name=VALUE)
def test_directory_and_bulk_send_never_fail(pm_client, project, value, name):
    add = pm_client.post(
        reverse("approvals:project_add_company", args=[project.pk]), {"company": value}
    )
    bulk = pm_client.post(
        reverse("approvals:invoices_send", args=[project.pk]), {"invoice": [value, name]}
    )
    create = pm_client.post(
        reverse("approvals:company_create") + "?project=" + value, {"name": name}
    )
    search = pm_client.get(reverse("approvals:company_list"), {"q": value})

    assert add.status_code == 302
    assert bulk.status_code == 302
    assert create.status_code in {200, 302, 404}
    assert search.status_code == 200


def test_unknown_ids_in_addresses_are_not_found(pm_client):
    for url in (
        reverse("approvals:project_detail", args=[2**70]),
        reverse("approvals:invoice_detail", args=[2**62]),
        reverse("approvals:record_action", args=["commitment", 2**70, "send"]),
    ):
        assert pm_client.get(url).status_code in {404, 405}
        assert pm_client.post(url).status_code == 404


def test_an_invoice_number_holding_a_nul_byte_is_refused_without_a_server_error(
    pm_client, commitment
):
    """PostgreSQL cannot even compare text holding NUL: the duplicate-number warning, asked both
    when the form comes back with its errors and while the number is typed, must not ask it."""
    form = pm_client.post(
        reverse("approvals:invoice_create", args=[commitment.pk]), {"number": "INV-\x001"}
    )
    check = pm_client.get(
        reverse("approvals:invoice_number_check", args=[commitment.pk]), {"number": "INV-\x001"}
    )

    assert form.status_code == 200
    assert not SubcontractorInvoice.objects.exists()
    assert check.status_code == 200
    assert check.json()["warning"] == ""
