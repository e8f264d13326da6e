"""The administrator's "Switching accounting systems" page: per record type, what is linked to a
connection that is not the active one, with a confirmed unlink and a confirmed re-link.

Served under admin/approvals/switching/ ahead of the site's own URLs. Administrators only; every
button posts to approvals.services.workflow.switching, which says what it did or why it did nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path

from approvals import permissions
from approvals.services import erp, erp_links
from approvals.services.workflow import switching
from approvals.services.workflow.errors import WorkflowError
from integrations.models import ERPConnection

URL_NAME = "approvals_switching"
TITLE = "Switching accounting systems"


def register_switching(site) -> None:
    site_urls = site.get_urls

    def get_urls():
        return [
            path(
                "approvals/switching/",
                site.admin_view(lambda request: switching_view(request, site)),
                name=URL_NAME,
            ),
            *site_urls(),
        ]

    site.get_urls = get_urls


def switching_view(request, site):
    if not permissions.is_administrator(request.user):
        raise PermissionDenied
    connection = erp.active_connection_or_none()
    if request.method == "POST":
        _act(request, connection)
        return redirect(request.path)
    context = {
        **site.each_context(request),
        "title": TITLE,
        "connection": connection,
        "connection_label": erp_links.connection_label(connection) if connection else "",
        "rows": [_row(found) for found in switching.linked_elsewhere_counts(connection=connection)],
        "confirming": _confirming(request, connection),
    }
    return TemplateResponse(request, "admin/approvals/switching.html", context)


def _row(found: switching.LinkedElsewhere) -> dict:
    return {
        "slug": found.model._meta.model_name,
        "noun": switching.noun(found.model, found.count),
        "plural": switching.noun(found.model, 2),
        "count": found.count,
        "old_connection": found.old_connection,
        "old_label": found.label,
        "relinkable": found.relinkable,
    }


def _confirming(request, connection) -> dict | None:
    """What the administrator asked to confirm (?confirm=unlink|relink&type=…&from=…)."""
    action = request.GET.get("confirm", "")
    if action not in ("unlink", "relink"):
        return None
    model, old_connection = _chosen(request.GET)
    count = model.objects.filter(erp_connection=old_connection).exclude(erp_id="").count()
    confirming = {
        "action": action,
        "slug": model._meta.model_name,
        "noun": switching.noun(model, count),
        "plural": switching.noun(model, 2),
        "count": count,
        "old_connection": old_connection,
        "old_label": erp_links.connection_label(old_connection),
        "exportable": model is not switching.CostCode,
    }
    if action == "relink":
        confirming["pairs"] = switching.relink_proposals(
            model=model, old_connection=old_connection, connection=connection
        )
    return confirming


def _chosen(data):
    """The record type and old connection a request names; 404 for anything else."""
    try:
        model = switching.model_for_slug(data.get("type", ""))
    except LookupError:
        raise Http404("No such record type.") from None
    raw = data.get("from", "")
    if not (raw.isascii() and raw.isdigit()):
        raise Http404("No such connection.")
    return model, get_object_or_404(ERPConnection, pk=int(raw))


def _act(request, connection) -> None:
    action = request.POST.get("action", "")
    if action not in ("unlink", "relink"):
        raise Http404("No such action.")
    model, old_connection = _chosen(request.POST)
    if request.POST.get("confirmed") != "yes":
        messages.warning(request, "Nothing was changed: confirm first.")
        return
    try:
        if action == "unlink":
            raw = request.POST.get("expected", "")
            expected = int(raw) if raw.isascii() and raw.isdigit() else -1
            done = switching.switch_unlink(
                model=model,
                old_connection=old_connection,
                connection=connection,
                actor=request.user,
                expected=expected,
            )
            said = f"{done} {switching.noun(model, done)} unlinked from {erp_links.connection_label(old_connection)}."
        else:
            done = switching.switch_relink(
                model=model,
                old_connection=old_connection,
                connection=connection,
                keys=request.POST.getlist("pair"),
                actor=request.user,
            )
            said = (
                f"{done} {switching.noun(model, done)} re-linked to "
                f"{erp_links.connection_label(connection)}."
            )
    except WorkflowError as error:
        messages.error(request, error.message)
        return
    messages.success(request, said)
