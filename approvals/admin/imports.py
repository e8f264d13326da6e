"""Accountant pages for what comes back from the ERP: vendors ⇄ companies and jobs ⇄ projects.

Served under admin/approvals/imports/ ahead of the site's own URLs. Every button posts to the
import services, which check the approver's rights; each item's outcome is a message.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse

from approvals import permissions
from approvals.ids import parsed_id
from approvals.models import Company, ERPJob, ERPVendor, Project
from approvals.services import erp
from approvals.services.importing import imports_jobs, imports_vendors
from approvals.services.workflow.errors import WorkflowError
from approvals.services.workflow.matching import Suggestion, masked_tax_id
from approvals.states import SyncStatus
from money import format_money, plain_money

LIST_LIMIT = 200
VENDORS_URL_NAME = "approvals_imports_vendors"
JOBS_URL_NAME = "approvals_imports_jobs"


def register_imports(site) -> None:
    """Serve the import pages, and list them with what waits on them beside the record types in
    the admin index, the app page and the sidebar."""
    site_urls = site.get_urls
    site_app_list = site.get_app_list

    def get_urls():
        return [
            path(
                "approvals/imports/vendors/",
                site.admin_view(lambda request: vendors_view(request, site)),
                name=VENDORS_URL_NAME,
            ),
            path(
                "approvals/imports/jobs/",
                site.admin_view(lambda request: jobs_view(request, site)),
                name=JOBS_URL_NAME,
            ),
            *site_urls(),
        ]

    def get_app_list(request, app_label=None):
        app_list = site_app_list(request, app_label)
        if app_label not in (None, APP_LABEL):
            return app_list
        entries = _app_list_entries(request)
        if not entries:
            return app_list
        app = next((app for app in app_list if app["app_label"] == APP_LABEL), None)
        if app is None:
            # Someone who may import but view no record type still finds the pages.
            app = _app_entry()
            app_list = sorted([*app_list, app], key=lambda app: app["name"].lower())
        app["models"] = sorted([*app["models"], *entries], key=lambda model: model["name"])
        return app_list

    site.get_urls = get_urls
    site.get_app_list = get_app_list


APP_LABEL = "approvals"
# Where an accountant lands: there the suggested matches are counted too. Counting them runs the
# matcher over every unmatched vendor, too slow for the sidebar of every admin page.
PAGES_COUNTING_SUGGESTIONS = {"index", "app_list"}
_WAITING_MEMO = "_erp_imports_waiting"


@dataclass(frozen=True)
class ImportWaiting:
    """What waits on one import page, as the admin index, sidebar and dashboard show it."""

    title: str
    url: str
    object_name: str
    counts: list[str]

    @property
    def label(self) -> str:
        return f"{self.title} ({', '.join(self.counts)})" if self.counts else self.title


def imports_waiting(request, *, with_suggestions: bool) -> list[ImportWaiting]:
    """The import pages `request.user` may open, with the jobs not linked, the vendors not
    matched and (`with_suggestions`) the suggested matches among them; counted once per request
    (a page that counted suggestions shows them in its sidebar too)."""
    counted = getattr(request, _WAITING_MEMO, None)
    if counted is None or (with_suggestions and not counted[0]):
        counted = (with_suggestions, _imports_waiting(request.user, with_suggestions))
        setattr(request, _WAITING_MEMO, counted)
    return counted[1]


def _imports_waiting(user, with_suggestions: bool) -> list[ImportWaiting]:
    connection = erp.active_connection_or_none()
    nouns = erp.import_nouns(connection)
    pages = []
    if permissions.can_decide_type(user, Project):
        counts = []
        if connection:
            jobs = imports_jobs.jobs_ready_to_import(connection=connection).count()
            counts.append(f"{jobs} not linked")
        pages.append(
            ImportWaiting(
                title=f"{nouns.jobs.capitalize()} ⇄ projects",
                url=reverse(f"admin:{JOBS_URL_NAME}"),
                object_name="ImportedJobs",
                counts=counts,
            )
        )
    if permissions.can_decide_type(user, Company):
        counts = []
        if connection:
            vendors = imports_vendors.vendors_only_in_erp(connection=connection).count()
            counts.append(f"{vendors} not matched")
            if with_suggestions and vendors:
                suggested = len(imports_vendors.vendor_suggestions(connection=connection))
                counts.append(f"{suggested} suggested match{pluralize(suggested, 'es')}")
        pages.append(
            ImportWaiting(
                title=f"{nouns.vendors.capitalize()} ⇄ companies",
                url=reverse(f"admin:{VENDORS_URL_NAME}"),
                object_name="ImportedVendors",
                counts=counts,
            )
        )
    return pages


def _app_entry() -> dict:
    return {
        "name": apps.get_app_config(APP_LABEL).verbose_name,
        "app_label": APP_LABEL,
        "app_url": reverse("admin:app_list", kwargs={"app_label": APP_LABEL}),
        "has_module_perms": True,
        "models": [],
    }


def _app_list_entries(request) -> list[dict]:
    match = request.resolver_match
    counting = match is not None and match.url_name in PAGES_COUNTING_SUGGESTIONS
    return [
        {
            "name": page.label,
            "object_name": page.object_name,
            "perms": {"view": True},
            "admin_url": page.url,
            "add_url": None,
            "view_only": True,
        }
        for page in imports_waiting(request, with_suggestions=counting)
    ]


def _connection_or_message(request):
    connection, problem = erp.active_connection_with_problem()
    if connection is None:
        messages.error(request, problem)
    return connection


def _erp_words(connection) -> dict:
    """The connected ERP's name and its own nouns for what the page lists."""
    return {"erp_name": erp.erp_name(connection), "nouns": erp.import_nouns(connection)}


