"""Creating and editing commitments with their schedule of values."""

from decimal import Decimal

import pytest
from django.urls import reverse

from approvals.models import Commitment, CommitmentLine
from tests.factories import make_commitment, make_company, make_cost_code, make_invoice


def _management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


@pytest.fixture
def vendor(project):
    company = make_company(synced=True, name="Acme Drywall")
    project.companies.add(company)
    return company


@pytest.fixture
def cost_code(db):
    return make_cost_code(code="09-2900", name="Gypsum board")


def _commitment_data(vendor, cost_code, **overrides):
    data = {
        "vendor": vendor.pk,
        "kind": "subcontract",
        "number": "SC-100",
        "title": "Drywall and framing",
        "description": "",
        "status": "approved",
        "default_retainage_percent": "10",
        **_management("lines", 3),
        "lines-0-cost_code": cost_code.pk,
        "lines-0-description": "Framing",
        "lines-0-amount": "12000.50",
        "lines-1-cost_code": cost_code.pk,
        "lines-1-description": "Board",
        "lines-1-quantity": "3",
        "lines-1-unit_cost": "33.3333",
    }
    data.update(overrides)
    return data


def test_create_commitment_with_amount_and_quantity_lines(
    pm_client, pm, project, vendor, cost_code
):
    response = pm_client.post(
        reverse("approvals:commitment_create", args=[project.pk]),
        _commitment_data(vendor, cost_code),
    )

    commitment = Commitment.objects.get(project=project, number="SC-100")
    assert response.status_code == 302
    assert response.url == reverse("approvals:commitment_detail", args=[commitment.pk])
    assert commitment.created_by == pm
    assert commitment.sync_status == "not_sent"
    lines = list(commitment.lines.order_by("position"))
    assert [(line.position, line.amount) for line in lines] == [
        (1, Decimal("12000.50")),
        (2, Decimal("100.00")),
    ]
    assert lines[1].quantity == Decimal("3") and lines[1].unit_cost == Decimal("33.3333")


