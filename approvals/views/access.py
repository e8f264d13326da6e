"""Which records a signed-in person may open: their projects' records, and the company directory.

Anything outside a person's projects answers 404, so its existence is not revealed.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from approvals.models import (
    Commitment,
    CommitmentChangeOrder,
    Company,
    Project,
    SubcontractorInvoice,
)
from approvals.selectors import projects_for_user


def member_project(user, pk) -> Project:
    return get_object_or_404(projects_for_user(user), pk=pk)


def member_commitment(user, pk) -> Commitment:
    return get_object_or_404(
        Commitment.objects.select_related("project", "vendor").filter(
            project__in=projects_for_user(user)
        ),
        pk=pk,
    )


def member_change_order(user, pk) -> CommitmentChangeOrder:
    return get_object_or_404(
        CommitmentChangeOrder.objects.select_related(
            "commitment__project", "commitment__vendor"
        ).filter(commitment__project__in=projects_for_user(user)),
        pk=pk,
    )


def member_invoice(user, pk) -> SubcontractorInvoice:
    return get_object_or_404(
        SubcontractorInvoice.objects.select_related(
            "commitment__project", "commitment__vendor"
        ).filter(commitment__project__in=projects_for_user(user)),
        pk=pk,
    )


def directory_company(user, pk) -> Company:
    return get_object_or_404(Company, pk=pk)


RECORD_LOOKUPS = {
    "project": member_project,
    "company": directory_company,
    "commitment": member_commitment,
    "change-order": member_change_order,
    "invoice": member_invoice,
}


def require_permission(user, codename: str) -> None:
    """Creating and editing need the model permission the Project managers group carries."""
    if not user.has_perm(f"approvals.{codename}"):
        raise PermissionDenied(
            "You do not have the right to do this. Ask an administrator to add you to "
            "the Project managers group."
        )
