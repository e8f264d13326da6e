"""Every page and admin action of the site, for every kind of visitor: only the intended succeed.

The URLs come from the URL configuration (tests/security/urls.py); each has a row in EXPECTED
naming the roles that may use it. A new URL without a row fails `test_every_url_is_classified`.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.contrib.messages import ERROR, get_messages
from django.db import transaction
from django.urls import reverse

from approvals.models import Commitment, Company, Project
from tests.security.conftest import (
    EXPORTABLE,
    ROLES,
    approver_without_the_right_for,
    client_for,
)
from tests.security.urls import ADMIN_MODELS, admin_model_and_view, named_urls, url_in_world

ANYONE = frozenset(ROLES)
SIGNED_IN = ANYONE - {"anonymous"}
MEMBER = frozenset({"project_manager", "administrator"})
PROJECT_MANAGERS = frozenset({"pm_of_another_project", "project_manager", "administrator"})
STAFF = frozenset({"approver_without_the_right", "approver", "administrator"})
DECIDERS = frozenset({"approver", "administrator"})
ADMINISTRATOR = frozenset({"administrator"})
NOBODY = frozenset()

# The project-manager pages and the QuickBooks connection pages.
EXPECTED = {
    # For load balancers and monitors: states only, no records, no names.
    "health": ANYONE,
    "approvals:home": SIGNED_IN,
    # Each sees the rejected records of their own projects (none for a non-member); resending
    # any of them is the services' decision, record by record.
    "approvals:rejected_list": SIGNED_IN,
    "approvals:project_create": PROJECT_MANAGERS,
    "approvals:project_detail": MEMBER,
    "approvals:project_edit": MEMBER,
    "approvals:project_add_company": MEMBER,
    "approvals:project_job_costs": MEMBER,
    "approvals:project_job_costs_sync": MEMBER,
    "approvals:project_job_costs_sync_status": MEMBER,
    "approvals:commitment_create": MEMBER,
    "approvals:invoices_send": MEMBER,
    # The company directory is shared by every project; approvers may read it too.
    "approvals:company_list": PROJECT_MANAGERS | STAFF,
    "approvals:company_create": PROJECT_MANAGERS,
    "approvals:company_detail": PROJECT_MANAGERS | STAFF,
    "approvals:company_edit": PROJECT_MANAGERS,
    "approvals:commitment_detail": MEMBER,
    "approvals:commitment_edit": MEMBER,
    "approvals:change_order_create": MEMBER,
    "approvals:invoice_create": MEMBER,
    # Whether the vendor already has an invoice of the number typed on the invoice form.
    "approvals:invoice_number_check": MEMBER,
    "approvals:change_order_detail": MEMBER,
    "approvals:change_order_edit": MEMBER,
    "approvals:invoice_detail": MEMBER,
    "approvals:invoice_edit": MEMBER,
    "approvals:record_action": MEMBER,
    # Only its proposer may withdraw a vendor update (the world's was proposed by the PM).
    "approvals:vendor_update_withdraw": frozenset({"project_manager"}),
    "quickbooks_online:connection": ADMINISTRATOR,
    "quickbooks_online:connect": ADMINISTRATOR,
    "quickbooks_online:callback": ADMINISTRATOR,
    "quickbooks_online:disconnect": ADMINISTRATOR,
    "quickbooks_online:tax_codes": ADMINISTRATOR,
    # Signed by QuickBooks, not by a session: nobody gets in without the signature.
    "quickbooks_online:webhooks": NOBODY,
    "xero:connection": ADMINISTRATOR,
    "xero:connect": ADMINISTRATOR,
    "xero:callback": ADMINISTRATOR,
    "xero:choose_organisation": ADMINISTRATOR,
    "xero:choices": ADMINISTRATOR,
    "xero:disconnect": ADMINISTRATOR,
    # Signed by Xero (x-xero-signature), not by a session.
    "xero:webhooks": NOBODY,
    "admin:index": STAFF,
    "admin:app_list": STAFF,
    "admin:approvals_dashboard": STAFF,
    # Importing and linking ERP records is a decision on that record type.
    "admin:approvals_imports_vendors": DECIDERS,
    "admin:approvals_imports_jobs": DECIDERS,
    # Unlinking or re-linking every record of a type after a switch of accounting company.
    "admin:approvals_switching": ADMINISTRATOR,
    # The Web Connector logs in with its own user name and password, inside each SOAP call; a
    # GET only says what the address is for (or gives the public WSDL).
    "quickbooks_desktop:qbwc": ANYONE,
}
# The record type a URL that is not a model's admin page decides on.
RECORD_TYPE_OF_PAGE = {
    "admin:approvals_imports_vendors": Company,
    "admin:approvals_imports_jobs": Project,
}
# Admin models that are not records of their own: the record type whose right decides them.
DECIDED_AS = {"vendorupdate": Company}
# The admin's pages of one model, by view. Sent records cannot be deleted by anyone.
EXPECTED_ADMIN_VIEWS = {
    "exportable": {
        "changelist": STAFF,
        "add": ADMINISTRATOR,
        "change": STAFF,
        "delete": NOBODY,
        "history": STAFF,
        "accept": DECIDERS,
        "reject": DECIDERS,
        "retry": DECIDERS,
        "unlink": DECIDERS,
        "cancel": DECIDERS,
    },
    "costcode": {
        "changelist": STAFF,
        "add": ADMINISTRATOR,
        "change": STAFF,
        "delete": ADMINISTRATOR,
        "history": STAFF,
    },
    "directexportsetting": {
        "changelist": STAFF,
        "add": ADMINISTRATOR,
        "change": STAFF,
        "delete": ADMINISTRATOR,
        "history": STAFF,
    },
    # One policy row, which the world has: nobody adds a second or deletes it.
    "approvalpolicy": {
        "changelist": STAFF,
        "add": NOBODY,
        "change": STAFF,
        "delete": NOBODY,
        "history": STAFF,
    },
    # Vendor updates are proposed from the company's page and only decided here, by those who
    # may approve companies; nobody adds, edits or deletes one in the admin.
    "vendorupdate": {
        "changelist": DECIDERS,
        "add": NOBODY,
        "change": DECIDERS,
        "delete": NOBODY,
        "history": DECIDERS,
        "accept": DECIDERS,
        "reject": DECIDERS,
        "retry": DECIDERS,
    },
    # The Web Connector's log-in and its .qwc file are an administrator's; nobody deletes one.
    "desktopconnection": {
        "changelist": ADMINISTRATOR,
        "add": ADMINISTRATOR,
        "change": ADMINISTRATOR,
        "delete": NOBODY,
        "history": ADMINISTRATOR,
        "qwc": ADMINISTRATOR,
    },
    # What the Web Connector did and what waits for it: written by the service only.
    "webconnectorsession": {
        "changelist": ADMINISTRATOR,
        "add": NOBODY,
        "change": ADMINISTRATOR,
        "delete": NOBODY,
        "history": ADMINISTRATOR,
    },
    "queuedrequest": {
        "changelist": ADMINISTRATOR,
        "add": NOBODY,
        "change": ADMINISTRATOR,
        "delete": NOBODY,
        "history": ADMINISTRATOR,
    },
    # Connections are made through the connect flow only, and never deleted (records link to them).
    "erpconnection": {
        "changelist": STAFF,
        "add": NOBODY,
        "change": STAFF,
        "delete": NOBODY,
        "history": STAFF,
    },
}
# What each state-changing URL is posted, so that an allowed visitor's request can succeed.
POSTED = {
    "approvals:invoices_send": lambda world: {"invoice": [world.draft_invoice.pk]},
    "approvals:project_add_company": lambda world: {"company": world.company.pk},
    "approvals:project_job_costs_sync": lambda world: {},
    "approvals:record_action": lambda world: {},
    "approvals:vendor_update_withdraw": lambda world: {},
    "quickbooks_online:connect": lambda world: {},
    "quickbooks_online:disconnect": lambda world: {},
    "quickbooks_online:tax_codes": lambda world: {},
    "quickbooks_online:webhooks": lambda world: {},
    "xero:connect": lambda world: {},
    "xero:choices": lambda world: {},
    "xero:disconnect": lambda world: {},
    "xero:webhooks": lambda world: {},
}
# Allowed visitors get past the permission check, then a sentence about the request itself:
# a connection already exists, the callback carries no answer from QuickBooks, tax codes cannot
# be read without a company answering, the world's project does not sync its job costs.
ANSWERED_WITH_A_MESSAGE = frozenset(
    {
        "quickbooks_online:connect",
        "quickbooks_online:callback",
        "quickbooks_online:tax_codes",
        "xero:callback",
        "xero:choose_organisation",
        "xero:choices",
        "approvals:project_job_costs_sync",
        # The test client speaks plain HTTP to a host other than localhost: the .qwc is refused
        # with the sentence saying the Web Connector needs HTTPS.
        "admin:quickbooks_desktop_desktopconnection_qwc",
    }
)
PERMISSION_REFUSALS = frozenset(
    {"sent to sign in", "refused (401)", "refused (403)", "refused (404)"}
)
SIGN_IN_PAGES = ("/accounts/login/", "/admin/login/")


def expected_roles(name: str) -> frozenset[str] | None:
    if name in EXPECTED:
        return EXPECTED[name]
    admin_view = admin_model_and_view(name)
    if admin_view is None:
        return None
    model_name, view = admin_view
    if model_name in EXPECTED_ADMIN_VIEWS:
        return EXPECTED_ADMIN_VIEWS[model_name].get(view)
    if hasattr(ADMIN_MODELS[model_name], "sync_status"):
        return EXPECTED_ADMIN_VIEWS["exportable"].get(view)
    return None


def test_every_url_is_classified():
    unclassified = sorted(name for name in named_urls() if expected_roles(name) is None)
    assert unclassified == [], "Add these URLs to the permission matrix: " + ", ".join(unclassified)


def outcome(response) -> str:
    """'ok' when the visitor got what they asked for; otherwise how they were turned away."""
    if response.status_code in (401, 403, 404, 405):
        return f"refused ({response.status_code})"
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(SIGN_IN_PAGES):
            return "sent to sign in"
        if any(m.level >= ERROR for m in get_messages(response.wsgi_request)):
            return "refused with a message"
    return "ok"


def record_type_of(name: str):
    if name in RECORD_TYPE_OF_PAGE:
        return RECORD_TYPE_OF_PAGE[name]
    admin_view = admin_model_and_view(name)
    if admin_view and admin_view[0] in DECIDED_AS:
        return DECIDED_AS[admin_view[0]]
    model = ADMIN_MODELS.get(admin_view[0]) if admin_view else None
    return model if model is not None and hasattr(model, "sync_status") else Commitment


@contextmanager
def rolled_back():
    """Each visit starts from the same world: what an allowed POST changed is undone."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def test_only_the_intended_roles_succeed(world):
    """One world, every URL x every role; all mismatches are reported together."""
    without_right = {model: approver_without_the_right_for(model) for model in EXPORTABLE}
    mismatches = []
    for name in sorted(named_urls()):
        allowed = expected_roles(name)
        url = url_in_world(name, world)
        for role in ROLES:
            if role == "approver_without_the_right":
                user = without_right[record_type_of(name)]
            else:
                user = world.users[role]
            with rolled_back():
                client = client_for(user)
                if name in POSTED:
                    response = client.post(url, POSTED[name](world))
                else:
                    response = client.get(url)
                result = outcome(response)
            if role in allowed:
                accepted = {"ok"} | (
                    {"refused with a message"} if name in ANSWERED_WITH_A_MESSAGE else set()
                )
            else:
                accepted = PERMISSION_REFUSALS
            if result not in accepted:
                mismatches.append(f"{name} {url} as {role}: {result}")
    assert mismatches == []


