"""Accept, reject, retry, unlink and cancel a hand-off: admin actions that lead to a decision page.

The actions (on the changelist and on each change page) only show the page; the page's form
posts to this admin's own decision URL, which calls the approval services and reports, per
record, what happened and why. GET on that URL (?ids=1,2) shows the same page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from approvals.admin import outcomes
from approvals.admin.badges import sync_badge
from approvals.admin.forms import AcceptForm, ConfirmForm, RejectForm
from approvals.admin.review import Review, reviews
from approvals.ids import parsed_id, parsed_ids
from approvals.models import ApprovalPolicy
from approvals.permissions import can_decide_type
from approvals.services import Outcome, erp
from approvals.services.erp import active_connection_with_problem
from approvals.services.importing import freshness
from approvals.services.workflow.accept_questions import accept_questions
from approvals.services.workflow.descriptions import records_for_description
from approvals.services.workflow.lookalikes import lookalikes
from approvals.services.workflow.posting import DATED_MODELS, default_posting_date
from approvals.services.workflow.records import plural_noun, record_title
from approvals.states import SyncStatus

BOTH_LOCATIONS = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]
FINGERPRINT = re.compile("[0-9a-f]{64}")


@dataclass(frozen=True)
class Decision:
    slug: str
    title: str
    button: str
    applies_to: tuple[SyncStatus, ...]
    explanation: str
    """Formatted with {records} (the plural noun) and {erp} (the connected ERP's name)."""
    needs_review_version: bool = False
    """The page must say which version of each record it showed, or the record is refused."""


ACCEPT = Decision(
    "accept",
    "Accept and export",
    "Accept and export",
    (SyncStatus.READY_TO_EXPORT,),
    "Accepted {records} are exported to {erp} in the background; each moves to Synced, or to "
    "Failed to Export with the reason.",
    needs_review_version=True,
)
REJECT = Decision(
    "reject",
    "Reject",
    "Reject",
    # A failed record too, once the look-up says the ERP holds nothing of its last attempt.
    (SyncStatus.READY_TO_EXPORT, SyncStatus.EXPORT_FAILED),
    "Rejected {records} go back to the sender, who gets your reason by email, fixes them and "
    "sends them again.",
    needs_review_version=True,
)
RETRY = Decision(
    "retry",
    "Retry the export",
    "Retry the export",
    (SyncStatus.EXPORT_FAILED,),
    "The export is tried again. A retry never creates a second copy in {erp}: if the first "
    "try did create the document, it is linked instead.",
)
UNLINK = Decision(
    "unlink",
    "Unlink",
    "Unlink",
    (SyncStatus.SYNCED,),
    "Unlinking is only possible once the document was deleted or voided in {erp}. The record "
    "then goes back to Not sent, so it can be corrected and sent again.",
)
CANCEL = Decision(
    "cancel",
    "Cancel before the ERP collects it",
    "Cancel the hand-off",
    (SyncStatus.AWAITING_ERP,),
    "Cancelled {records} are withdrawn before {erp} collects them, so nothing is sent; each "
    "moves to Failed to Export, to be retried, retrieved or rejected. What {erp} has already "
    "collected cannot be cancelled: its answer settles it.",
)
DECISIONS = {decision.slug: decision for decision in (ACCEPT, REJECT, RETRY, UNLINK, CANCEL)}
# Offered only while the connected ERP has an agent that collects handed-off exports.
CANCEL_ACTION = "cancel_selected"


@dataclass
class RecordRow:
    record: object
    title: str
    badge: str
    notes: list[str]
    review: Review
    confirm_field: object = None
    questions: list = field(default_factory=list)


class DecisionsMixin:
    """Adds the four decisions to a ModelAdmin of an exportable record type."""

    actions = [
        "accept_selected",
        "reject_selected",
        "retry_selected",
        "unlink_selected",
        CANCEL_ACTION,
    ]
    decision_template = "admin/approvals/decision.html"
    # A page the accountant reads record by record, each with its document: "select all" of a
    # queue up to this many (a few seconds to show 500 invoices of five lines).
    decision_limit = 500

    # --- permissions ---------------------------------------------------------------------

    def has_approve_permission(self, request, obj=None) -> bool:
        return can_decide_type(request.user, self.model)

    # --- actions -------------------------------------------------------------------------

    @admin.action(permissions=["approve"], description="Accept and export", location=BOTH_LOCATIONS)
    def accept_selected(self, request, queryset):
        return self._decision_from_action(request, queryset, ACCEPT)

    @admin.action(permissions=["approve"], description="Reject", location=BOTH_LOCATIONS)
    def reject_selected(self, request, queryset):
        return self._decision_from_action(request, queryset, REJECT)

    @admin.action(permissions=["approve"], description="Retry the export", location=BOTH_LOCATIONS)
    def retry_selected(self, request, queryset):
        return self._decision_from_action(request, queryset, RETRY)

    @admin.action(permissions=["approve"], description="Unlink", location=BOTH_LOCATIONS)
    def unlink_selected(self, request, queryset):
        return self._decision_from_action(request, queryset, UNLINK)

    @admin.action(
        permissions=["approve"],
        description="Cancel before the ERP collects it",
        location=BOTH_LOCATIONS,
    )
    def cancel_selected(self, request, queryset):
        return self._decision_from_action(request, queryset, CANCEL)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        if CANCEL_ACTION in actions and erp.agent_of(erp.active_connection_or_none()) is None:
            actions.pop(CANCEL_ACTION)
        return actions

    def _decision_from_action(self, request, queryset, decision: Decision):
        records = list(queryset[: self.decision_limit + 1])
        if len(records) > self.decision_limit:
            self.message_user(
                request,
                f"Please select at most {self.decision_limit} {plural_noun(self.model)} at a "
                "time: filter the queue by project or vendor to narrow it down.",
                messages.ERROR,
            )
            return None
        return self._show_decision(request, decision, self._loaded(records))

    # --- the decision URLs ---------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        decision_urls = [
            path(
                f"{decision.slug}/",
                self.admin_site.admin_view(self.decision_view),
                {"decision_slug": decision.slug},
                name="{}_{}_{}".format(*info, decision.slug),
            )
            for decision in DECISIONS.values()
        ]
        return decision_urls + super().get_urls()

    def decision_view(self, request, decision_slug: str):
        decision = DECISIONS[decision_slug]
        if not self.has_approve_permission(request):
            raise PermissionDenied
        params = request.POST if request.method == "POST" else request.GET
        records = self._loaded(
            self.get_queryset(request).filter(pk__in=parsed_ids(params.get("ids", "")))[
                : self.decision_limit
            ]
        )
        if not records:
            self.message_user(
                request, f"None of the selected {plural_noun(self.model)} exist.", messages.WARNING
            )
            return HttpResponseRedirect(self._changelist_url())
        if request.method != "POST":
            return self._show_decision(request, decision, records)

        # The versions of the records the page showed, and the fingerprints of their documents:
        # a record changed since, or whose document reads otherwise now, is refused.
        versions = _parse_versions(request.POST.get("versions", ""))
        shown = _parse_shown(request.POST.get("shown", ""))
        form, unavailable = self.decision_form(request, decision, records, data=request.POST)
        if unavailable or not form.is_valid():
            return self._show_decision(
                request, decision, records, form=form, unavailable=unavailable, versions=versions
            )
        reviewed = records
        if decision.needs_review_version:
            reviewed = [record for record in records if record.pk in versions]
        results = self.perform_decision(request, decision, reviewed, form, versions, shown)
        results += [_not_reviewed(record) for record in records if record not in reviewed]
        outcomes.report(self, request, results)
        return HttpResponseRedirect(self._return_url(request))

    def _loaded(self, records) -> list:
        """The records, in their order, loaded with everything their review reads."""
        pks = [record.pk for record in records]
        loaded = {record.pk: record for record in records_for_description(self.model, pks)}
        return [loaded[pk] for pk in pks if pk in loaded]

    # --- the page ------------------------------------------------------------------------

    def _show_decision(
        self, request, decision, records, *, form=None, unavailable: str = "", versions=None
    ):
        """The decision page of loaded records; without a form, one asking afresh."""
        found = reviews(self.model, records)
        if form is None:
            form, unavailable = self.decision_form(
                request, decision, records, data=None, found=found
            )
        rows = self.decision_rows(decision, records, form, found)
        reviewed_versions = versions or {}
        connection_name = self.erp_display_name()
        context = {
            **self.admin_site.each_context(request),
            "title": f"{decision.title}: {plural_noun(self.model)}",
            "subtitle": None,
            "opts": self.opts,
            "decision": decision,
            "explanation": decision.explanation.format(
                records=plural_noun(self.model), erp=connection_name
            ),
            "rows": rows,
            "erp_name": connection_name,
            "form": form,
            "general_fields": _general_fields(form, rows),
            "unavailable": unavailable,
            "ids": ",".join(str(record.pk) for record in records),
            "versions": ",".join(
                f"{record.pk}:{reviewed_versions.get(record.pk, record.review_version)}"
                for record in records
            ),
            "shown": ",".join(
                f"{pk}:{review.document_fingerprint}"
                for pk, review in found.items()
                if review.document_fingerprint
            ),
            "next": self._return_url(request),
            "form_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_{decision.slug}"
            ),
            "changelist_url": self._changelist_url(),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.decision_template, context)

    def decision_rows(self, decision, records, form, found: dict) -> list[RecordRow]:
        waiting = [record for record in records if record.sync_status in decision.applies_to]
        accept_notes = self.accept_notes_many(waiting) if decision is ACCEPT else {}
        rows = []
        for record in records:
            notes = []
            if record.sync_status not in decision.applies_to:
                expected = " or ".join(status.label for status in decision.applies_to)
                notes.append(
                    f"It is {record.sync_status_label}, not {expected}: it will be left as it is."
                )
            else:
                notes.extend(accept_notes.get(record.pk, []))
            rows.append(
                RecordRow(
                    record=record,
                    title=record_title(record),
                    badge=sync_badge(record),
                    notes=notes,
                    confirm_field=self.duplicate_confirm_field(form, record),
                    questions=_questions(form, record) if decision is ACCEPT else [],
                    review=found[record.pk],
                )
            )
        return rows

    # --- hooks the record types override -------------------------------------------------

    def decision_form(self, request, decision, records, *, data, found=None):
        """(form, unavailable): `unavailable` says in words why the decision cannot be made now.
        `found`: the reviews of the records the page shows (None when a posted form is read)."""
        if decision is REJECT:
            return RejectForm(data), ""
        if decision is ACCEPT:
            return self.accept_form(request, records, data=data, found=found)
        return ConfirmForm(data), ""

    def accept_form(self, request, records, *, data, found=None):
        """The connected ERP's questions about this record type (choices from imported data),
        link or create where a record looks like what the ERP has, and posting dates."""
        connection, not_connected = active_connection_with_problem()
        if connection is None:
            return None, not_connected
        questions = accept_questions(self.model)
        help_texts = {}
        for question in questions.choices:
            as_of = ""
            if question.imported_with:
                fresh = freshness.imported_as_of(connection, question.imported_with)
                as_of = f"{question.imported_noun} {fresh}."
            if question.required and not question.choices:
                return None, " ".join(filter(None, [question.none_to_choose, as_of]))
            help_texts[question.name] = " ".join(filter(None, [question.help, as_of]))
        form = AcceptForm(
            data,
            questions=questions,
            help_texts=help_texts,
            record_ids=[record.pk for record in records],
            lookalikes=_lookalikes_of(records),
            posting_defaults=posting_defaults(records)
            if issubclass(self.model, DATED_MODELS)
            else {},
        )
        return form, ""

    def accept_notes_many(self, records) -> dict[int, list[str]]:
        """By primary key, what stops each record (loaded with its lines) from being exported."""
        return outcomes.accept_problems_many(records)

    def duplicate_confirm_field(self, form, record):
        confirm_field = getattr(form, "confirm_field", None)
        return confirm_field(record.pk) if confirm_field else None

    def perform_decision(
        self, request, decision, records, form, versions: dict[int, int], shown: dict[int, str]
    ):
        return outcomes.perform(
            decision.slug,
            records=records,
            actor=request.user,
            form=form,
            versions=versions,
            shown=shown,
        )

    def erp_display_name(self) -> str:
        return outcomes.erp_display_name()

    # --- navigation ----------------------------------------------------------------------

    def _changelist_url(self) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")

    def _return_url(self, request) -> str:
        candidate = request.POST.get("next") or request.GET.get("next") or ""
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
        if request.method == "POST" and "ids" not in request.POST:
            # Straight from the changelist's or change page's action form: go back there.
            return request.get_full_path()
        return self._changelist_url()


