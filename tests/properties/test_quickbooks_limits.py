"""Names and numbers at and past QuickBooks Online's limits: at the limit they export, past it they
are refused with a sentence before anything reaches QuickBooks (the sandbox hears nothing)."""

import pytest
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from approvals.models import Company
from approvals.services import PreconditionsNotMet, record_accept, record_send
from approvals.states import SyncStatus
from approvals.tasks import export_run
from tests.factories import (
    make_commitment,
    make_company,
    make_invoice,
    make_project,
    make_user,
)

pytestmark = pytest.mark.django_db


def api_requests(qbo_sandbox) -> list[dict]:
    return [entry for entry in qbo_sandbox.request_log() if entry["path"].startswith("/v3/")]


def api_writes(qbo_sandbox) -> list[dict]:
    """Requests that could change QuickBooks (queries and GETs only read)."""
    return [
        entry
        for entry in api_requests(qbo_sandbox)
        if entry["method"] != "GET" and not entry["path"].endswith("/query")
    ]


def run_queued_exports() -> list[str]:
    return [
        export_run.call(*task.args_kwargs["args"])
        for task in DBTaskResult.objects.filter(task_path="approvals.tasks.export_run")
    ]


@pytest.fixture
def people(qbo_connection, qbo_sandbox):
    qbo_sandbox.clear_request_log()
    project = make_project(synced=True)
    return {
        "project": project,
        "pm": make_user(role="project_manager", projects=[project]),
        "approver": make_user(role="approver"),
    }


@pytest.mark.parametrize(
    ("fields", "sentence"),
    [
        ({"name": "Acme: Drywall"}, "'Acme: Drywall' contains a colon, which QuickBooks Online"),
        ({"name": "Acme\tDrywall"}, "contains a tab, which QuickBooks Online does not allow"),
        ({"name": "Acme\nDrywall"}, "contains a line break, which QuickBooks Online does not"),
        ({"name": "   "}, "The company has no name."),
        (
            {"name": "Acme Drywall", "legal_name": "Ł" * 101},
            "is longer than the 100 characters QuickBooks Online allows.",
        ),
        (
            {"name": "Acme Drywall", "email": "accounts@" + "é" * 95 + ".example"},
            "is longer than the 100 characters QuickBooks Online allows.",
        ),
    ],
)
def test_a_company_past_the_limits_is_refused_at_send_with_nothing_sent(
    qbo_sandbox, people, fields, sentence
):
    company = make_company(**fields)

    with pytest.raises(PreconditionsNotMet) as refused:
        record_send(record=company, actor=people["pm"])

    assert sentence in refused.value.message
    company.refresh_from_db()
    assert company.sync_status == SyncStatus.NOT_SENT
    assert api_requests(qbo_sandbox) == []


def test_a_name_that_became_unacceptable_after_send_is_refused_at_accept(qbo_sandbox, people):
    company = make_company(name="Acme Drywall")
    record_send(record=company, actor=people["pm"])
    # As a record sent before the rule existed would be: the form locks the name after send.
    Company.objects.filter(pk=company.pk).update(name="Acme: Drywall")
    company.refresh_from_db()

    with pytest.raises(PreconditionsNotMet, match="contains a colon"):
        record_accept(record=company, actor=people["approver"])

    company.refresh_from_db()
    assert company.sync_status == SyncStatus.READY_TO_EXPORT
    assert not DBTaskResult.objects.exists()
    assert api_requests(qbo_sandbox) == []


def test_names_and_numbers_at_the_limit_export(qbo_sandbox, people):
    name = "Ωmega Façades & Glazing 株式会社 " + "x" * 200
    name = name[:255]
    company = make_company(name=name, legal_name="Ł" * 100)
    record_send(record=company, actor=people["pm"])
    record_accept(record=company, actor=people["approver"])

    assert run_queued_exports() == ["synced"]
    company.refresh_from_db()
    [vendor] = [v for v in qbo_sandbox.entities("Vendor") if v["Id"] == company.erp_id]
    assert vendor["DisplayName"] == name
    assert vendor["CompanyName"] == "Ł" * 100


@pytest.mark.parametrize(
    ("number", "sentence"),
    [
        ("  ", "The invoice has no number; QuickBooks Online needs one to find it again."),
        ("\t", "The invoice has no number; QuickBooks Online needs one to find it again."),
    ],
)
def test_an_invoice_without_a_number_is_refused_with_nothing_sent(
    qbo_sandbox, people, number, sentence
):
    commitment = make_commitment(project=people["project"], synced=True)
    invoice = make_invoice(commitment=commitment, number=number)
    qbo_sandbox.clear_request_log()

    with pytest.raises(PreconditionsNotMet) as refused:
        record_send(record=invoice, actor=people["pm"])

    assert sentence in refused.value.message
    invoice.refresh_from_db()
    assert invoice.sync_status == SyncStatus.NOT_SENT
    # The duplicate-bill look-up reads QuickBooks before the checks; nothing is written.
    assert api_writes(qbo_sandbox) == []


@pytest.fixture
def pm_client(people, settings):
    settings.SECURE_SSL_REDIRECT = False
    client = Client()
    client.force_login(people["pm"])
    return client


def test_a_document_number_past_21_characters_is_refused_by_the_form(
    qbo_sandbox, people, pm_client
):
    project = people["project"]
    vendor = make_company(synced=True)
    project.companies.add(vendor)

    response = pm_client.post(
        reverse("approvals:commitment_create", args=[project.pk]),
        {"vendor": vendor.pk, "kind": "subcontract", "number": "N" * 22, "title": "Framing"},
    )

    assert response.status_code == 200
    assert "Ensure this value has at most 21 characters (it has 22)." in response.content.decode()
    assert not project.commitments.exists()
    assert api_requests(qbo_sandbox) == []


def test_a_huge_input_is_refused_by_the_form_and_nothing_is_stored(qbo_sandbox, people, pm_client):
    response = pm_client.post(reverse("approvals:company_create"), {"name": "Acme" + "x" * 99_996})

    assert response.status_code == 200
    assert "Ensure this value has at most 255 characters (it has 100000)." in (
        response.content.decode()
    )
    assert not Company.objects.filter(name__startswith="Acmexxx").exists()
    assert api_requests(qbo_sandbox) == []
