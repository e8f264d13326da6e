"""Decisions that talk to QuickBooks Online: the sandbox over a real socket, the real connector.

What QuickBooks asks at accept (the parent customer of a job, a vendor type), what it answered
in the history, what it refuses, and when a document it holds can be unlinked. (The decision
pages with any ERP are tested in tests/approvals/admin.)"""

import pytest

from approvals.models import Company, Project
from approvals.services.importing.imports_jobs import jobs_sync
from approvals.services.importing.imports_vendors import vendors_sync
from approvals.states import SyncStatus
from integrations.quickbooks_online.client import QuickBooksClient
from tests.approvals.admin.helpers import (
    change_url,
    decision_url,
    messages_of,
    refreshed,
    reviewed,
    run_queued_exports,
    send,
)
from tests.factories import make_company, make_project, make_user


@pytest.fixture
def owners(qbo_sandbox, qbo_connection):
    """Two owner customers in the books, and a job under one of them (not a choice), imported
    by the jobs sync."""
    health = qbo_sandbox.create_entity("Customer", {"DisplayName": "Riverside Health"})
    schools = qbo_sandbox.create_entity("Customer", {"DisplayName": "Portland Schools"})
    qbo_sandbox.create_entity(
        "Customer",
        {"DisplayName": "Old clinic job", "Job": True, "ParentRef": {"value": health["Id"]}},
    )
    jobs_sync(connection=qbo_connection)
    return {"health": health["Id"], "schools": schools["Id"]}


@pytest.fixture
def books(qbo_connection) -> QuickBooksClient:
    """The accountant working in QuickBooks itself, next to the app."""
    return QuickBooksClient(qbo_connection)


@pytest.fixture
def quickbooks_approver(qbo_connection, client):
    approver = make_user(role="approver", username="alice", first_name="Alice")
    client.force_login(approver)
    return approver


@pytest.fixture
def sender(qbo_connection):
    return make_user(role="project_manager")


def test_a_project_is_accepted_under_the_customer_chosen_and_exported(
    client, quickbooks_approver, sender, owners, qbo_sandbox
):
    project = make_project(number="P-100", name="Riverside Clinic", members=[sender])
    send([project], by=sender)
    qbo_sandbox.clear_request_log()

    page = client.get(decision_url(Project, "accept", [project])).content.decode()
    assert qbo_sandbox.request_log() == []  # the customers were imported, not asked for
    assert "Customers as of the last sync less than a minute ago." in page
    assert f'<option value="{owners["health"]}">Riverside Health</option>' in page
    assert f'<option value="{owners["schools"]}">Portland Schools</option>' in page
    assert "Old clinic job" not in page

    response = client.post(
        decision_url(Project, "accept"),
        {**reviewed([project]), "parent_customer_id": owners["schools"]},
    )
    assert response.status_code == 302
    assert run_queued_exports() == ["synced"]

    project = refreshed(project)
    assert project.sync_status == SyncStatus.SYNCED
    assert project.erp_parent_customer_id == owners["schools"]
    job = next(c for c in qbo_sandbox.entities("Customer") if c["Id"] == project.erp_id)
    assert job["ParentRef"]["value"] == owners["schools"]
    assert job["Job"] is True


def test_a_project_cannot_be_accepted_without_choosing_its_customer(
    client, quickbooks_approver, sender, owners
):
    project = make_project(members=[sender])
    send([project], by=sender)

    response = client.post(decision_url(Project, "accept"), {**reviewed([project])})

    assert response.status_code == 200
    assert "Please choose the customer this job belongs to." in response.content.decode()
    assert refreshed(project).sync_status == SyncStatus.READY_TO_EXPORT


