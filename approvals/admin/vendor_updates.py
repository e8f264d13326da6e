"""The approvers' queue of vendor updates: each shows old → new per field, and is accepted
(the worker updates the ERP vendor), rejected with a reason, or retried after a failure.

One update per decision page: each asks the approver to check its own fields. The pages ask
nothing of the ERP; the page posts the version it showed, so an update settled meanwhile is
refused with a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from approvals.admin.forms import RejectForm
from approvals.admin.paginator import CappedCountPaginator
from approvals.ids import parsed_id
from approvals.models import Company, VendorUpdate, VendorUpdateStatus
from approvals.permissions import can_decide_type
from approvals.services.workflow.errors import NotPermitted, WorkflowError
from approvals.services.workflow.vendor_updates import (
    accept_problems,
    change_rows,
    check_separation_of_duties,
    is_sensitive,
    vendor_update_accept,
    vendor_update_reject,
    vendor_update_retry,
    vendor_update_title,
)

S = VendorUpdateStatus
STATUS_COLOURS = {
    S.WAITING: "blue",
    S.UPDATING: "blue",
    S.APPLIED: "green",
    S.REJECTED: "yellow",
    S.WITHDRAWN: "grey",
    S.FAILED: "red",
}


@dataclass(frozen=True)
class Decision:
    slug: str
    title: str
    button: str
    explanation: str


ACCEPT = Decision(
    "accept",
    "Accept the vendor update",
    "Accept and update the vendor",
    "Accepting updates the company's vendor in the ERP in the background, then the company. "
    "Check each change with the company through a contact you already know, above all a new "
    "tax id or remit-to address.",
)
REJECT = Decision(
    "reject",
    "Reject the vendor update",
    "Reject",
    "The company and its ERP vendor keep their values; the person who proposed the change "
    "gets your reason by email.",
)
RETRY = Decision(
    "retry",
    "Retry the vendor update",
    "Retry the vendor update",
    "The update of the ERP vendor is tried again in the background; it changes only the fields "
    "listed, whatever else the ERP holds for the vendor.",
)
DECISIONS = {decision.slug: decision for decision in (ACCEPT, REJECT, RETRY)}
APPLIES_TO = {"accept": (S.WAITING,), "reject": (S.WAITING, S.FAILED), "retry": (S.FAILED,)}
PAST_TENSE = {"accept": "accepted", "reject": "rejected", "retry": "retried"}


def waiting_url() -> str:
    url = reverse("admin:approvals_vendorupdate_changelist")
    return f"{url}?{urlencode({'status__exact': S.WAITING})}"


def failed_url() -> str:
    url = reverse("admin:approvals_vendorupdate_changelist")
    return f"{url}?{urlencode({'status__exact': S.FAILED})}"


def status_badge(update: VendorUpdate) -> str:
    return format_html(
        '<span class="erp-badge erp-badge-{}">{}</span>',
        STATUS_COLOURS[S(update.status)],
        update.get_status_display(),
    )


class VendorUpdateAdmin(admin.ModelAdmin):
    list_display = ("company", "fields_changed", "status_badge", "proposed_by", "proposed_at")
    list_filter = ("status",)
    list_select_related = ("company", "proposed_by")
    search_fields = ("company__name",)
    ordering = ("proposed_at", "pk")
    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    change_form_template = "admin/approvals/vendor_update_change_form.html"
    decision_template = "admin/approvals/vendor_update_decision.html"

    # --- rights: approvers of companies see and decide; nobody adds, edits or deletes ------------

    def has_view_permission(self, request, obj=None):
        return can_decide_type(request.user, Company)

    def has_module_permission(self, request):
        return can_decide_type(request.user, Company)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # --- the list ---------------------------------------------------------------------------

    @admin.display(description="Changes")
    def fields_changed(self, obj):
        labels = [
            format_html("<strong>{}</strong>", change["label"])
            if is_sensitive(change)
            else change["label"]
            for change in obj.changes
        ]
        return format_html(", ".join(["{}"] * len(labels)), *labels)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        return status_badge(obj)

    # --- the change page: what changes, and the decisions open to it -------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        update = self._update_or_404(request, object_id)
        context = {
            **self.admin_site.each_context(request),
            "title": _capitalised(vendor_update_title(update)),
            "subtitle": None,
            "opts": self.opts,
            "vendor_update": update,
            "rows": change_rows(update),
            "status": status_badge(update),
            "decisions": [
                (decision, self._decision_url(decision, update))
                for decision in DECISIONS.values()
                if update.status in APPLIES_TO[decision.slug]
            ],
            "company_url": reverse("admin:approvals_company_change", args=[update.company_id]),
            "changelist_url": waiting_url(),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.change_form_template, context)

    # --- the decision pages -----------------------------------------------------------------

    def get_urls(self):
        decision_urls = [
            path(
                f"<int:pk>/{decision.slug}/",
                self.admin_site.admin_view(self.decision_view),
                {"slug": decision.slug},
                name=f"approvals_vendorupdate_{decision.slug}",
            )
            for decision in DECISIONS.values()
        ]
        return decision_urls + super().get_urls()

    def decision_view(self, request, pk: int, slug: str):
        if not can_decide_type(request.user, Company):
            raise PermissionDenied
        decision = DECISIONS[slug]
        update = self._update_or_404(request, pk)
        form = RejectForm(request.POST or None) if decision is REJECT else None
        if request.method == "POST":
            version = _posted_version(request.POST.get("version", ""))
            if version is None:
                error = (
                    "This page did not say which version of the update you reviewed, so nothing "
                    "was done. Open it again from the list and decide there."
                )
                return self._decision_page(request, decision, update, form, error)
            if form is not None and not form.is_valid():
                return self._decision_page(request, decision, update, form, "", version)
            try:
                done = self._perform(decision, update, request, form, version)
            except WorkflowError as error:
                update.refresh_from_db()
                return self._decision_page(request, decision, update, form, error.message)
            messages.success(request, done)
            return HttpResponseRedirect(waiting_url())
        return self._decision_page(request, decision, update, form, "")

    def _perform(self, decision, update, request, form, version: int) -> str:
        title = vendor_update_title(update)
        if decision is ACCEPT:
            vendor_update_accept(update=update, actor=request.user, version=version)
            return f"You accepted {title}; the ERP vendor is being updated in the background."
        if decision is RETRY:
            vendor_update_retry(update=update, actor=request.user, version=version)
            return f"{_capitalised(title)} is being tried again in the background."
        vendor_update_reject(
            update=update, actor=request.user, reason=form.cleaned_data["reason"], version=version
        )
        return f"You rejected {title}; its proposer was told why."

    def _decision_page(self, request, decision, update, form, error: str, version=None):
        blockers = []
        if update.status not in APPLIES_TO[decision.slug]:
            blockers.append(
                f"It is {update.get_status_display().lower()}, so it cannot be "
                f"{PAST_TENSE[decision.slug]} now."
            )
        elif decision is ACCEPT:
            blockers.extend(accept_problems(update))
            try:
                check_separation_of_duties(actor=request.user, update=update)
            except NotPermitted as refusal:
                blockers.append(refusal.message)
        context = {
            **self.admin_site.each_context(request),
            "title": decision.title,
            "subtitle": None,
            "opts": self.opts,
            "decision": decision,
            "vendor_update": update,
            "rows": change_rows(update),
            "status": status_badge(update),
            "form": form,
            "error": error,
            "blockers": blockers,
            "version": version if version is not None else update.version,
            "form_url": self._decision_url(decision, update),
            "change_url": reverse("admin:approvals_vendorupdate_change", args=[update.pk]),
            "changelist_url": waiting_url(),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.decision_template, context)

    def _update_or_404(self, request, object_id) -> VendorUpdate:
        pk = parsed_id(object_id)
        if pk is None:
            raise Http404("No such vendor update.")
        update = (
            VendorUpdate.objects.select_related("company", "proposed_by", "decided_by")
            .filter(pk=pk)
            .first()
        )
        if update is None or not self.has_view_permission(request, update):
            raise Http404("No such vendor update.")
        return update

    def _decision_url(self, decision: Decision, update: VendorUpdate) -> str:
        return reverse(f"admin:approvals_vendorupdate_{decision.slug}", args=[update.pk])


def _posted_version(raw: str) -> int | None:
    return parsed_id(raw)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
