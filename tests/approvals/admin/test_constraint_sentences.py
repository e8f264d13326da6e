"""A database constraint's name never reaches a person: each violation reads as a sentence."""

from html import escape

import pytest
from django.apps import apps
from django.db.models import UniqueConstraint
from django.urls import reverse

from approvals.models import SubcontractorInvoice
from tests.factories import make_commitment, make_invoice, make_user
from tests.html_forms import form_values


def _change_form(client, record, field: str) -> tuple[str, dict]:
    url = reverse(f"admin:approvals_{record._meta.model_name}_change", args=[record.pk])
    page = form_values(client.get(url).content.decode(), containing=field)
    # The page also carries the change-form actions' fields; a save posts only the record's.
    return url, {name: values for name, values in page.items() if "action" not in name.lower()}


def test_an_invoice_period_that_ends_before_it_starts_is_a_sentence(client, project):
    client.force_login(make_user(role="administrator"))
    invoice = make_invoice(commitment=make_commitment(project=project, synced=True))
    url, posted = _change_form(client, invoice, "period_start")
    posted.update(period_start=["2026-05-31"], period_end=["2026-05-01"])

    response = client.post(url, posted)

    page = response.content.decode()
    assert response.status_code == 200
    assert "The billing period must end on or after the day it starts." in page
    assert "invoice_period_ordered" not in page
    assert "Constraint" not in page
    assert SubcontractorInvoice.objects.get(pk=invoice.pk).period_end == invoice.period_end


def test_a_negative_commitment_line_in_the_admin_is_a_sentence(client, project):
    client.force_login(make_user(role="administrator"))
    commitment = make_commitment(project=project)
    url, posted = _change_form(client, commitment, "title")
    amount_field = next(name for name in posted if name.endswith("-0-amount"))
    posted[amount_field] = ["-5.00"]

    response = client.post(url, posted)

    page = response.content.decode()
    assert response.status_code == 200
    assert escape("A line's amount cannot be negative.") in page
    assert "commitmentline_amount_not_negative" not in page


MODELS = [model for model in apps.get_app_config("approvals").get_models()]


@pytest.mark.parametrize("model", MODELS, ids=[model.__name__ for model in MODELS])
def test_every_constraint_a_form_can_meet_has_its_own_sentence(model):
    for constraint in model._meta.constraints:
        if (
            isinstance(constraint, UniqueConstraint)
            and constraint.fields
            and not (constraint.condition)
        ):
            # Django says these in words: "... with this Project and Number already exists."
            continue
        message = constraint.get_violation_error_message()
        assert constraint.name not in message, f"{model.__name__}: {message}"
        assert message.endswith("."), message