def test_the_history_shows_the_exchange_with_quickbooks(
    client, quickbooks_approver, sender, qbo_sandbox
):
    (company,) = send([make_company(name="Acme Drywall")], by=sender)
    client.post(decision_url(Company, "accept"), {**reviewed([company])})
    run_queued_exports()
    company = refreshed(company)

    page = client.get(change_url(company)).content.decode()

    assert company.sync_status == SyncStatus.SYNCED
    history = page[page.index('id="erp-history"') :]
    assert "Sent to ERP" in history and "Accepted" in history and "Exported" in history
    assert "Alice" in history and "export worker" in history
    assert "<summary>Request sent</summary>" in history
    assert "<summary>Response received</summary>" in history
    assert "&quot;DisplayName&quot;: &quot;Acme Drywall&quot;" in history
    assert f"&quot;Id&quot;: &quot;{company.erp_id}&quot;" in history


def test_a_failed_export_is_retried_from_the_queue(
    client, quickbooks_approver, sender, qbo_sandbox, books
):
    (company,) = send([make_company(name="Acme Drywall")], by=sender)
    # QuickBooks refuses a vendor whose name a customer already uses.
    customer = qbo_sandbox.create_entity("Customer", {"DisplayName": "Acme Drywall"})
    client.post(decision_url(Company, "accept"), {**reviewed([company])})
    run_queued_exports()
    company = refreshed(company)
    assert company.sync_status == SyncStatus.EXPORT_FAILED
    assert company.last_export_error

    books.update(
        "Customer",
        {"Id": customer["Id"], "SyncToken": customer["SyncToken"], "DisplayName": "Acme Health"},
        request_id="rename-customer",
        sparse=True,
    )
    retried = client.post(decision_url(Company, "retry"), {**reviewed([company])}, follow=True)

    assert "Company 'Acme Drywall': the export is queued again." in messages_of(retried)
    assert run_queued_exports() == ["synced"]
    assert refreshed(company).sync_status == SyncStatus.SYNCED


def test_unlink_is_refused_while_the_quickbooks_document_exists(
    client, quickbooks_approver, sender, qbo_sandbox, books
):
    (company,) = send([make_company(name="Acme Drywall")], by=sender)
    client.post(decision_url(Company, "accept"), {**reviewed([company])})
    run_queued_exports()
    company = refreshed(company)

    refused = client.post(decision_url(Company, "unlink"), {**reviewed([company])}, follow=True)

    assert any(
        "still exists (not imported yet: no sync has finished). Delete or void it in "
        "QuickBooks Online first, then unlink once a sync has seen that." in message
        for message in messages_of(refused)
    )
    assert refreshed(company).sync_status == SyncStatus.SYNCED

    vendor = next(v for v in qbo_sandbox.entities("Vendor") if v["Id"] == company.erp_id)
    books.update(
        "Vendor",
        {"Id": vendor["Id"], "SyncToken": vendor["SyncToken"], "Active": False},
        request_id="deactivate-vendor",
        sparse=True,
    )
    vendors_sync(connection=company.erp_connection)  # the unlink trusts what was imported
    unlinked = client.post(decision_url(Company, "unlink"), {**reviewed([company])}, follow=True)

    assert "Company 'Acme Drywall': unlinked; it can now be corrected and sent again." in (
        messages_of(unlinked)
    )
    company = refreshed(company)
    assert company.sync_status == SyncStatus.NOT_SENT
    assert company.erp_id == ""


def test_accepting_a_company_sets_the_vendor_type_chosen(
    client, quickbooks_approver, sender, qbo_connection
):
    qbo_connection.settings = {"vendor_types": ["Subcontractor", "Supplier", "Consultant"]}
    qbo_connection.save(update_fields=["settings"])
    (company,) = send([make_company(name="Acme Drywall")], by=sender)

    page = client.get(decision_url(Company, "accept", [company])).content.decode()
    assert '<option value="Consultant">Consultant</option>' in page

    response = client.post(
        decision_url(Company, "accept"), {**reviewed([company]), "vendor_type": "Consultant"}
    )

    assert response.status_code == 302
    company = refreshed(company)
    assert company.vendor_type == "Consultant"
    assert company.sync_status == SyncStatus.EXPORTING
