"""A small world for the security tests: two projects, one record of every exportable type on the
first (each waiting for a decision), and one user per role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from approvals.models import (
    ApprovalPolicy,
    Commitment,
    CommitmentChangeOrder,
    Company,
    DirectExportSetting,
    Project,
    SubcontractorInvoice,
    VendorUpdate,
)
from approvals.services import record_send
from integrations.models import ERPKind
from tests.factories import (
    make_change_order,
    make_commitment,
    make_company,
    make_erp_connection,
    make_invoice,
    make_project,
    make_user,
)

ROLES = (
    "anonymous",
    "pm_of_another_project",
    "project_manager",
    "approver_without_the_right",
    "approver",
    "administrator",
)
EXPORTABLE = (Project, Company, Commitment, CommitmentChangeOrder, SubcontractorInvoice)


@dataclass
class World:
    project: Project
    other_project: Project
    sent_project: Project
    company: Company
    vendor_update: VendorUpdate
    commitment: Commitment
    change_order: CommitmentChangeOrder
    invoice: SubcontractorInvoice
    draft_invoice: SubcontractorInvoice
    connection: object
    users: dict

    def record_of(self, model):
        return {
            Project: self.sent_project,
            Company: self.company,
            Commitment: self.commitment,
            CommitmentChangeOrder: self.change_order,
            SubcontractorInvoice: self.invoice,
        }[model]


@pytest.fixture(autouse=True)
def _pages_render_in_tests(settings):
    """Production redirects plain HTTP to HTTPS and serves static files hashed by collectstatic;
    the test client speaks plain HTTP and nothing was collected."""
    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def world(db) -> World:
    # A Xero connection without tokens: its checks and descriptions need no network.
    connection = make_erp_connection(kind=ERPKind.XERO)
    project = make_project(synced=True, number="P-1")
    other_project = make_project(synced=True, number="P-2")
    pm = make_user(role="project_manager", username="pm", projects=[project])
    commitment = make_commitment(project=project, synced=True)
    world = World(
        project=project,
        other_project=other_project,
        sent_project=make_project(number="P-3", members=[pm]),
        company=make_company(name="Acme Drywall"),
        vendor_update=VendorUpdate.objects.create(
            company=make_company(name="Bravo Paint", synced=True, erp_connection=connection),
            changes=[{"field": "phone", "label": "Phone", "old": "", "new": "555-0199"}],
            proposed_by=pm,
            request_key="vendor-update-world",
        ),
        commitment=make_commitment(project=project),
        change_order=make_change_order(commitment=commitment),
        invoice=make_invoice(commitment=commitment),
        draft_invoice=make_invoice(commitment=commitment, lines=[{"work_completed": "2000.00"}]),
        connection=connection,
        users={},
    )
    DirectExportSetting.objects.create(content_type=ContentType.objects.get_for_model(Company))
    ApprovalPolicy.objects.create()
    for model in EXPORTABLE:
        record_send(record=world.record_of(model), actor=pm)
    world.users = {
        "anonymous": None,
        "pm_of_another_project": make_user(
            role="project_manager", username="other-pm", projects=[other_project]
        ),
        "project_manager": pm,
        "approver": make_user(role="approver", username="approver"),
        "administrator": make_user(role="administrator", username="administrator"),
    }
    return world


def approver_without_the_right_for(model):
    """A staff approver with every right of the group except deciding on `model`'s records."""
    others = [other for other in EXPORTABLE if other is not model]
    user = make_user(username=f"no-{model._meta.model_name}", approve=others)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["approvals", "integrations"],
            codename__startswith="view_",
        )
    )
    return user


def client_for(user, **options) -> Client:
    client = Client(**options)
    if user is not None:
        client.force_login(user)
    return client
