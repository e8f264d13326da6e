"""Change orders: change an existing schedule-of-values line, or add a new one."""

from decimal import Decimal

import pytest
from django.urls import reverse

from approvals.models import ChangeOrderLine, CommitmentChangeOrder
from tests.factories import make_change_order, make_commitment, make_cost_code


@pytest.fixture
def commitment(project):
    return make_commitment(project=project, lines=[Decimal("1000.00")], synced=True)


def _data(**overrides):
    return {
        "number": "001",
        "title": "Extra board",
        "status": "approved",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        **overrides,
    }


def test_a_change_to_an_existing_line_keeps_its_cost_code(pm_client, commitment):
    line = commitment.lines.get()
    new_code = make_cost_code(code="09-3000")

    response = pm_client.post(
        reverse("approvals:change_order_create", args=[commitment.pk]),
        _data(
            **{
                "lines-0-commitment_line": line.pk,
                "lines-0-amount": "-200.00",
                "lines-1-cost_code": new_code.pk,
                "lines-1-description": "Soffits",
                "lines-1-amount": "350.25",
            }
        ),
    )

    change_order = CommitmentChangeOrder.objects.get(commitment=commitment)
    assert response.url == reverse("approvals:change_order_detail", args=[change_order.pk])
    changes = list(change_order.lines.order_by("pk"))
    assert [(c.commitment_line_id, c.cost_code_id, c.amount) for c in changes] == [
        (line.pk, line.cost_code_id, Decimal("-200.00")),
        (None, new_code.pk, Decimal("350.25")),
    ]
    page = pm_client.get(response.url)
    assert page.context["total"] == Decimal("150.25")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"lines-0-amount": "10"}, "Choose a cost code for the new line."),
        ({"lines-0-commitment_line": "LINE", "lines-0-amount": "1"}, "Choose a line of this"),
        ({"lines-0-commitment_line": "{line}", "lines-0-amount": "0"}, "changes nothing"),
        ({"lines-0-commitment_line": "{line}", "lines-0-amount": "-1000.01"}, "below zero"),
        ({"title": ""}, "This field is required."),
    ],
)
def test_invalid_changes_are_explained_and_nothing_is_saved(
    pm_client, commitment, overrides, message
):
    line = commitment.lines.get()
    data = _data(**{key: value.replace("{line}", str(line.pk)) for key, value in overrides.items()})

    response = pm_client.post(reverse("approvals:change_order_create", args=[commitment.pk]), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CommitmentChangeOrder.objects.exists()
    assert not ChangeOrderLine.objects.exists()


def test_a_line_of_another_commitment_is_refused(pm_client, project, commitment):
    foreign_line = make_commitment(project=project).lines.get()

    response = pm_client.post(
        reverse("approvals:change_order_create", args=[commitment.pk]),
        _data(**{"lines-0-commitment_line": foreign_line.pk, "lines-0-amount": "5"}),
    )

    assert "Choose a line of this commitment." in response.content.decode()
    assert not CommitmentChangeOrder.objects.exists()


def test_a_sent_change_order_cannot_change_its_lines(pm_client, commitment, connection):
    change_order = make_change_order(commitment=commitment, lines=[Decimal("100.00")])
    pm_client.post(
        reverse("approvals:record_action", args=["change-order", change_order.pk, "send"])
    )
    change_order.refresh_from_db()
    assert change_order.sync_status == "ready_to_export"
    line = change_order.lines.get()

    response = pm_client.post(
        reverse("approvals:change_order_edit", args=[change_order.pk]),
        _data(
            number=change_order.number,
            title=change_order.title,
            **{
                "lines-INITIAL_FORMS": "1",
                "lines-0-id": line.pk,
                "lines-0-cost_code": line.cost_code_id,
                "lines-0-amount": "999.00",
            },
        ),
    )

    assert "The lines of this change order are locked" in response.content.decode()
    assert change_order.lines.get().amount == Decimal("100.00")
