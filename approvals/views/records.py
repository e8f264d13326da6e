"""The five record types as the project-manager pages name and link them."""

from django.urls import reverse

from approvals.models import (
    Commitment,
    CommitmentChangeOrder,
    Company,
    Project,
    SubcontractorInvoice,
)

KIND_OF = {
    Project: "project",
    Company: "company",
    Commitment: "commitment",
    CommitmentChangeOrder: "change-order",
    SubcontractorInvoice: "invoice",
}

_DETAIL_URL_NAMES = {
    Project: "approvals:project_detail",
    Company: "approvals:company_detail",
    Commitment: "approvals:commitment_detail",
    CommitmentChangeOrder: "approvals:change_order_detail",
    SubcontractorInvoice: "approvals:invoice_detail",
}


def record_kind(record) -> str:
    return KIND_OF[type(record)]


def record_url(record) -> str:
    return reverse(_DETAIL_URL_NAMES[type(record)], args=[record.pk])
