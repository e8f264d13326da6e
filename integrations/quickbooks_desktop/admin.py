"""Connecting a QuickBooks Desktop company: an administrator creates the Web Connector's log-in
here, downloads the .qwc file and follows the steps to add it to the Web Connector. The password
is generated, shown once and stored hashed; a new one can be made at any time."""

from __future__ import annotations

import secrets

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from integrations.models import ERPConnection, ERPKind
from integrations.quickbooks_desktop import outbox, qwc, service
from integrations.quickbooks_desktop.models import (
    DesktopConnection,
    Exchange,
    QueuedRequest,
    QuickBooksAccount,
    WebConnectorSession,
)
from integrations.quickbooks_desktop.views import endpoint_url

ADMINISTRATOR_PERMISSION = "integrations.change_erpconnection"
TEMPLATE = "integrations/quickbooks_desktop/password_once.html"
# The change page's own submit buttons, beside Save (as the admin's "_saveasnew").
NEW_PASSWORD = "_new_password"
READ_LISTS = "_read_lists"
DISCONNECT = "_disconnect"
RECONNECT = "_reconnect"


def new_password() -> str:
    return secrets.token_urlsafe(18)


def is_administrator(request) -> bool:
    return request.user.is_active and request.user.has_perm(ADMINISTRATOR_PERMISSION)


def web_connector_steps(desktop: DesktopConnection) -> list[str]:
    return [
        "On the computer where QuickBooks Desktop runs, download the Web Connector file (.qwc).",
        "Open QuickBooks Desktop with the company file, signed in as its administrator.",
        "In QuickBooks choose File > App Management > Update Web Services (the QuickBooks Web "
        "Connector opens), then Add an Application, and open the .qwc file.",
        "QuickBooks asks whether to let the application in: choose “Yes, whenever this "
        "QuickBooks company file is open” and confirm.",
        "In the Web Connector, type the password into the Password column of "
        f"“{qwc.app_name(desktop)}” and save it when asked.",
        f"Tick Auto-Run to run every {desktop.run_every_minutes} minute(s), or press "
        "Update Selected to run now.",
    ]


