"""The admins of the five record types that travel to the ERP."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from approvals.admin import outcomes
from approvals.admin.decisions import posting_defaults
from approvals.admin.exportable import ExportableAdmin, LinesInline, sum_of_lines
from approvals.admin.forms import (
    InvoiceAcceptForm,
    confirm_field_name,
    past_balance_field_name,
)
from approvals.admin.queues import QueueFilter, project_filter, vendor_filter
from approvals.models import (
    ChangeOrderLine,
    CommitmentLine,
    InvoiceLine,
    ProjectMembership,
)
from approvals.services.workflow.actions import past_balance_sentences_many
from approvals.states import SyncStatus
from money import format_money


class ProjectMembershipInline(admin.StackedInline):
    # Stacked: the tabular inline's delete box has no label a screen reader could read.
    model = ProjectMembership
    extra = 0
    autocomplete_fields = ("user",)
    verbose_name = "member"


class ProjectAdmin(ExportableAdmin):
    list_display = ("number", "name", "customer_name", "sync_badge", "erp_reference", "age")
    list_display_links = ("number", "name")
    search_fields = ("number", "name", "customer_name")
    erp_fields = ("erp_parent_customer_id", "job_costs_synced_at")
    inlines = (ProjectMembershipInline,)


class CompanyAdmin(ExportableAdmin):
    list_display = ("name", "vendor_type", "city", "sync_badge", "erp_reference", "age")
    list_filter = (*ExportableAdmin.list_filter, "is_archived")
    search_fields = ("name", "legal_name", "tax_id", "email")


class CommitmentLineInline(LinesInline):
    model = CommitmentLine
    fields = (
        "position",
        "cost_code",
        "description",
        "quantity",
        "unit_cost",
        "amount",
        "erp_line_id",
    )
    autocomplete_fields = ("cost_code",)
    readonly_fields = ("erp_line_id",)


class CommitmentAdmin(ExportableAdmin):
    list_display = (
        "number",
        "title",
        "vendor",
        "project",
        "total",
        "sync_badge",
        "erp_reference",
        "age",
    )
    list_display_links = ("number", "title")
    list_filter = (QueueFilter, project_filter("project"), vendor_filter("vendor"))
    related_for_display = ("project", "vendor")
    search_fields = ("number", "title", "project__number", "project__name", "vendor__name")
    autocomplete_fields = ("project", "vendor")
    erp_fields = ("erp_doc_number",)
    inlines = (CommitmentLineInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(lines_total=sum_of_lines(CommitmentLine, "commitment", "amount"))
        )

    @admin.display(description="Total", ordering="lines_total")
    def total(self, obj):
        return format_money(obj.lines_total, obj.currency)


class ChangeOrderLineInline(LinesInline):
    model = ChangeOrderLine
    fields = ("commitment_line", "cost_code", "description", "amount", "erp_line_id")
    autocomplete_fields = ("cost_code",)
    raw_id_fields = ("commitment_line",)
    readonly_fields = ("erp_line_id",)


class CommitmentChangeOrderAdmin(ExportableAdmin):
    list_display = (
        "number",
        "title",
        "vendor",
        "project",
        "commitment",
        "change",
        "sync_badge",
        "erp_reference",
        "age",
    )
    list_display_links = ("number", "title")
    list_filter = (
        QueueFilter,
        project_filter("commitment__project"),
        vendor_filter("commitment__vendor"),
    )
    related_for_display = ("commitment__project", "commitment__vendor")
    search_fields = ("number", "title", "commitment__number", "commitment__vendor__name")
    autocomplete_fields = ("commitment",)
    inlines = (ChangeOrderLineInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(lines_total=sum_of_lines(ChangeOrderLine, "change_order", "amount"))
        )

    @admin.display(description="Project", ordering="commitment__project__number")
    def project(self, obj):
        return obj.commitment.project

    @admin.display(description="Vendor", ordering="commitment__vendor__name")
    def vendor(self, obj):
        return obj.commitment.vendor

    @admin.display(description="Change", ordering="lines_total")
    def change(self, obj):
        return format_money(obj.lines_total, obj.commitment.currency)


class InvoiceLineInline(LinesInline):
    model = InvoiceLine
    fields = (
        "commitment_line",
        "change_order_line",
        "work_completed",
        "materials_stored",
        "retainage_withheld",
    )
    raw_id_fields = ("commitment_line", "change_order_line")


class SubcontractorInvoiceAdmin(ExportableAdmin):
    list_display = (
        "number",
        "vendor",
        "project",
        "commitment",
        "amount",
        "sync_badge",
        "erp_reference",
        "age",
    )
    list_filter = (
        QueueFilter,
        project_filter("commitment__project"),
        vendor_filter("commitment__vendor"),
    )
    related_for_display = ("commitment__project", "commitment__vendor")
    search_fields = ("number", "commitment__number", "commitment__vendor__name")
    autocomplete_fields = ("commitment",)
    erp_fields = (
        "totals",
        "duplicate_warning",
        "duplicate_of",
        "duplicate_confirmed_by",
        "amount_paid",
        "last_paid_on",
        "last_payment_method",
    )
    inlines = (InvoiceLineInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).with_totals()

    @admin.display(description="Vendor", ordering="commitment__vendor__name")
    def vendor(self, obj):
        return obj.commitment.vendor

    @admin.display(description="Project", ordering="commitment__project__number")
    def project(self, obj):
        return obj.commitment.project

    @admin.display(description="Amount", ordering="totals_net")
    def amount(self, obj):
        """What the bill comes to: billed, less retainage withheld, plus any released."""
        return format_money(obj.totals_net, obj.commitment.currency)

    @admin.display(description="ERP sync", ordering="sync_status")
    def sync_badge(self, obj):
        badge = super().sync_badge(obj)
        if not obj.duplicate_warning:
            return badge
        return format_html(
            '{}<div class="erp-finding" title="{}">Possible duplicate</div>',
            badge,
            obj.duplicate_warning,
        )

    @admin.display(description="Gross / retainage / net")
    def totals(self, obj):
        gross, retainage, net = obj.totals_gross, obj.totals_retainage, obj.totals_net
        currency = obj.commitment.currency
        return " / ".join(format_money(amount, currency) for amount in (gross, retainage, net))

    def accept_form(self, request, records, *, data, found=None):
        if data is None:
            waiting = [
                record for record in records if record.sync_status == SyncStatus.READY_TO_EXPORT
            ]
            twins = {
                record.pk: found[record.pk].duplicates
                for record in waiting
                if found[record.pk].duplicates
            }
            past_balance = {
                pk: sentences
                for pk, sentences in past_balance_sentences_many(waiting).items()
                if sentences
            }
        else:
            # The boxes ticked on the page; the service checks everything again anyway.
            twins = {record.pk: [] for record in records if confirm_field_name(record.pk) in data}
            past_balance = {
                record.pk: [] for record in records if past_balance_field_name(record.pk) in data
            }
        form = InvoiceAcceptForm(
            data,
            twins=twins,
            past_balance=past_balance,
            posting_defaults=posting_defaults(records),
        )
        return form, ""

    def perform_decision(self, request, decision, records, form, versions, shown):
        if decision.slug != "accept":
            return super().perform_decision(request, decision, records, form, versions, shown)
        return outcomes.accept_invoices(
            records=records,
            actor=request.user,
            confirmed_ids=form.confirmed_invoice_ids(),
            past_balance_ids=form.past_balance_confirmed_ids(),
            versions=versions,
            posting_dates=form.posting_dates(),
            shown=shown,
        )
