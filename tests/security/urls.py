"""Every URL of the site, from the URL configuration itself, and how to request each one in the
security tests' world. A URL that appears here without a plan makes the tests fail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from approvals.models import (
    Commitment,
    CommitmentChangeOrder,
    Company,
    Project,
    SubcontractorInvoice,
    VendorUpdate,
)
from integrations.models import ERPConnection, ERPKind
from integrations.quickbooks_desktop.models import (
    DesktopConnection,
    QueuedRequest,
    WebConnectorSession,
)

# Django's own pages that are not about our records: sign-in, password, translations.
DJANGO_ADMIN_PAGES = frozenset(
    {
        "admin:login",
        "admin:logout",
        "admin:password_change",
        "admin:password_change_done",
        "admin:autocomplete",
        "admin:jsi18n",
        "admin:view_on_site",
        "login",
        "logout",
    }
)
OTHER_APPS_IN_ADMIN = ("admin:auth_", "admin:django_tasks_database_")
ADMIN_MODELS = {
    "project": Project,
    "company": Company,
    "commitment": Commitment,
    "commitmentchangeorder": CommitmentChangeOrder,
    "subcontractorinvoice": SubcontractorInvoice,
    "costcode": None,
    "directexportsetting": None,
    "approvalpolicy": None,
    "erpconnection": ERPConnection,
    "vendorupdate": VendorUpdate,
    "desktopconnection": DesktopConnection,
    "webconnectorsession": WebConnectorSession,
    "queuedrequest": QueuedRequest,
}


@dataclass(frozen=True)
class Endpoint:
    name: str
    route: str
    methods: tuple[str, ...]


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str | None]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield prefix + str(pattern.pattern), name


def named_urls() -> dict[str, str]:
    """URL name → route for every named URL we own or expose through the admin."""
    found = {}
    for route, name in _walk(get_resolver().url_patterns):
        if name is None or name in DJANGO_ADMIN_PAGES or name.startswith(OTHER_APPS_IN_ADMIN):
            continue
        found[name] = route
    return found


def admin_model_and_view(name: str) -> tuple[str, str] | None:
    """('company', 'accept') for 'admin:approvals_company_accept'."""
    for app in ("approvals", "integrations", "quickbooks_desktop"):
        prefix = f"admin:{app}_"
        if name.startswith(prefix):
            for model in sorted(ADMIN_MODELS, key=len, reverse=True):
                if name.startswith(f"{prefix}{model}_"):
                    return model, name.removeprefix(f"{prefix}{model}_")
    return None


def url_in_world(name: str, world) -> str:
    """The address of `name` for the world's records (its first record of the right type)."""
    synced_commitment = world.change_order.commitment
    plain = {
        "approvals:project_detail": [world.project.pk],
        "approvals:project_edit": [world.project.pk],
        "approvals:project_add_company": [world.project.pk],
        "approvals:project_job_costs": [world.project.pk],
        "approvals:project_job_costs_sync": [world.project.pk],
        "approvals:project_job_costs_sync_status": [world.project.pk],
        "approvals:commitment_create": [world.project.pk],
        "approvals:invoices_send": [world.project.pk],
        "approvals:company_detail": [world.company.pk],
        "approvals:company_edit": [world.company.pk],
        "approvals:commitment_detail": [world.commitment.pk],
        "approvals:commitment_edit": [world.commitment.pk],
        "approvals:change_order_create": [synced_commitment.pk],
        "approvals:invoice_create": [synced_commitment.pk],
        "approvals:invoice_number_check": [synced_commitment.pk],
        "approvals:change_order_detail": [world.change_order.pk],
        "approvals:change_order_edit": [world.change_order.pk],
        "approvals:invoice_detail": [world.invoice.pk],
        "approvals:invoice_edit": [world.invoice.pk],
        "approvals:record_action": ["commitment", world.commitment.pk, "retrieve"],
        "approvals:vendor_update_withdraw": [
            world.vendor_update.company_id,
            world.vendor_update.pk,
        ],
    }
    if name in plain:
        return reverse(name, args=plain[name])
    if name == "admin:app_list":
        return reverse(name, kwargs={"app_label": "approvals"})
    admin_view = admin_model_and_view(name)
    if admin_view is not None:
        model_name, view = admin_view
        record = _admin_record(model_name, world)
        if view in {"change", "delete", "history", "qwc"}:
            return reverse(name, args=[record.pk])
        if view in {"accept", "reject", "retry", "unlink"}:
            if model_name == "vendorupdate":
                # One vendor update per decision page.
                return reverse(name, args=[record.pk])
            return reverse(name) + f"?ids={record.pk}"
    return reverse(name)


def _admin_record(model_name: str, world):
    model = ADMIN_MODELS[model_name]
    if model is ERPConnection:
        return world.connection
    if model is VendorUpdate:
        return world.vendor_update
    if model in (DesktopConnection, WebConnectorSession, QueuedRequest):
        return _web_connector_record(model)
    if model is None:
        return _first_of(model_name)
    return world.record_of(model)


def _web_connector_record(model):
    """A QuickBooks Desktop connection (not the active one: the world exports elsewhere), one
    of its Web Connector runs and one of its queued requests."""
    desktop = DesktopConnection.objects.first()
    if desktop is None:
        connection = ERPConnection.objects.create(
            kind=ERPKind.QUICKBOOKS_DESKTOP, company_id="{WORLD}", is_active=False
        )
        desktop = DesktopConnection.objects.create(
            connection=connection, username="world-qbwc", password_hash="!"
        )
        WebConnectorSession.objects.create(desktop=desktop, ticket="world-ticket")
        QueuedRequest.objects.create(
            desktop=desktop, purpose="Read vendors", operation="VendorQueryRq", body="<x/>"
        )
    return model.objects.filter(
        **({} if model is DesktopConnection else {"desktop": desktop})
    ).first()


def _first_of(model_name: str):
    return apps.get_model("approvals", model_name).objects.order_by("pk").first()