class DesktopConnectionForm(forms.ModelForm):
    company_name = forms.CharField(
        max_length=255,
        help_text="The QuickBooks company, as people here name it (shown on every page).",
    )

    class Meta:
        model = DesktopConnection
        fields = ["username", "run_every_minutes", "retainage_account", "customer_type"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["company_name"].initial = self.instance.connection.company_name
            self.fields["username"].disabled = True

    def clean_company_name(self):
        """One line: it names the application in the Web Connector's list."""
        name = " ".join(self.cleaned_data["company_name"].split())
        if not name:
            raise forms.ValidationError("Name the QuickBooks company.")
        return name

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if not username or any(ch.isspace() for ch in username):
            raise forms.ValidationError("A user name is one word, without spaces.")
        return username

    def clean_retainage_account(self):
        name = " ".join(self.cleaned_data["retainage_account"].split())
        if not self.instance.pk:
            return name
        accounts = {
            account.full_name.casefold(): account.full_name
            for account in self.instance.accounts.filter(is_active=True)
        }
        if accounts and name.casefold() not in accounts:
            raise forms.ValidationError(
                f"QuickBooks has no active account named “{name}” (as of the last read of the "
                "chart of accounts). Type its full name as QuickBooks shows it, "
                "e.g. “Retainage Payable”."
            )
        return accounts.get(name.casefold(), name)

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk:
            already = ERPConnection.objects.filter(
                kind=ERPKind.QUICKBOOKS_DESKTOP, is_active=True
            ).first()
            if already is not None:
                raise forms.ValidationError(
                    f"{already} is already connected. Disconnect it before connecting another "
                    "QuickBooks Desktop company."
                )
        return cleaned


class AccountInline(admin.TabularInline):
    model = QuickBooksAccount
    fields = ["full_name", "account_type", "account_number", "is_active", "seen_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "chart of accounts, as QuickBooks last answered"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DesktopConnection)
class DesktopConnectionAdmin(admin.ModelAdmin):
    form = DesktopConnectionForm
    list_display = ["__str__", "username", "run_every_minutes", "last_contact_at"]
    list_select_related = ["connection"]
    inlines = [AccountInline]
    change_form_template = "integrations/quickbooks_desktop/change_form.html"
    readonly_fields = [
        "version_check",
        "company_file",
        "supported_versions",
        "last_contact_at",
        "waiting",
        "owner_id",
        "file_id",
    ]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_fieldsets(self, request, obj=None):
        settings = (
            None,
            {
                "fields": [
                    "company_name",
                    "username",
                    "run_every_minutes",
                    "retainage_account",
                    "customer_type",
                ]
            },
        )
        if obj is None:
            return [settings]
        return [
            settings,
            (
                "What QuickBooks said",
                {
                    "fields": [
                        "version_check",
                        "company_file",
                        "supported_versions",
                        "last_contact_at",
                        "waiting",
                        "owner_id",
                        "file_id",
                    ]
                },
            ),
        ]

    # --- who may ---------------------------------------------------------------------------

    def has_module_permission(self, request):
        return is_administrator(request)

    def has_view_permission(self, request, obj=None):
        return is_administrator(request)

    def has_add_permission(self, request):
        return is_administrator(request)

    def has_change_permission(self, request, obj=None):
        return is_administrator(request)

    def has_delete_permission(self, request, obj=None):
        return False

    # --- what the page shows ---------------------------------------------------------------

    @admin.display(description="qbXML version")
    def version_check(self, obj):
        return obj.version_problem or "QuickBooks reads qbXML 12.0 or later, as this service needs."

    @admin.display(description="requests waiting for the Web Connector")
    def waiting(self, obj):
        return outbox.waiting_count(obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        desktop = self.get_object(request, object_id)
        if desktop is not None:
            extra_context = {**(extra_context or {}), **self._web_connector(request, desktop)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _web_connector(self, request, desktop: DesktopConnection) -> dict:
        """What the page says about adding the connection to the Web Connector."""
        url = endpoint_url(request)
        return {
            "endpoint_url": url,
            "https_problem": qwc.https_problem(url),
            "steps": web_connector_steps(desktop),
            "qwc_url": reverse("admin:quickbooks_desktop_desktopconnection_qwc", args=[desktop.pk]),
            "new_password_button": NEW_PASSWORD,
            "read_lists_button": READ_LISTS,
            "is_connected": desktop.connection.is_active,
            "disconnect_button": DISCONNECT,
            "reconnect_button": RECONNECT,
        }

    # --- saving ----------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        if change:
            connection = obj.connection
            connection.company_name = form.cleaned_data["company_name"]
            connection.save(update_fields=["company_name"])
            obj.save()
            return
        password = new_password()
        with transaction.atomic():
            obj.connection = ERPConnection.objects.create(
                kind=ERPKind.QUICKBOOKS_DESKTOP,
                company_id=obj.file_id,
                company_name=form.cleaned_data["company_name"],
                connected_by=request.user,
            )
            obj.password_hash = make_password(password)
            obj.save()
            outbox.list_reads_queue(obj)
        request.web_connector_password = password

    def response_add(self, request, obj, post_url_continue=None):
        return self._password_page(request, obj, request.web_connector_password, created=True)

    def response_change(self, request, obj):
        if NEW_PASSWORD in request.POST:
            password = new_password()
            obj.password_hash = make_password(password)
            obj.save(update_fields=["password_hash"])
            return self._password_page(request, obj, password, created=False)
        if DISCONNECT in request.POST:
            service.disconnect(obj)
            messages.success(
                request,
                "QuickBooks Desktop is disconnected: the Web Connector is refused until it is "
                "reconnected here.",
            )
            return HttpResponseRedirect(request.path)
        if RECONNECT in request.POST:
            if service.reconnect(obj):
                messages.success(request, "QuickBooks Desktop is connected again.")
            else:
                messages.error(
                    request,
                    "Another QuickBooks Desktop company is connected. Disconnect it first.",
                )
            return HttpResponseRedirect(request.path)
        if READ_LISTS in request.POST:
            queued = outbox.list_reads_queue(obj)
            messages.success(
                request,
                f"{queued} list read(s) queued: the Web Connector brings them at its next run."
                if queued
                else "Every list is already waiting to be read at the Web Connector's next run.",
            )
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def _password_page(self, request, obj, password: str, *, created: bool):
        context = {
            **self.admin_site.each_context(request),
            **self._web_connector(request, obj),
            "title": "Web Connector password",
            "opts": self.model._meta,
            "desktop": obj,
            "password": password,
            "created": created,
            "change_url": reverse(
                "admin:quickbooks_desktop_desktopconnection_change", args=[obj.pk]
            ),
        }
        response = TemplateResponse(request, TEMPLATE, context)
        response["Cache-Control"] = "no-store"
        return response

    # --- the extra pages ---------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/qwc/",
                wrap(self.qwc_view),
                name="quickbooks_desktop_desktopconnection_qwc",
            ),
            *super().get_urls(),
        ]

    def _allowed(self, request, pk) -> DesktopConnection:
        if not is_administrator(request):
            raise PermissionDenied
        return get_object_or_404(DesktopConnection.objects.select_related("connection"), pk=pk)

    def qwc_view(self, request, pk):
        desktop = self._allowed(request, pk)
        app_url = endpoint_url(request)
        problem = qwc.https_problem(app_url)
        change = reverse("admin:quickbooks_desktop_desktopconnection_change", args=[pk])
        if problem:
            messages.error(request, problem)
            return HttpResponseRedirect(change)
        document = qwc.qwc_document(
            desktop, app_url=app_url, support_url=request.build_absolute_uri(change)
        )
        response = HttpResponse(document, content_type="application/x-qwc")
        response["Content-Disposition"] = f'attachment; filename="{qwc.qwc_filename(desktop)}"'
        return response


class ExchangeInline(admin.TabularInline):
    model = Exchange
    fields = [
        "request",
        "sent_at",
        "answered_at",
        "status_code",
        "status_message",
        "hresult",
        "message",
        "request_xml",
        "response_xml",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebConnectorSession)
class WebConnectorSessionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "desktop", "state", "started_at", "ended_at", "last_error"]
    list_filter = ["state"]
    list_select_related = ["desktop__connection"]
    inlines = [ExchangeInline]
    fields = [
        "desktop",
        "state",
        "started_at",
        "last_call_at",
        "ended_at",
        "qbxml_version",
        "last_error",
    ]
    readonly_fields = fields
    show_full_result_count = False

    def has_module_permission(self, request):
        return is_administrator(request)

    def has_view_permission(self, request, obj=None):
        return is_administrator(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(QueuedRequest)
class QueuedRequestAdmin(WebConnectorSessionAdmin):
    list_display = [
        "__str__",
        "desktop",
        "state",
        "queued_at",
        "finished_at",
        "pages_read",
        "problem",
    ]
    list_select_related = ["desktop__connection"]
    inlines = []
    fields = [
        "desktop",
        "purpose",
        "operation",
        "state",
        "queued_at",
        "finished_at",
        "pages_read",
        "problem",
        "body",
    ]
    readonly_fields = fields