def test_the_commitment_page_shows_the_total_to_the_cent(pm_client, project, vendor, cost_code):
    pm_client.post(
        reverse("approvals:commitment_create", args=[project.pk]),
        _commitment_data(vendor, cost_code),
    )
    commitment = Commitment.objects.get(number="SC-100")

    page = pm_client.get(reverse("approvals:commitment_detail", args=[commitment.pk]))

    assert page.context["total"] == Decimal("12100.50")
    assert "12,100.50" in page.content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"lines-1-amount": "99.00"}, "does not match quantity times unit cost (100.00)"),
        ({"lines-1-unit_cost": ""}, "Enter both a quantity and a unit cost"),
        ({"lines-0-amount": ""}, "Enter an amount, or a quantity and a unit cost."),
        ({"lines-0-amount": "-5"}, "cannot be negative"),
        ({"lines-0-amount": "twelve"}, "Enter a number."),
        ({"lines-0-cost_code": "999999"}, "Choose a cost code from the standard list."),
        ({"number": "  "}, "This field is required."),
        ({"default_retainage_percent": "120"}, "less than or equal to 100"),
    ],
)
def test_invalid_input_is_explained_and_nothing_is_saved(
    pm_client, project, vendor, cost_code, overrides, message
):
    response = pm_client.post(
        reverse("approvals:commitment_create", args=[project.pk]),
        _commitment_data(vendor, cost_code, **overrides),
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Commitment.objects.exists()
    assert not CommitmentLine.objects.exists()


def test_a_vendor_outside_the_project_directory_is_refused(pm_client, project, cost_code):
    stranger = make_company(name="Not On This Job")

    response = pm_client.post(
        reverse("approvals:commitment_create", args=[project.pk]),
        _commitment_data(stranger, cost_code),
    )

    assert "Choose a company from the project directory." in response.content.decode()
    assert not Commitment.objects.exists()


def test_a_duplicate_number_on_the_project_is_refused(pm_client, project, vendor, cost_code):
    make_commitment(project=project, number="SC-100")

    response = pm_client.post(
        reverse("approvals:commitment_create", args=[project.pk]),
        _commitment_data(vendor, cost_code),
    )

    assert "This project already has a commitment numbered SC-100." in response.content.decode()
    assert Commitment.objects.filter(project=project).count() == 1


def _edit_data(commitment, **overrides):
    lines = list(commitment.lines.order_by("position"))
    data = {
        "vendor": commitment.vendor_id,
        "kind": commitment.kind,
        "number": commitment.number,
        "title": commitment.title,
        "description": commitment.description,
        "status": commitment.status,
        "default_retainage_percent": str(commitment.default_retainage_percent),
        **_management("lines", len(lines) + 1, len(lines)),
    }
    for index, line in enumerate(lines):
        data.update(
            {
                f"lines-{index}-id": line.pk,
                f"lines-{index}-commitment": commitment.pk,
                f"lines-{index}-cost_code": line.cost_code_id,
                f"lines-{index}-description": line.description,
                f"lines-{index}-amount": str(line.amount),
            }
        )
    data.update(overrides)
    return data


def test_edit_changes_a_line_adds_one_and_deletes_one(pm_client, project, vendor, cost_code):
    commitment = make_commitment(
        project=project, vendor=vendor, lines=[Decimal("100.00"), Decimal("200.00")]
    )
    first, second = commitment.lines.order_by("position")

    response = pm_client.post(
        reverse("approvals:commitment_edit", args=[commitment.pk]),
        _edit_data(
            commitment,
            **{
                "title": "Drywall, revised",
                "lines-0-amount": "150.00",
                "lines-1-DELETE": "on",
                "lines-2-cost_code": cost_code.pk,
                "lines-2-quantity": "2",
                "lines-2-unit_cost": "10.005",
            },
        ),
    )

    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.title == "Drywall, revised"
    lines = list(commitment.lines.order_by("position"))
    assert [(line.pk, line.position, line.amount) for line in lines] == [
        (first.pk, 1, Decimal("150.00")),
        (lines[1].pk, 2, Decimal("20.01")),
    ]
    assert not CommitmentLine.objects.filter(pk=second.pk).exists()


def test_a_billed_line_cannot_be_deleted(pm_client, project, vendor):
    commitment = make_commitment(project=project, vendor=vendor, synced=False)
    make_invoice(commitment=commitment)

    response = pm_client.post(
        reverse("approvals:commitment_edit", args=[commitment.pk]),
        _edit_data(commitment, **{"lines-0-DELETE": "on"}),
    )

    assert response.status_code == 200
    assert "is billed on an invoice" in response.content.decode()
    assert commitment.lines.count() == 1


def test_after_send_the_locked_fields_are_read_only(pm_client, project, vendor, connection):
    commitment = make_commitment(project=project, vendor=vendor)
    pm_client.post(reverse("approvals:record_action", args=["commitment", commitment.pk, "send"]))

    page = pm_client.get(reverse("approvals:commitment_edit", args=[commitment.pk]))

    form = page.context["form"]
    assert form.fields["title"].disabled
    assert form.fields["vendor"].disabled
    assert page.context["formset"] is None
    assert 'name="title"' in page.content.decode()
    assert "disabled" in str(form["title"])


def test_locked_fields_posted_anyway_are_refused(pm_client, project, vendor, connection):
    commitment = make_commitment(project=project, vendor=vendor, title="Original title")
    pm_client.post(reverse("approvals:record_action", args=["commitment", commitment.pk, "send"]))
    commitment.refresh_from_db()

    response = pm_client.post(
        reverse("approvals:commitment_edit", args=[commitment.pk]),
        {**_edit_data(commitment), "title": "Sneaky new title"},
    )

    assert response.status_code == 200
    text = response.content.decode()
    assert "Title cannot be changed: this commitment was sent to the ERP." in text
    assert "The schedule of values is locked" in text
    commitment.refresh_from_db()
    assert commitment.title == "Original title"
    assert commitment.sync_status == "ready_to_export"


def test_lines_posted_to_a_sent_commitment_are_refused(pm_client, project, vendor, connection):
    commitment = make_commitment(project=project, vendor=vendor)
    pm_client.post(reverse("approvals:record_action", args=["commitment", commitment.pk, "send"]))
    commitment.refresh_from_db()

    response = pm_client.post(
        reverse("approvals:commitment_edit", args=[commitment.pk]),
        _edit_data(commitment, **{"lines-0-amount": "1.00"}),
    )

    assert "The schedule of values is locked" in response.content.decode()
    assert commitment.lines.get().amount == Decimal("10000.00")