class NotListed(Exception):
    """A posted id names nothing on the page: typed by hand, or from a page that changed."""


def _listed(request, model, field: str, **filters):
    """The record the form's `field` names; NotListed when it is not a plain number."""
    chosen = parsed_id(request.POST.get(field, ""))
    if chosen is None:
        raise NotListed(
            f"The {model._meta.verbose_name} chosen is not one of those listed; nothing was "
            "changed. Reload the page and choose again."
        )
    return get_object_or_404(model, pk=chosen, **filters)


def _posted(request, act, connection) -> None:
    try:
        act(request, connection)
    except NotListed as error:
        messages.error(request, str(error))


def _report(request, action) -> None:
    try:
        outcome = action()
    except WorkflowError as error:
        messages.error(request, error.message)
        return
    if outcome:
        messages.success(request, outcome)


@dataclass(frozen=True)
class PartyFacts:
    """What an accountant compares to decide a match; tax ids only by their last four digits."""

    email: str
    tax_id: str
    address: str
    open_balance: str = ""


@dataclass(frozen=True)
class SuggestionRow:
    suggestion: Suggestion
    vendor: PartyFacts
    company: PartyFacts


@dataclass(frozen=True)
class VendorRow:
    vendor: ERPVendor
    facts: PartyFacts
    suggestions: list[Suggestion]


def _address(party) -> str:
    region_and_code = " ".join(part for part in (party.region, party.postal_code) if part)
    parts = (party.address_line1, party.city, region_and_code, party.country)
    return ", ".join(part for part in parts if part)


def _balance(vendor: ERPVendor) -> str:
    if vendor.open_balance is None:
        return ""
    if not vendor.currency:
        return plain_money(vendor.open_balance)
    return format_money(vendor.open_balance, vendor.currency)


def vendor_facts(vendor: ERPVendor) -> PartyFacts:
    return PartyFacts(
        email=vendor.email,
        tax_id=masked_tax_id(vendor.tax_id),
        address=_address(vendor),
        open_balance=_balance(vendor),
    )


def company_facts(company: Company) -> PartyFacts:
    return PartyFacts(
        email=company.email, tax_id=masked_tax_id(company.tax_id), address=_address(company)
    )


