"""Every page: members see it, other project managers get 404, anonymous visitors log in first."""

import pytest
from django.urls import reverse

from tests.factories import (
    make_change_order,
    make_commitment,
    make_company,
    make_invoice,
    make_project,
    make_user,
)


@pytest.fixture
def records(project):
    vendor = make_company(synced=True)
    project.companies.add(vendor)
    commitment = make_commitment(project=project, vendor=vendor, synced=True)
    return {
        "project": project,
        "commitment": commitment,
        "change_order": make_change_order(commitment=commitment),
        "invoice": make_invoice(commitment=commitment),
        "company": vendor,
    }


def _project_pages(r):
    return [
        reverse("approvals:project_detail", args=[r["project"].pk]),
        reverse("approvals:project_edit", args=[r["project"].pk]),
        reverse("approvals:commitment_create", args=[r["project"].pk]),
        reverse("approvals:commitment_detail", args=[r["commitment"].pk]),
        reverse("approvals:commitment_edit", args=[r["commitment"].pk]),
        reverse("approvals:change_order_create", args=[r["commitment"].pk]),
        reverse("approvals:change_order_detail", args=[r["change_order"].pk]),
        reverse("approvals:change_order_edit", args=[r["change_order"].pk]),
        reverse("approvals:invoice_create", args=[r["commitment"].pk]),
        reverse("approvals:invoice_detail", args=[r["invoice"].pk]),
        reverse("approvals:invoice_edit", args=[r["invoice"].pk]),
        reverse("approvals:company_create") + f"?project={r['project'].pk}",
    ]


def _directory_pages(r):
    return [
        reverse("approvals:home"),
        reverse("approvals:project_create"),
        reverse("approvals:company_list"),
        reverse("approvals:company_create"),
        reverse("approvals:company_detail", args=[r["company"].pk]),
        reverse("approvals:company_edit", args=[r["company"].pk]),
    ]


def test_every_page_renders_for_a_member(pm_client, records):
    for url in _project_pages(records) + _directory_pages(records):
        response = pm_client.get(url)
        assert response.status_code == 200, url


def test_project_pages_are_not_found_for_a_project_manager_of_another_project(
    outsider_client, records
):
    for url in _project_pages(records):
        assert outsider_client.get(url).status_code == 404, url


def test_state_changes_are_not_found_for_a_non_member(outsider_client, records):
    invoice = records["invoice"]
    response = outsider_client.post(
        reverse("approvals:record_action", args=["invoice", invoice.pk, "send"])
    )
    assert response.status_code == 404
    bulk = outsider_client.post(
        reverse("approvals:invoices_send", args=[records["project"].pk]),
        {"invoice": [invoice.pk]},
    )
    assert bulk.status_code == 404
    invoice.refresh_from_db()
    assert invoice.sync_status == "not_sent"


def test_anonymous_visitors_are_sent_to_the_login_page(client, records):
    login = reverse("login")
    for url in _project_pages(records) + _directory_pages(records):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(login), url


def test_home_lists_only_my_projects(pm_client, project):
    other = make_project(name="Harbour Bridge")
    response = pm_client.get(reverse("approvals:home"))
    assert project.name.encode() in response.content
    assert other.name.encode() not in response.content


def test_a_user_outside_the_project_managers_group_cannot_create(client, db):
    client.force_login(make_user())
    assert client.get(reverse("approvals:project_create")).status_code == 403


def test_state_changes_refuse_get(pm_client, records):
    url = reverse("approvals:record_action", args=["project", records["project"].pk, "send"])
    assert pm_client.get(url).status_code == 405


def test_log_in_and_land_on_the_page_asked_for(client, pm, project):
    wanted = reverse("approvals:project_detail", args=[project.pk])
    login_page = client.get(reverse("login") + f"?next={wanted}")
    assert login_page.status_code == 200

    response = client.post(
        reverse("login"), {"username": pm.username, "password": "pw", "next": wanted}
    )

    assert response.status_code == 302
    assert response.url == wanted
    assert client.get(wanted).status_code == 200


def test_a_wrong_password_is_refused_with_a_message(client, pm):
    response = client.post(reverse("login"), {"username": pm.username, "password": "nope"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
