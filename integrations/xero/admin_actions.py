"""The admin action that makes room in the projects' tracking category: archiving, in Xero, the
tracking option of each selected project that is closed here (Xero limits active options per
category; an archived option stays on the documents that used it)."""

from __future__ import annotations

import logging
import uuid

from django.contrib import admin, messages

from approvals.models import Project
from integrations.base import ERPError
from integrations.models import ERPConnection, ERPKind
from integrations.views_access import is_connection_administrator
from integrations.xero.connector import XeroConnector

logger = logging.getLogger(__name__)


@admin.action(
    description="Archive the Xero tracking option of closed projects",
    permissions=["archive_tracking_option"],
)
def archive_tracking_options(modeladmin, request, queryset):
    connection = ERPConnection.objects.filter(kind=ERPKind.XERO, is_active=True).first()
    if connection is None:
        modeladmin.message_user(request, "No Xero organisation is connected.", messages.ERROR)
        return
    for project in queryset.order_by("number"):
        if project.is_active:
            modeladmin.message_user(
                request,
                f"Project '{project}' is still open, so its tracking option stays active. "
                "Close the project first.",
                messages.WARNING,
            )
            continue
        if not project.erp_id or project.erp_connection_id != connection.pk:
            modeladmin.message_user(
                request, f"Project '{project}' has no Xero tracking option.", messages.WARNING
            )
            continue
        try:
            XeroConnector(connection).archive_tracking_option(
                project, idempotency_key=f"archive-option-{uuid.uuid4().hex}"
            )
        except ERPError as error:
            modeladmin.message_user(
                request,
                f"The tracking option of project '{project}' was not archived: {error.message}",
                messages.ERROR,
            )
            continue
        logger.info("Tracking option of project %s archived by %s", project.pk, request.user)
        modeladmin.message_user(
            request,
            f"The tracking option of project '{project}' is archived in Xero.",
            messages.SUCCESS,
        )


def register() -> None:
    """Offer the action on the projects' admin list."""
    project_admin = admin.site._registry.get(Project)
    if project_admin is None or archive_tracking_options in project_admin.actions:
        return
    # Changing what Xero holds of the organisation's lists is for those who manage the
    # connection, not for every approver.
    project_admin.has_archive_tracking_option_permission = lambda request: (
        is_connection_administrator(request.user)
    )
    project_admin.actions = [*project_admin.actions, archive_tracking_options]
