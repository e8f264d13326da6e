from django.urls import path, register_converter

from approvals.views import (
    change_orders,
    commitments,
    companies,
    home,
    invoices,
    job_costs,
    projects,
    rejected,
    sync,
    vendor_updates,
)


class RecordKindConverter:
    regex = "project|company|commitment|change-order|invoice"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class SyncActionConverter:
    regex = "send|retrieve|resend"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(RecordKindConverter, "record_kind")
register_converter(SyncActionConverter, "sync_action")

app_name = "approvals"
urlpatterns = [
    path("", home.home, name="home"),
    path("rejected/", rejected.rejected_list, name="rejected_list"),
    path("projects/new/", projects.project_create, name="project_create"),
    path("projects/<int:pk>/", projects.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", projects.project_edit, name="project_edit"),
    path("projects/<int:pk>/job-costs/", job_costs.project_job_costs, name="project_job_costs"),
    path(
        "projects/<int:pk>/job-costs/sync/",
        job_costs.project_job_costs_sync,
        name="project_job_costs_sync",
    ),
    path(
        "projects/<int:pk>/job-costs/sync/status/",
        job_costs.project_job_costs_sync_status,
        name="project_job_costs_sync_status",
    ),
    path(
        "projects/<int:pk>/directory/add/",
        companies.project_add_company,
        name="project_add_company",
    ),
    path(
        "projects/<int:project_pk>/commitments/new/",
        commitments.commitment_create,
        name="commitment_create",
    ),
    path("projects/<int:project_pk>/invoices/send/", invoices.invoices_send, name="invoices_send"),
    path("companies/", companies.company_list, name="company_list"),
    path("companies/new/", companies.company_create, name="company_create"),
    path("companies/<int:pk>/", companies.company_detail, name="company_detail"),
    path("companies/<int:pk>/edit/", companies.company_edit, name="company_edit"),
    path(
        "companies/<int:pk>/vendor-updates/<int:update_pk>/withdraw/",
        vendor_updates.vendor_update_withdraw_view,
        name="vendor_update_withdraw",
    ),
    path("commitments/<int:pk>/", commitments.commitment_detail, name="commitment_detail"),
    path("commitments/<int:pk>/edit/", commitments.commitment_edit, name="commitment_edit"),
    path(
        "commitments/<int:commitment_pk>/change-orders/new/",
        change_orders.change_order_create,
        name="change_order_create",
    ),
    path(
        "commitments/<int:commitment_pk>/invoices/new/",
        invoices.invoice_create,
        name="invoice_create",
    ),
    path(
        "commitments/<int:commitment_pk>/invoices/number-check/",
        invoices.invoice_number_check,
        name="invoice_number_check",
    ),
    path("change-orders/<int:pk>/", change_orders.change_order_detail, name="change_order_detail"),
    path("change-orders/<int:pk>/edit/", change_orders.change_order_edit, name="change_order_edit"),
    path("invoices/<int:pk>/", invoices.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/edit/", invoices.invoice_edit, name="invoice_edit"),
    path(
        "records/<record_kind:kind>/<int:pk>/<sync_action:action>/",
        sync.record_action,
        name="record_action",
    ),
]