def vendors_view(request, site):
    if not permissions.can_decide_type(request.user, Company):
        raise PermissionDenied
    connection = _connection_or_message(request)
    if connection is not None and request.method == "POST":
        _posted(request, _vendor_action, connection)
        return redirect(request.path)
    suggestions = imports_vendors.vendor_suggestions(connection=connection) if connection else []
    # The sure ones first: they are what "Link all" links.
    suggestions.sort(key=lambda suggestion: not suggestion.for_link_all)
    suggested = defaultdict(list)
    for suggestion in suggestions:
        suggested[suggestion.vendor.pk].append(suggestion)
    confirm_link_all = request.GET.get("confirm") == "link_all"
    nouns = erp.import_nouns(connection)
    vendors = (
        imports_vendors.vendors_only_in_erp(connection=connection)[:LIST_LIMIT]
        if connection
        else []
    )
    context = {
        **site.each_context(request),
        **_erp_words(connection),
        "title": f"{nouns.vendors.capitalize()} ⇄ companies",
        "suggestions": [
            SuggestionRow(s, vendor_facts(s.vendor), company_facts(s.company))
            for s in suggestions[:LIST_LIMIT]
        ],
        "suggestion_count": len(suggestions),
        "link_all_count": sum(suggestion.for_link_all for suggestion in suggestions),
        # "Link all" links exactly the pairs the accountant was shown and confirmed.
        "link_all_pairs": [_pair(s) for s in suggestions if s.for_link_all],
        "confirm_link_all": confirm_link_all,
        "vendors": [
            VendorRow(vendor, vendor_facts(vendor), suggested.get(vendor.pk, []))
            for vendor in vendors
        ],
        "companies": imports_vendors.companies_only_here()[:LIST_LIMIT],
    }
    return TemplateResponse(request, "admin/approvals/imports_vendors.html", context)


def _pair(suggestion) -> str:
    return f"{suggestion.vendor.pk}:{suggestion.company.pk}"


def _vendor_action(request, connection) -> None:
    action = request.POST.get("action", "")
    user = request.user
    if action == "link_all":
        if request.POST.get("confirmed") != "yes":
            messages.warning(request, "Confirm to link every suggested pair.")
            return
        confirmed = set(request.POST.getlist("pair"))
        still_sure = [
            suggestion
            for suggestion in imports_vendors.vendor_suggestions(connection=connection)
            if suggestion.for_link_all and _pair(suggestion) in confirmed
        ]
        left = len(confirmed) - len(still_sure)
        if left:
            messages.warning(
                request,
                f"{left} of the pairs you confirmed changed since the page was shown and were "
                "left alone; check them on the list.",
            )
        outcomes = imports_vendors.vendors_link_all(suggestions=still_sure, actor=user)
        for outcome in outcomes:
            (messages.success if outcome.ok else messages.error)(request, outcome.message)
        if not outcomes:
            messages.info(request, "There were no suggested matches to link.")
        return
    vendor = _listed(request, ERPVendor, "vendor", erp_connection=connection)
    if action == "link":
        company = _listed(request, Company, "company")
        _report(
            request,
            lambda: (
                imports_vendors.vendor_link(vendor=vendor, company=company, actor=user)
                and f"Vendor '{vendor}' linked to company '{company.name}'."
            ),
        )
    elif action == "archive":
        _report(
            request,
            lambda: (
                imports_vendors.vendor_archive(vendor=vendor, actor=user)
                or f"Vendor '{vendor}' archived; it is no longer listed."
            ),
        )
    elif action == "add":
        summary = imports_vendors.vendors_add_to_directory(
            connection=connection, vendors=[vendor], actor=user
        )
        if summary.created:
            messages.success(request, f"Vendor '{vendor}' added to the company directory.")
        for reason, examples in summary.examples.items():
            messages.warning(request, f"Not added, {reason}: {', '.join(examples)}.")


