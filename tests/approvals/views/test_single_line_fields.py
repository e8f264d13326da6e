"""Single-line fields (titles, numbers, names) refuse line breaks and other control characters.

A title with a line break was stored, then broke the rejection's email and the bulk reject.
"""

import pytest
from django.urls import reverse

from approvals.models import Commitment, Company, SubcontractorInvoice
from tests.factories import make_commitment, make_company, make_cost_code, make_user
from tests.html_forms import form_values

REFUSED = "must be a single line, without line breaks, tabs or other control characters"


def _commitment_data(vendor, cost_code, **overrides):
    return {
        "vendor": vendor.pk,
        "kind": "subcontract",
        "number": "SC-100",
        "title": "Drywall and framing",
        "description": "Two floors.\r\nBoard and studs.",
        "status": "approved",
        "default_retainage_percent": "10",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-cost_code": cost_code.pk,
        "lines-0-amount": "1200.00",
        **overrides,
    }


@pytest.mark.parametrize(
    "field, value",
    [
        ("title", "Drywall\r\nBcc: someone@example.com"),
        ("title", "Drywall\nand framing"),
        ("number", "SC-\r100"),
        ("number", "SC\t100"),
        ("title", "Drywall\u2028framing"),
    ],
)
def test_a_commitment_field_with_a_control_character_is_refused(pm_client, project, field, value):
    vendor = make_company(synced=True)
    project.companies.add(vendor)

    response = pm_client.post(
        reverse("approvals:commitment_create", args=[project.pk]),
        _commitment_data(vendor, make_cost_code(), **{field: value}),
    )

    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert not Commitment.objects.exists()


def test_a_multi_line_description_is_still_accepted(pm_client, project):
    vendor = make_company(synced=True)
    project.companies.add(vendor)

    response = pm_client.post(
        reverse("approvals:commitment_create", args=[project.pk]),
        _commitment_data(vendor, make_cost_code()),
    )

    assert response.status_code == 302
    assert Commitment.objects.get().description == "Two floors.\r\nBoard and studs."


def test_an_invoice_number_with_a_line_break_is_refused(pm_client, project):
    vendor = make_company(synced=True)
    project.companies.add(vendor)
    commitment = make_commitment(project=project, vendor=vendor, synced=True)
    page = pm_client.get(reverse("approvals:invoice_create", args=[commitment.pk]))
    posted = form_values(page.content.decode(), containing="number")
    posted.update(
        number=["INV-\r\n7"],
        billing_date=["2026-05-31"],
        period_start=["2026-05-01"],
        period_end=["2026-05-31"],
    )
    posted["lines-0-work_completed"] = ["100.00"]

    response = pm_client.post(reverse("approvals:invoice_create", args=[commitment.pk]), posted)

    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert not SubcontractorInvoice.objects.exists()


def test_the_admin_refuses_a_company_name_with_a_line_break(client, db):
    client.force_login(make_user(role="administrator"))
    company = make_company(name="Acme Drywall")
    url = reverse("admin:approvals_company_change", args=[company.pk])
    page = form_values(client.get(url).content.decode(), containing="name")
    # The page also carries the change-form actions' fields; a save posts only the record's.
    posted = {name: values for name, values in page.items() if "action" not in name.lower()}
    posted["name"] = ["Acme\r\nDrywall"]

    response = client.post(url, posted)

    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert Company.objects.get(pk=company.pk).name == "Acme Drywall"