EXPORTABLE_CHANGELISTS = [
    name
    for name in sorted(named_urls())
    if (view := admin_model_and_view(name))
    and view[1] == "changelist"
    and ADMIN_MODELS[view[0]] is not None
    and hasattr(ADMIN_MODELS[view[0]], "sync_status")
]
DECISION_ACTIONS = {"accept_selected", "reject_selected", "retry_selected", "unlink_selected"}


@pytest.mark.parametrize("role", ["approver_without_the_right", "approver", "administrator"])
@pytest.mark.parametrize("name", EXPORTABLE_CHANGELISTS)
def test_admin_actions_are_offered_only_to_those_who_may_decide(world, name, role):
    model = record_type_of(name)
    if role == "approver_without_the_right":
        user = approver_without_the_right_for(model)
    else:
        user = world.users[role]

    response = client_for(user).get(reverse(name))

    assert response.status_code == 200
    action_form = response.context["action_form"]
    offered = (
        {value for value, _label in action_form.fields["action"].choices if value}
        if action_form is not None
        else set()
    )
    expected = DECISION_ACTIONS if role in DECIDERS else set()
    if name == "admin:approvals_project_changelist" and role == "administrator":
        # Xero's: archiving the tracking option of closed projects, for connection managers.
        expected = expected | {"archive_tracking_options"}
    assert offered == expected


@pytest.mark.parametrize("name", EXPORTABLE_CHANGELISTS)
def test_an_admin_action_posted_without_the_right_changes_nothing(world, name):
    model = record_type_of(name)
    record = world.record_of(model)
    user = approver_without_the_right_for(model)

    response = client_for(user).post(
        reverse(name), {"action": "accept_selected", "_selected_action": [record.pk]}
    )

    assert response.status_code in (200, 302, 403)
    record.refresh_from_db()
    assert record.sync_status == "ready_to_export"