@dataclass(frozen=True)
class JobRow:
    job: ERPJob
    name: str
    project_number: str
    matching_project: Project | None


def jobs_view(request, site):
    if not permissions.can_decide_type(request.user, Project):
        raise PermissionDenied
    connection = _connection_or_message(request)
    if connection is not None and request.method == "POST":
        _posted(request, _job_action, connection)
        return redirect(request.path)
    nouns = erp.import_nouns(connection)
    jobs = (
        list(imports_jobs.jobs_ready_to_import(connection=connection)[:LIST_LIMIT])
        if connection
        else []
    )
    unsynced_projects = list(
        Project.objects.filter(
            erp_id="", sync_status__in=(SyncStatus.NOT_SENT, SyncStatus.REJECTED)
        ).order_by("number")[:LIST_LIMIT]
    )
    matches = imports_jobs.projects_matching_jobs(jobs, unsynced_projects)
    context = {
        **site.each_context(request),
        **_erp_words(connection),
        "title": f"{nouns.jobs.capitalize()} ⇄ projects",
        "jobs": [
            JobRow(
                job=job,
                name=imports_jobs.one_line(job.display_name),
                project_number=imports_jobs.project_number_for(job),
                matching_project=matches.get(job.pk),
            )
            for job in jobs
        ],
        "unsynced_projects": unsynced_projects,
        "project_managers": [
            (user.pk, imports_jobs.person_name(user))
            for user in imports_jobs.project_manager_choices()
        ],
        "cost_sync_candidates": Project.objects.filter(
            sync_status=SyncStatus.SYNCED, job_cost_sync_enabled=False, is_active=True
        ).order_by("number")[:LIST_LIMIT],
    }
    return TemplateResponse(request, "admin/approvals/imports_jobs.html", context)


def _chosen_managers(request) -> list:
    chosen = [parsed_id(value) for value in request.POST.getlist("managers")]
    if None in chosen:
        raise NotListed(
            "A project manager chosen is not one of those listed; nothing was changed. Reload "
            "the page and choose again."
        )
    managers = list(imports_jobs.project_manager_choices().filter(pk__in=chosen))
    if len(managers) != len(set(chosen)):
        raise NotListed(
            "A person chosen is no longer an active project manager; nothing was changed. "
            "Reload the page and choose again."
        )
    return managers


def _job_action(request, connection) -> None:
    action = request.POST.get("action", "")
    user = request.user
    if action == "enable_job_costs":
        project = _listed(request, Project, "project")
        _report(
            request,
            lambda: (
                imports_jobs.project_enable_job_costs(project=project, actor=user)
                and f"Job-cost syncing enabled for project '{project}'."
            ),
        )
        return
    job = _listed(request, ERPJob, "job", erp_connection=connection)
    if action == "add":
        managers = _chosen_managers(request)
        _report(request, lambda: _added(job, user, managers))
    elif action == "link":
        if not request.POST.get("project"):
            messages.error(request, f"Choose the project to link job '{job}' to; nothing changed.")
            return
        project = _listed(request, Project, "project")
        _report(
            request,
            lambda: (
                imports_jobs.job_link(
                    job=job,
                    project=project,
                    actor=user,
                    confirmed=request.POST.get("confirmed") == "yes",
                )
                and f"Project '{project}' linked to job '{job}'."
            ),
        )
    elif action == "archive":
        _report(
            request,
            lambda: (
                imports_jobs.job_archive(job=job, actor=user)
                or f"Job '{job}' archived; it is no longer listed."
            ),
        )


def _added(job: ERPJob, user, managers: list) -> str:
    project = imports_jobs.job_add_to_projects(job=job, actor=user, managers=managers)
    if not managers:
        return (
            f"Project '{project}' added. No project manager sees it yet: add them on the "
            "project's page."
        )
    names = ", ".join(imports_jobs.person_name(manager) for manager in managers)
    return f"Project '{project}' added; {names} can see it now."