def _general_fields(form, rows: list[RecordRow]) -> list:
    """The form's questions about the whole decision; per-record boxes sit in their row."""
    if form is None:
        return []
    in_rows = {row.confirm_field.name for row in rows if row.confirm_field is not None}
    in_rows |= {question.name for row in rows for question in row.questions}
    return [field for field in form.visible_fields() if field.name not in in_rows]


def _questions(form, record) -> list:
    """The per-record questions of the form (link or create), shown in the record's row."""
    questions_for = getattr(form, "questions_for", None)
    return questions_for(record.pk) if questions_for else []


def _lookalikes_of(records) -> dict[int, list]:
    """The vendors or jobs each record waiting for a decision looks like (imported data only)."""
    found = {}
    for record in records:
        if record.sync_status == SyncStatus.READY_TO_EXPORT:
            similar = lookalikes(record)
            if similar:
                found[record.pk] = similar
    return found


def posting_defaults(records) -> dict:
    """The date each record waiting for a decision would post on, as the page offers it."""
    policy = ApprovalPolicy.current()
    return {
        record.pk: default_posting_date(record, policy=policy)
        for record in records
        if record.sync_status == SyncStatus.READY_TO_EXPORT
    }


def _not_reviewed(record) -> Outcome:
    title = record_title(record)
    return Outcome(
        record=record,
        ok=False,
        message=f"{title[:1].upper()}{title[1:]}: this page did not say which version of it you "
        "reviewed, so nothing was done. Open the page again from the list and decide there.",
    )


def _parse_shown(raw: str) -> dict[int, str]:
    """'12:<hex>,14:<hex>' → {12: '<hex>', ...}; anything malformed is left out."""
    shown = {}
    for part in raw.split(","):
        pk, _, digest = part.partition(":")
        pk = parsed_id(pk)
        if pk is not None and FINGERPRINT.fullmatch(digest):
            shown[pk] = digest
    return shown


def _parse_versions(raw: str) -> dict[int, int]:
    """'12:3,14:1' → {12: 3, 14: 1}; anything malformed is left out (and so not compared)."""
    versions = {}
    for part in raw.split(","):
        pk, _, version = part.partition(":")
        pk, version = parsed_id(pk), parsed_id(version)
        if pk is not None and version is not None:
            versions[pk] = version
    return versions


def decision_url(model_admin, decision: Decision, records) -> str:
    opts = model_admin.opts
    base = reverse(f"admin:{opts.app_label}_{opts.model_name}_{decision.slug}")
    return f"{base}?{urlencode({'ids': ','.join(str(record.pk) for record in records)})}"
