"""What every exportable record type's admin shares: queues, badges, locking, history."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.timesince import timesince

from approvals.admin.badges import erp_reference, sync_badge
from approvals.admin.decisions import DecisionsMixin
from approvals.admin.history import history_rows
from approvals.admin.paginator import CappedCountPaginator
from approvals.admin.queues import QueueFilter, queue_tabs, queue_url, selected_queue
from approvals.admin.review import reviews
from approvals.locking import lines_locked, locked_fields
from approvals.services import erp, erp_links
from approvals.services.workflow.descriptions import records_for_description
from approvals.services.workflow.edits import exported_values, record_edited
from approvals.states import SyncStatus
from money import ZERO

# Written only by the approval services and the export worker.
SYNC_FIELDS = (
    "sync_badge",
    "erp_id",
    "erp_connection",
    "erp_version",
    "erp_synced_at",
    "sent_by",
    "sent_at",
    "decided_by",
    "decided_at",
    "rejection_reason",
    "export_attempt",
    "export_started_at",
    "export_try",
    "export_claimed_by",
    "export_claimed_until",
    "handed_off_to",
    "handed_off_at",
    "last_export_error",
    "nothing_in_erp_for_attempt",
    "erp_lookup_at",
    "erp_lookup_error",
    "erp_problem",
    "erp_drift",
    "erp_drift_amount",
    "erp_drift_note",
    "erp_drift_seen_at",
    "review_version",
    "created_by",
    "created_at",
    "updated_at",
)
EDITABLE_WHILE_NOT_SENT = frozenset({SyncStatus.NOT_SENT})
NOT_SENT_AGE = "—"


def sum_of_lines(line_model, parent_field: str, expression):
    """The sum over a record's lines as a per-row subquery: one query for a whole page."""
    total = (
        line_model.objects.filter(**{parent_field: OuterRef("pk")})
        .order_by()
        .values(parent_field)
        .annotate(total=Sum(expression))
        .values("total")
    )
    money = DecimalField(max_digits=16, decimal_places=2)
    return Coalesce(Subquery(total, output_field=money), Value(ZERO), output_field=money)


class QueueChangeList(ChangeList):
    """Marks the columns a queue is sorted by: its own ordering (the waiting queues oldest
    first, by age), where the stock list marks those of the model's default ordering."""

    def __init__(self, request, *args, **kwargs):
        self.queue_request = request
        super().__init__(request, *args, **kwargs)

    def _get_default_ordering(self):
        return self.model_admin.get_ordering(self.queue_request)


class ExportableAdmin(DecisionsMixin, admin.ModelAdmin):
    paginator = CappedCountPaginator

    class Media:
        js = ("approvals/admin_autocomplete_names.js",)

    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    list_filter = (QueueFilter,)
    # Shown as its badge among the read-only sync fields; never a form field. The transport key
    # belongs to the export worker.
    exclude = ("sync_status", "export_request_key")
    related_for_display: tuple[str, ...] = ()
    erp_fields: tuple[str, ...] = ()
    """Further fields of this type that only the ERP or the services fill in."""

    # --- the queues ----------------------------------------------------------------------

    def get_queryset(self, request):
        # The connection a handed-off record waits for names its badge.
        return (
            super().get_queryset(request).select_related("handed_off_to", *self.related_for_display)
        )

    def get_ordering(self, request):
        queue = selected_queue(request)
        if queue is None:
            return ("sync_status", "sent_at", "pk")
        if queue.waiting:
            return ("sent_at", "pk")
        return ("-sent_at", "-pk")

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        queue = selected_queue(request)
        if queue is not None and queue.waiting:
            # Nothing waiting for a decision has an ERP id yet: the room goes to the rest.
            shown = [name for name in shown if name != "erp_reference"]
        return shown

    def changelist_view(self, request, extra_context=None):
        tabs = queue_tabs(
            queryset=super().get_queryset(request),
            changelist_url=self._changelist_url(),
            active=selected_queue(request),
        )
        shown = [
            list_filter
            for list_filter in self.get_list_filter(request)
            if list_filter is not QueueFilter
        ]
        # Clearing the project and vendor filters keeps the queue.
        filtered = any(
            request.GET.get(getattr(list_filter, "parameter_name", list_filter))
            for list_filter in shown
        )
        context = {
            "queue_tabs": tabs,
            "erp_filters_shown": bool(shown),
            "erp_clear_filters_url": (
                queue_url(self._changelist_url(), selected_queue(request)) if filtered else ""
            ),
        }
        return super().changelist_view(request, {**(extra_context or {}), **context})

    def get_actions(self, request, action_location=admin.options.ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        # A sent or synced record must not vanish with its ERP link; deletion goes one by one.
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="ERP sync", ordering="sync_status")
    def sync_badge(self, obj):
        return sync_badge(obj)

    @admin.display(description="ERP id", ordering="erp_id")
    def erp_reference(self, obj):
        return erp_reference(obj)

    @admin.display(description="Age", ordering="sent_at")
    def age(self, obj):
        """How long since it was (last) sent to the approvers; sorted by when, oldest first."""
        if obj.sent_at is None:
            return NOT_SENT_AGE
        return timesince(obj.sent_at, timezone.now(), depth=1)

    # --- the change page -----------------------------------------------------------------

    def get_readonly_fields(self, request, obj=None):
        readonly = [*SYNC_FIELDS, *self.erp_fields, *super().get_readonly_fields(request, obj)]
        if obj is not None:
            readonly.extend(sorted(locked_fields(obj)))
        return list(dict.fromkeys(readonly))

    def get_fieldsets(self, request, obj=None):
        sync = [*SYNC_FIELDS, *self.erp_fields]
        main = [name for name in self.get_fields(request, obj) if name not in sync]
        return [(None, {"fields": main}), ("ERP sync", {"fields": sync})]

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.sync_status not in EDITABLE_WHILE_NOT_SENT or obj.erp_id):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            # Read from the row, not `obj`: the form has already put the new values on it.
            request._erp_values_before = exported_values(type(obj).objects.get(pk=obj.pk))
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_erp_values_before", None)
        if change and before is not None:
            record_edited(record=form.instance, actor=request.user, before=before)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            loaded = records_for_description(self.model, [obj.pk])
            context["erp_review"] = reviews(self.model, loaded).get(obj.pk)
            context["erp_name"] = self.erp_display_name()
            context["erp_history"] = history_rows(obj)
            context["erp_elsewhere"] = erp_links.elsewhere_note(
                obj, erp.active_connection_or_none()
            )
        return super().render_change_form(request, context, add, change, form_url, obj)


class LinesInline(admin.TabularInline):
    """Schedule-of-values style lines: frozen with their record once it is sent."""

    extra = 0

    def has_add_permission(self, request, obj):
        return not (obj is not None and lines_locked(obj)) and super().has_add_permission(
            request, obj
        )

    def has_change_permission(self, request, obj=None):
        return not (obj is not None and lines_locked(obj)) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and lines_locked(obj)) and super().has_delete_permission(
            request, obj
        )
