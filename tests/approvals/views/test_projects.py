"""Projects: create (the creator becomes a member), edit, the project page, its directory."""

from decimal import Decimal

from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.models import Company, Project
from tests.approvals.views.conftest import messages_of
from tests.factories import (
    make_change_order,
    make_commitment,
    make_company,
    make_invoice,
    make_project,
)


def _project_data(**overrides):
    return {
        "number": "P-200",
        "name": "Harbour Library",
        "address": "1 Quay St",
        "customer_name": "City of Harbour",
        "uses_standard_cost_codes": "on",
        **overrides,
    }


def test_the_creator_of_a_project_becomes_its_member(pm_client, pm):
    response = pm_client.post(reverse("approvals:project_create"), _project_data())

    project = Project.objects.get(number="P-200")
    assert response.status_code == 302
    assert list(project.members.all()) == [pm]
    assert project.created_by == pm
    assert project.sync_status == "not_sent"
    assert pm_client.get(response.url).status_code == 200


def test_a_taken_project_number_is_refused(pm_client, project):
    response = pm_client.post(
        reverse("approvals:project_create"), _project_data(number=project.number.lower())
    )

    assert f"Another project already uses the number {project.number.lower()}." in (
        response.content.decode()
    )
    assert Project.objects.count() == 1


def test_edit_a_project(pm_client, pm):
    project = make_project(members=[pm], name="Old name")

    response = pm_client.post(
        reverse("approvals:project_edit", args=[project.pk]),
        _project_data(number=project.number, name="New name"),
    )

    assert response.status_code == 302
    project.refresh_from_db()
    assert project.name == "New name"


def test_a_sent_project_keeps_its_status_while_unlocked_fields_change(pm_client, pm, connection):
    project = make_project(members=[pm], name="Clinic")
    pm_client.post(reverse("approvals:record_action", args=["project", project.pk, "send"]))
    project.refresh_from_db()
    assert project.sync_status == "ready_to_export"

    response = pm_client.post(
        reverse("approvals:project_edit", args=[project.pk]),
        {
            "number": project.number,
            "name": project.name,
            "uses_standard_cost_codes": "on",
            "job_cost_sync_enabled": "on",
        },
    )

    assert response.status_code == 302
    project.refresh_from_db()
    assert project.job_cost_sync_enabled
    assert project.sync_status == "ready_to_export"


def test_a_sent_project_refuses_a_new_name(pm_client, pm, connection):
    project = make_project(members=[pm], name="Clinic")
    pm_client.post(reverse("approvals:record_action", args=["project", project.pk, "send"]))

    response = pm_client.post(
        reverse("approvals:project_edit", args=[project.pk]),
        {"number": project.number, "name": "Renamed", "uses_standard_cost_codes": "on"},
    )

    assert "Name cannot be changed" in response.content.decode()
    project.refresh_from_db()
    assert project.name == "Clinic"


def test_project_page_lists_records_with_badges_and_totals(pm_client, project):
    vendor = make_company(synced=True, name="Acme Drywall")
    project.companies.add(vendor)
    commitment = make_commitment(
        project=project, vendor=vendor, lines=[Decimal("1000.10"), Decimal("2000.20")], synced=True
    )
    make_change_order(commitment=commitment, lines=[Decimal("-250.05")])
    make_invoice(
        commitment=commitment,
        number="INV-77",
        lines=[
            {"work_completed": "500.00", "materials_stored": "25.25", "retainage_withheld": "52.53"}
        ],
    )

    response = pm_client.get(reverse("approvals:project_detail", args=[project.pk]))
    text = response.content.decode()

    # Every amount carries its currency.
    assert "$3,000.30" in text
    assert "-$250.05" in text
    invoice = response.context["invoices"][0]
    assert (invoice.totals_gross, invoice.totals_retainage, invoice.totals_net) == (
        Decimal("525.25"),
        Decimal("52.53"),
        Decimal("472.72"),
    )
    assert "Acme Drywall" in text
    assert "badge-green" in text
    assert 'name="invoice"' in text


def test_project_page_query_count_does_not_grow_with_commitments(pm_client, project):
    def count_queries():
        with CaptureQueriesContext(db_connection) as queries:
            response = pm_client.get(reverse("approvals:project_detail", args=[project.pk]))
            assert response.status_code == 200
        return len(queries)

    vendor = make_company(synced=True)
    project.companies.add(vendor)

    def add(n):
        for _ in range(n):
            commitment = make_commitment(project=project, vendor=vendor, synced=True)
            make_change_order(commitment=commitment)
            make_invoice(commitment=commitment)

    add(5)
    count_queries()  # warms per-process caches (content types) so both counts are steady-state
    with_five = count_queries()
    add(45)
    with_fifty = count_queries()

    assert with_five == with_fifty


def test_adding_an_existing_company_reuses_it(pm_client, project):
    company = make_company(name="Star Framing")

    response = pm_client.post(
        reverse("approvals:project_add_company", args=[project.pk]),
        {"company": company.pk},
        follow=True,
    )

    assert list(project.companies.all()) == [company]
    assert Company.objects.count() == 1
    assert any("Star Framing was added" in m for m in messages_of(response))


def test_adding_nothing_or_a_bad_choice_says_so(pm_client, project):
    for value in ("", "not-a-number", "987654"):
        response = pm_client.post(
            reverse("approvals:project_add_company", args=[project.pk]),
            {"company": value},
            follow=True,
        )
        assert response.status_code == 200
        assert messages_of(response)
    assert not project.companies.exists()


def test_a_new_company_with_an_existing_name_is_refused(pm_client, project):
    make_company(name="Star Framing")

    response = pm_client.post(
        reverse("approvals:company_create") + f"?project={project.pk}",
        {"name": "star framing "},
    )

    assert "already has a company named star framing" in response.content.decode()
    assert Company.objects.count() == 1
    assert not project.companies.exists()


def test_a_new_company_created_from_a_project_joins_its_directory(pm_client, project):
    response = pm_client.post(
        reverse("approvals:company_create") + f"?project={project.pk}",
        {"name": "Blue Sky Glazing", "email": "ap@bluesky.example"},
    )

    company = Company.objects.get(name="Blue Sky Glazing")
    assert response.url == reverse("approvals:project_detail", args=[project.pk])
    assert list(project.companies.all()) == [company]


def test_a_sent_company_is_read_only(pm_client, connection):
    company = make_company(name="Star Framing")
    pm_client.post(reverse("approvals:record_action", args=["company", company.pk, "send"]))

    response = pm_client.post(
        reverse("approvals:company_edit", args=[company.pk]), {"name": "Star Framing LLC"}
    )

    assert "Name cannot be changed" in response.content.decode()
    company.refresh_from_db()
    assert company.name == "Star Framing"
