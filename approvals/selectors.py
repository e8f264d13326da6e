"""Read-only queries for the queue, the dashboard, the history and the money totals."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet, Sum

from approvals import permissions
from approvals.models import (
    AuditEvent,
    ChangeOrderLine,
    ChangeOrderStatus,
    Commitment,
    CommitmentChangeOrder,
    CommitmentLine,
    Company,
    InvoiceLine,
    InvoiceStatus,
    Project,
    SubcontractorInvoice,
    VendorUpdate,
    VendorUpdateStatus,
)
from approvals.services.workflow.records import EXPORTABLE_MODELS
from approvals.states import SyncStatus
from money import ZERO, cents

APPROVED_INVOICE_STATUSES = (InvoiceStatus.APPROVED, InvoiceStatus.APPROVED_AS_NOTED)

_QUEUE_RELATED = {
    Project: (),
    Company: (),
    Commitment: ("project", "vendor", "sent_by"),
    CommitmentChangeOrder: ("commitment__project", "commitment__vendor", "sent_by"),
    SubcontractorInvoice: ("commitment__project", "commitment__vendor", "sent_by"),
}


# --- people and projects ---------------------------------------------------------------


def projects_for_user(user) -> QuerySet[Project]:
    """Administrators see every active project; everyone else only those they are members of."""
    projects = Project.objects.filter(is_active=True).order_by("number")
    if permissions.is_administrator(user):
        return projects
    if user is None or not user.is_authenticated:
        return projects.none()
    return projects.filter(members=user)


# --- the approval queue ----------------------------------------------------------------


def records_waiting(*, model, status: str = SyncStatus.READY_TO_EXPORT) -> QuerySet:
    """One type's queue in a status, oldest first along the (sync_status, sent_at) index."""
    related = _QUEUE_RELATED[model]
    queryset = model.objects.filter(sync_status=status)
    if related:
        queryset = queryset.select_related(*related)
    return queryset.order_by("sent_at", "pk")


def dashboard_counts(models=EXPORTABLE_MODELS) -> dict[type, dict[str, int]]:
    """For each record type, how many records are in each sync status (zeros included)."""
    counts: dict[type, dict[str, int]] = {}
    for model in models:
        per_status = dict.fromkeys(SyncStatus.values, 0)
        rows = model.objects.order_by().values_list("sync_status").annotate(n=Count("pk"))
        per_status.update(dict(rows))
        counts[model] = per_status
    return counts


def vendor_update_counts() -> dict[str, int]:
    """How many vendor updates are in each status (zeros included)."""
    counts = dict.fromkeys(VendorUpdateStatus.values, 0)
    counts.update(VendorUpdate.objects.order_by().values_list("status").annotate(n=Count("pk")))
    return counts


def oldest_waiting():
    """The record that has waited longest for a decision, of any type, or None."""
    candidates = [
        records_waiting(model=model).exclude(sent_at=None).first() for model in EXPORTABLE_MODELS
    ]
    waiting = [record for record in candidates if record is not None]
    return min(waiting, key=lambda record: record.sent_at, default=None)


def recent_failures(*, limit: int = 20) -> list:
    """Records whose export failed, the most recent failure first."""
    failed = []
    for model in EXPORTABLE_MODELS:
        failed.extend(
            records_waiting(model=model, status=SyncStatus.EXPORT_FAILED).order_by("-updated_at")[
                :limit
            ]
        )
    failed.sort(key=lambda record: record.updated_at, reverse=True)
    return failed[:limit]


def synced_with_findings(*, limit: int = 20) -> list:
    """Synced records whose document changed in the ERP after export, or whose export left
    something for a person to finish there: the most recently seen first."""
    found = []
    for model in EXPORTABLE_MODELS:
        found.extend(
            model.objects.filter(sync_status=SyncStatus.SYNCED)
            .filter(~Q(erp_drift="") | ~Q(erp_problem=""))
            .order_by("-updated_at")[:limit]
        )
    found.sort(key=lambda record: record.updated_at, reverse=True)
    return found[:limit]


def exported_amount(record) -> Decimal | None:
    """The amount approved and exported: an invoice's net, a commitment with the change orders
    synced onto it; None for records without an amount."""
    if isinstance(record, SubcontractorInvoice):
        return record.totals().net
    if isinstance(record, Commitment):
        changes = ChangeOrderLine.objects.filter(
            change_order__commitment=record, change_order__sync_status=SyncStatus.SYNCED
        ).aggregate(t=Sum("amount"))["t"]
        return cents(commitment_total(record) + (changes or ZERO))
    return None


def record_history(record) -> QuerySet[AuditEvent]:
    """Every audit event of one record, oldest first."""
    return (
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk
        )
        .select_related("actor")
        .order_by("created_at", "pk")
    )


# --- money -----------------------------------------------------------------------------


def commitment_total(commitment: Commitment) -> Decimal:
    total = CommitmentLine.objects.filter(commitment=commitment).aggregate(t=Sum("amount"))["t"]
    return cents(total)


def commitment_revised_total(commitment: Commitment) -> Decimal:
    """The original lines plus every approved change order."""
    changes = ChangeOrderLine.objects.filter(
        change_order__commitment=commitment, change_order__status=ChangeOrderStatus.APPROVED
    ).aggregate(t=Sum("amount"))["t"]
    return cents(commitment_total(commitment) + (changes or ZERO))


def commitment_retainage(
    commitment: Commitment, *, excluding: SubcontractorInvoice | None = None
) -> tuple[Decimal, Decimal]:
    """(held_to_date, released_to_date) over the commitment's approved invoices."""
    invoices = SubcontractorInvoice.objects.filter(
        commitment=commitment, status__in=APPROVED_INVOICE_STATUSES
    )
    if excluding is not None and excluding.pk:
        invoices = invoices.exclude(pk=excluding.pk)
    held = InvoiceLine.objects.filter(invoice__in=invoices).aggregate(t=Sum("retainage_withheld"))[
        "t"
    ]
    released = invoices.filter(is_retainage_release=True).aggregate(t=Sum("retainage_released"))[
        "t"
    ]
    return cents(held), cents(released)


def approvers_of(model):
    """Active users with an email who may decide on this record type (for notifications)."""
    permission = Permission.objects.get(
        content_type__app_label="approvals", codename=f"approve_{model._meta.model_name}"
    )
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .filter(
            Q(is_superuser=True)
            | Q(groups__name=permissions.ADMINISTRATORS)
            | Q(groups__permissions=permission)
            | Q(user_permissions=permission)
        )
        .distinct()
        .order_by("pk")
    )
