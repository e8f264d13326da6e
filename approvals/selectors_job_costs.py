"""The per-project job-cost reconciliation: committed, invoiced and actual cost per cost code."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce

from approvals.models import (
    ChangeOrderLine,
    ChangeOrderStatus,
    Commitment,
    CommitmentLine,
    CommitmentStatus,
    CostCode,
    InvoiceLine,
    JobCostTransaction,
    Project,
)
from approvals.states import SyncStatus

ZERO = Decimal("0.00")
COMMITTED_STATUSES = (CommitmentStatus.APPROVED, CommitmentStatus.COMPLETE)
NO_COST_CODE = "Not on a standard cost code"
WAITING_STATUSES = (
    SyncStatus.READY_TO_EXPORT,
    SyncStatus.EXPORTING,
    SyncStatus.AWAITING_ERP,
    SyncStatus.EXPORT_FAILED,
)


@dataclass
class CostCodeRow:
    cost_code: CostCode | None
    committed: Decimal = ZERO
    invoiced: Decimal = ZERO
    waiting: Decimal = ZERO  # invoiced here, sent but not in the books yet
    actual: Decimal = ZERO

    @property
    def label(self) -> str:
        return str(self.cost_code) if self.cost_code is not None else NO_COST_CODE

    @property
    def difference(self) -> Decimal:
        """Invoiced here less recorded in the books: what still needs explaining."""
        return self.invoiced - self.actual

    @property
    def remaining(self) -> Decimal:
        return self.committed - self.actual

    @property
    def overrun(self) -> Decimal:
        """How far actual cost, or what was invoiced (synced or on its way), passes what is
        committed on the cost code; zero when neither does."""
        return max(
            self.actual - self.committed, self.invoiced + self.waiting - self.committed, ZERO
        )


@dataclass
class JobCostReport:
    project: Project
    rows: list[CostCodeRow] = field(default_factory=list)
    currency: str = "USD"

    @property
    def totals(self) -> CostCodeRow:
        total = CostCodeRow(cost_code=None)
        for row in self.rows:
            total.committed += row.committed
            total.invoiced += row.invoiced
            total.waiting += row.waiting
            total.actual += row.actual
        return total


def project_job_cost_report(project: Project) -> JobCostReport:
    committed = (
        CommitmentLine.objects.filter(
            commitment__project=project, commitment__status__in=COMMITTED_STATUSES
        )
        .values("cost_code")
        .annotate(total=Sum("amount"))
    )
    changes = (
        ChangeOrderLine.objects.filter(
            change_order__commitment__project=project,
            change_order__commitment__status__in=COMMITTED_STATUSES,
            change_order__status=ChangeOrderStatus.APPROVED,
        )
        .values("cost_code")
        .annotate(total=Sum("amount"))
    )
    # Invoiced counts what reached the books (synced); what was sent and is still on its way
    # (waiting for an approver, exporting, waiting for the ERP, failed) is shown apart.
    billed = InvoiceLine.objects.filter(invoice__commitment__project=project).values(
        cost_code=Coalesce(F("commitment_line__cost_code"), F("change_order_line__cost_code"))
    )
    invoiced = billed.filter(invoice__sync_status=SyncStatus.SYNCED).annotate(
        total=Sum(F("work_completed") + F("materials_stored"))
    )
    waiting = billed.filter(invoice__sync_status__in=WAITING_STATUSES).annotate(
        total=Sum(F("work_completed") + F("materials_stored"))
    )
    actual = (
        JobCostTransaction.objects.filter(project=project)
        .values("cost_code")
        .annotate(total=Sum("amount"))
    )
    rows: dict[int | None, CostCodeRow] = {}
    for queryset, attribute in (
        (committed, "committed"),
        (changes, "committed"),
        (invoiced, "invoiced"),
        (waiting, "waiting"),
        (actual, "actual"),
    ):
        for entry in queryset.order_by():
            row = rows.setdefault(entry["cost_code"], CostCodeRow(cost_code=None))
            setattr(row, attribute, getattr(row, attribute) + (entry["total"] or ZERO))
    codes = CostCode.objects.in_bulk([pk for pk in rows if pk is not None])
    for pk, row in rows.items():
        row.cost_code = codes.get(pk)
    ordered = sorted(
        rows.values(),
        key=lambda row: (row.cost_code is None, row.cost_code.code if row.cost_code else ""),
    )
    currency = (
        Commitment.objects.filter(project=project).values_list("currency", flat=True).first()
        or Commitment._meta.get_field("currency").default
    )
    return JobCostReport(project=project, rows=ordered, currency=currency)


@dataclass(frozen=True)
class CostCodeDetail:
    """Everything behind one row of the report: the commitments, invoices and ERP lines."""

    commitment_lines: list
    change_order_lines: list
    invoice_lines: list


def project_job_cost_detail(project: Project, *, cost_code_id: int | None) -> CostCodeDetail:
    if cost_code_id is None:
        return CostCodeDetail([], [], [])
    commitment_lines = (
        CommitmentLine.objects.filter(
            commitment__project=project,
            commitment__status__in=COMMITTED_STATUSES,
            cost_code_id=cost_code_id,
        )
        .select_related("commitment__vendor")
        .order_by("commitment__number", "position")
    )
    change_order_lines = (
        ChangeOrderLine.objects.filter(
            change_order__commitment__project=project,
            change_order__status=ChangeOrderStatus.APPROVED,
            cost_code_id=cost_code_id,
        )
        .select_related("change_order__commitment")
        .order_by("change_order__commitment__number", "change_order__number", "pk")
    )
    invoice_lines = (
        InvoiceLine.objects.filter(invoice__commitment__project=project)
        .filter(
            Q(commitment_line__cost_code_id=cost_code_id)
            | Q(change_order_line__cost_code_id=cost_code_id)
        )
        .exclude(invoice__sync_status__in=(SyncStatus.NOT_SENT, SyncStatus.REJECTED))
        .select_related("invoice__commitment__vendor")
        .order_by("-invoice__billing_date", "invoice__number")
    )
    return CostCodeDetail(list(commitment_lines), list(change_order_lines), list(invoice_lines))


def project_job_cost_transactions(project: Project, *, cost_code_id: int | None = None):
    """The transactions behind one row of the report (cost_code_id None: those without one)."""
    transactions = JobCostTransaction.objects.filter(project=project).select_related("cost_code")
    if cost_code_id is None:
        transactions = transactions.filter(cost_code__isnull=True)
    else:
        transactions = transactions.filter(cost_code_id=cost_code_id)
    return transactions.order_by("-txn_date", "txn_type", "txn_id", "line_id")
