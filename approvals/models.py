"""Construction records and their ERP sync state. Status fields change only through approvals.services."""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from approvals.people import person_name
from approvals.states import BADGE_COLOURS, ERPDrift, SyncStatus, status_label
from approvals.validators import single_line
from integrations.models import ERPConnection
from money import ZERO, InvoiceTotals, invoice_totals

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 14, "decimal_places": 4}


def _status_check(prefix: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(sync_status__in=SyncStatus.values),
        name=f"{prefix}_sync_status_valid",
        violation_error_message="This status is not one the approval workflow knows.",
    )


def _erp_id_unique(prefix: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=["erp_connection", "erp_id"],
        condition=~Q(erp_id=""),
        name=f"{prefix}_erp_id_unique_per_connection",
        violation_error_message="Another record is already linked to this ERP id.",
    )


def _erp_id_names_connection(prefix: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(erp_id="") | Q(erp_connection__isnull=False),
        name=f"{prefix}_erp_id_names_connection",
        violation_error_message="An ERP id must name the connection it belongs to.",
    )


class ERPLinked(models.Model):
    """Link from one of our records to its document in the connected ERP."""

    erp_connection = models.ForeignKey(
        ERPConnection,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="ERP connection",
    )
    erp_id = models.CharField("ERP id", max_length=64, blank=True, default="")
    erp_version = models.CharField("ERP version", max_length=32, blank=True, default="")
    erp_synced_at = models.DateTimeField("synced with the ERP at", null=True, blank=True)

    class Meta:
        abstract = True


def posting_date_field():
    return models.DateField(
        null=True,
        blank=True,
        help_text="The date the ERP document posts on, chosen by the approver at accept.",
    )


class Exportable(ERPLinked):
    """Sync state of a record that goes through send → accept/reject → export."""

    sync_status = models.CharField(
        max_length=20, choices=SyncStatus.choices, default=SyncStatus.NOT_SENT, db_index=True
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    export_attempt = models.PositiveIntegerField(
        default=0, help_text="Counts accepts and retries; part of the ERP idempotency key."
    )
    export_started_at = models.DateTimeField(null=True, blank=True)
    export_try = models.PositiveSmallIntegerField(
        default=1,
        help_text="Which try of the current attempt runs next; a try the ERP's rate limits "
        "held back runs again as the same try.",
    )
    export_claimed_by = models.CharField(
        max_length=100,
        blank=True,
        help_text="The worker sending this export now, alone or in a batch with others.",
    )
    export_claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="When that worker's claim lapses, should it die."
    )
    handed_off_to = models.ForeignKey(
        ERPConnection,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The connection whose own agent holds this export's request, until it answers.",
    )
    handed_off_at = models.DateTimeField(
        null=True, blank=True, help_text="When the export was handed to the ERP's own agent."
    )
    last_export_error = models.TextField(blank=True)
    nothing_in_erp_for_attempt = models.PositiveIntegerField(
        "attempt the ERP holds nothing of",
        null=True,
        blank=True,
        help_text="The failed export attempt a background look-up found nothing of in the ERP; "
        "a failed record is retrieved or rejected only once it says so.",
    )
    erp_lookup_at = models.DateTimeField(
        "look-up of the failed export queued for",
        null=True,
        blank=True,
        help_text="When the look-up of a failed export's last attempt runs next.",
    )
    erp_lookup_error = models.TextField(
        "why the look-up could not answer",
        blank=True,
        help_text="The ERP's answer to the last look-up that could not tell.",
    )
    review_version = models.PositiveIntegerField(
        default=1, help_text="Bumped by every change to what the ERP would receive."
    )

    erp_problem = models.TextField(
        "problem in the ERP",
        blank=True,
        help_text="What the export could not finish in the ERP and a person must; cleared by "
        "the next sync that finds it done.",
    )
    erp_drift = models.CharField(
        "changed in the ERP",
        max_length=10,
        choices=ERPDrift.choices,
        blank=True,
        default=ERPDrift.NONE,
        db_index=True,
    )
    erp_drift_amount = models.DecimalField("amount in the ERP", **MONEY, null=True, blank=True)
    erp_drift_note = models.TextField("what changed in the ERP", blank=True)
    erp_drift_seen_at = models.DateTimeField("change in the ERP seen at", null=True, blank=True)

    export_request_key = models.CharField(
        max_length=50,
        blank=True,
        help_text="The transport key of the current try; reused only to repeat a request "
        "whose answer was lost.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def badge_colour(self) -> str:
        return BADGE_COLOURS[SyncStatus(self.sync_status)]

    @property
    def sync_status_label(self) -> str:
        """The status as people read it ("Waiting for <ERP>" names the ERP that has it)."""
        if self.handed_off_to_id is None:
            return status_label(self.sync_status)
        return status_label(self.sync_status, erp_name=self.handed_off_to.get_kind_display())

    @property
    def waiting_note(self) -> str:
        """For a record waiting for an ERP's own agent, what that agent last did ("the Web
        Connector last ran 2 hours ago"), shown after its status; "" otherwise."""
        if self.sync_status != SyncStatus.AWAITING_ERP or self.handed_off_to_id is None:
            return ""
        # Imported here: the services build on these models.
        from approvals.services import erp

        return erp.hand_off_note(self.handed_off_to)

    @property
    def sync_status_sentence(self) -> str:
        """The status as a sentence: "Waiting for <ERP> — <what its agent last did>"."""
        note = self.waiting_note
        return f"{self.sync_status_label} — {note}" if note else self.sync_status_label


class CostType(models.TextChoices):
    LABOR = "labor", "Labor"
    MATERIAL = "material", "Material"
    EQUIPMENT = "equipment", "Equipment"
    SUBCONTRACT = "subcontract", "Subcontract"
    OTHER = "other", "Other"


class CostCode(ERPLinked):
    """An entry of the ERP's standard cost-code list (an item of the ERP)."""

    code = models.CharField(max_length=30, validators=[single_line])
    name = models.CharField(max_length=100, validators=[single_line])
    cost_type = models.CharField(max_length=20, choices=CostType.choices, default=CostType.OTHER)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["code", "cost_type"], name="costcode_unique_code"),
            _erp_id_unique("costcode"),
            _erp_id_names_connection("costcode"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def is_standard(self) -> bool:
        return bool(self.erp_id)


class Company(Exportable):
    """The company directory; each company is exported as the ERP's vendor (or contact)."""

    name = models.CharField(max_length=255, validators=[single_line])
    legal_name = models.CharField(max_length=255, blank=True, validators=[single_line])
    tax_id = models.CharField("tax id", max_length=20, blank=True, validators=[single_line])
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True, validators=[single_line])
    address_line1 = models.CharField(max_length=500, blank=True, validators=[single_line])
    city = models.CharField(max_length=255, blank=True, validators=[single_line])
    region = models.CharField(
        "state or region", max_length=255, blank=True, validators=[single_line]
    )
    postal_code = models.CharField(max_length=30, blank=True, validators=[single_line])
    country = models.CharField(max_length=255, blank=True, validators=[single_line])
    vendor_type = models.CharField(max_length=50, blank=True, validators=[single_line])
    is_archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"
        # No unique vendor per company: two companies of the directory that are one business
        # may share the vendor, when an approver links the second at accept.
        constraints = [_status_check("company"), _erp_id_names_connection("company")]
        indexes = [
            models.Index(fields=["sync_status", "sent_at"], name="company_queue_idx"),
            models.Index(fields=["erp_connection", "erp_id"], name="company_erp_link_idx"),
        ]
        permissions = [("approve_company", "Can accept, reject, retry and unlink companies")]

    def __str__(self):
        return self.name


class Project(Exportable):
    """A construction project; exported as the ERP's job (or tracking option)."""

    number = models.CharField(max_length=30, validators=[single_line])
    name = models.CharField(max_length=255, validators=[single_line])
    address = models.CharField(max_length=500, blank=True, validators=[single_line])
    customer_name = models.CharField(
        "customer / owner", max_length=255, blank=True, validators=[single_line]
    )
    erp_parent_customer_id = models.CharField(
        "ERP parent customer id", max_length=64, blank=True, default=""
    )
    uses_standard_cost_codes = models.BooleanField(default=True)
    job_cost_sync_enabled = models.BooleanField(default=False)
    job_costs_synced_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="ProjectMembership", related_name="projects", blank=True
    )
    companies = models.ManyToManyField(
        Company, related_name="projects", blank=True, help_text="The project directory."
    )

    class Meta:
        ordering = ["number"]
        constraints = [
            _status_check("project"),
            _erp_id_unique("project"),
            _erp_id_names_connection("project"),
            models.UniqueConstraint(fields=["number"], name="project_unique_number"),
        ]
        indexes = [models.Index(fields=["sync_status", "sent_at"], name="project_queue_idx")]
        permissions = [("approve_project", "Can accept, reject, retry and unlink projects")]

    def __str__(self):
        # A project numbered with its own name (added from an ERP job that has no number) says
        # its name once, not "Lincoln Gym Lincoln Gym"; a long name's number is its first 30
        # characters.
        number_length = type(self)._meta.get_field("number").max_length
        if self.name == self.number or (
            len(self.number) == number_length and self.name.startswith(self.number)
        ):
            return self.name
        return f"{self.number} {self.name}"


class ProjectMembership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique")
        ]

    def __str__(self):
        return f"{person_name(self.user)} on {self.project}"


class CommitmentKind(models.TextChoices):
    SUBCONTRACT = "subcontract", "Subcontract"
    PURCHASE_ORDER = "purchase_order", "Purchase order"


class CommitmentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OUT_FOR_SIGNATURE = "out_for_signature", "Out for signature"
    APPROVED = "approved", "Approved"
    COMPLETE = "complete", "Complete"
    TERMINATED = "terminated", "Terminated"
    VOID = "void", "Void"


class Commitment(Exportable):
    """A subcontract or purchase order; exported as the ERP's purchase order."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="commitments")
    vendor = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="commitments")
    kind = models.CharField(max_length=20, choices=CommitmentKind.choices)
    number = models.CharField(max_length=21, validators=[single_line])
    title = models.CharField(max_length=255, validators=[single_line])
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=20, choices=CommitmentStatus.choices, default=CommitmentStatus.DRAFT
    )
    default_retainage_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("10.00"),
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
    )
    currency = models.CharField(max_length=3, default="USD")
    erp_doc_number = models.CharField("ERP document number", max_length=21, blank=True)
    posting_date = posting_date_field()

    class Meta:
        ordering = ["project", "number"]
        constraints = [
            _status_check("commitment"),
            _erp_id_unique("commitment"),
            _erp_id_names_connection("commitment"),
            models.UniqueConstraint(fields=["project", "number"], name="commitment_unique_number"),
            models.CheckConstraint(
                condition=Q(default_retainage_percent__gte=0)
                & Q(default_retainage_percent__lte=100),
                name="commitment_retainage_percent_range",
                violation_error_message="The default retainage must be between 0%% and 100%%.",
            ),
        ]
        indexes = [models.Index(fields=["sync_status", "sent_at"], name="commitment_queue_idx")]
        permissions = [("approve_commitment", "Can accept, reject, retry and unlink commitments")]

    def __str__(self):
        return f"{self.number} {self.title}"


class CommitmentLine(models.Model):
    """A schedule-of-values line."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=1)
    cost_code = models.ForeignKey(CostCode, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=4000, blank=True)
    quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    unit_cost = models.DecimalField(**QUANTITY, null=True, blank=True)
    amount = models.DecimalField(**MONEY)
    erp_line_id = models.CharField("ERP line id", max_length=36, blank=True)

    class Meta:
        ordering = ["commitment", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="commitmentline_amount_not_negative",
                violation_error_message="A line's amount cannot be negative.",
            ),
        ]

    def __str__(self):
        return f"{self.position}. {self.cost_code.code} {self.description}"


class ChangeOrderStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    VOID = "void", "Void"


class CommitmentChangeOrder(Exportable):
    """Changes to a commitment's lines; exported as lines appended to its PurchaseOrder."""

    commitment = models.ForeignKey(
        Commitment, on_delete=models.PROTECT, related_name="change_orders"
    )
    number = models.CharField(max_length=21, validators=[single_line])
    title = models.CharField(max_length=255, validators=[single_line])
    status = models.CharField(
        max_length=20, choices=ChangeOrderStatus.choices, default=ChangeOrderStatus.DRAFT
    )
    posting_date = posting_date_field()

    class Meta:
        ordering = ["commitment", "number"]
        verbose_name = "commitment change order"
        constraints = [
            _status_check("cco"),
            _erp_id_names_connection("cco"),
            models.UniqueConstraint(fields=["commitment", "number"], name="cco_unique_number"),
        ]
        indexes = [models.Index(fields=["sync_status", "sent_at"], name="cco_queue_idx")]
        permissions = [
            ("approve_commitmentchangeorder", "Can accept, reject, retry and unlink change orders")
        ]

    def __str__(self):
        return f"CCO {self.number} {self.title}"


class ChangeOrderLine(models.Model):
    change_order = models.ForeignKey(
        CommitmentChangeOrder, on_delete=models.CASCADE, related_name="lines"
    )
    commitment_line = models.ForeignKey(
        CommitmentLine,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes",
        help_text="The schedule-of-values line this changes; empty for a new line.",
    )
    cost_code = models.ForeignKey(CostCode, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=4000, blank=True)
    amount = models.DecimalField(**MONEY, help_text="The change; negative for a deduction.")
    erp_line_id = models.CharField("ERP line id", max_length=36, blank=True)

    class Meta:
        ordering = ["change_order", "pk"]

    def __str__(self):
        changed = f"line {self.commitment_line.position}" if self.commitment_line else "a new line"
        return f"Change order {self.change_order.number}: {changed}"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    UNDER_REVIEW = "under_review", "Under review"
    REVISE_AND_RESUBMIT = "revise_and_resubmit", "Revise and resubmit"
    APPROVED = "approved", "Approved"
    APPROVED_AS_NOTED = "approved_as_noted", "Approved as noted"
    VOID = "void", "Void"


def _lines_sum(expression, output_field) -> Coalesce:
    lines = (
        InvoiceLine.objects.filter(invoice=OuterRef("pk"))
        .order_by()
        .values("invoice")
        .annotate(total=Sum(expression))
        .values("total")
    )
    return Coalesce(Subquery(lines, output_field=output_field), Value(ZERO))


class InvoiceQuerySet(models.QuerySet):
    def with_totals(self):
        """Each invoice with totals_gross, totals_withheld, totals_released, totals_retainage
        and totals_net: SubcontractorInvoice.totals in SQL, for lists sorted or filtered by it."""
        money = models.DecimalField(**MONEY)
        released = models.Case(
            models.When(is_retainage_release=True, then=F("retainage_released")),
            default=Value(ZERO),
            output_field=money,
        )
        return self.annotate(
            totals_gross=_lines_sum(F("work_completed") + F("materials_stored"), money),
            totals_withheld=_lines_sum(F("retainage_withheld"), money),
            totals_released=released,
        ).annotate(
            totals_retainage=F("totals_withheld") - F("totals_released"),
            totals_net=F("totals_gross") - F("totals_withheld") + F("totals_released"),
        )


class SubcontractorInvoice(Exportable):
    """A pay application against a commitment; exported as the ERP's bill."""

    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField("invoice number", max_length=21, validators=[single_line])
    billing_date = models.DateField()
    period_start = models.DateField()
    period_end = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    is_retainage_release = models.BooleanField(
        default=False, help_text="Pays back retainage withheld on earlier invoices."
    )
    retainage_released = models.DecimalField(**MONEY, default=ZERO)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    duplicate_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    duplicate_warning = models.TextField(
        blank=True, help_text="Possible duplicates found when the invoice was last sent."
    )
    amount_paid = models.DecimalField(**MONEY, default=ZERO)
    last_paid_on = models.DateField(null=True, blank=True)
    last_payment_method = models.CharField(max_length=50, blank=True)
    posting_date = posting_date_field()

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["commitment", "billing_date", "number"]
        verbose_name = "subcontractor invoice"
        constraints = [
            _status_check("invoice"),
            _erp_id_unique("invoice"),
            _erp_id_names_connection("invoice"),
            models.CheckConstraint(
                condition=Q(retainage_released__gte=0),
                name="invoice_retainage_released_not_negative",
                violation_error_message="The retainage released cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="invoice_period_ordered",
                violation_error_message="The billing period must end on or after the day it starts.",
            ),
        ]
        indexes = [
            models.Index(fields=["sync_status", "sent_at"], name="invoice_queue_idx"),
            models.Index(fields=["commitment", "number"], name="invoice_vendor_number_idx"),
        ]
        permissions = [
            ("approve_subcontractorinvoice", "Can accept, reject, retry and unlink invoices")
        ]

    def __str__(self):
        return f"Invoice {self.number}"

    def totals(self) -> InvoiceTotals:
        """Gross, retainage withheld and released, and net: what the ERP document must come to.
        Uses the lines loaded with the invoice when there are (bulk pages), else one query."""
        if "lines" in getattr(self, "_prefetched_objects_cache", {}):
            lines = self.lines.all()
            gross = sum((line.work_completed + line.materials_stored for line in lines), ZERO)
            withheld = sum((line.retainage_withheld for line in lines), ZERO)
        else:
            sums = InvoiceLine.objects.filter(invoice=self).aggregate(
                gross=Sum(F("work_completed") + F("materials_stored")),
                withheld=Sum("retainage_withheld"),
            )
            gross, withheld = sums["gross"], sums["withheld"]
        released = self.retainage_released if self.is_retainage_release else ZERO
        return invoice_totals(gross=gross, withheld=withheld, released=released)


class InvoiceLine(models.Model):
    """What one pay application bills on one line of the revised schedule of values: an
    original commitment line, or a line an approved change order added."""

    invoice = models.ForeignKey(
        SubcontractorInvoice, on_delete=models.CASCADE, related_name="lines"
    )
    commitment_line = models.ForeignKey(
        CommitmentLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    change_order_line = models.ForeignKey(
        ChangeOrderLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    work_completed = models.DecimalField("work completed this period", **MONEY, default=ZERO)
    materials_stored = models.DecimalField(**MONEY, default=ZERO)
    retainage_withheld = models.DecimalField(**MONEY, default=ZERO)

    class Meta:
        ordering = ["invoice", "commitment_line__position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(retainage_withheld__gte=0),
                name="invoiceline_retainage_not_negative",
                violation_error_message="The retainage withheld on a line cannot be negative.",
            ),
            models.UniqueConstraint(
                fields=["invoice", "commitment_line"], name="invoiceline_one_per_commitment_line"
            ),
            models.UniqueConstraint(
                fields=["invoice", "change_order_line"],
                name="invoiceline_one_per_change_order_line",
            ),
            models.CheckConstraint(
                condition=(
                    Q(commitment_line__isnull=False, change_order_line__isnull=True)
                    | Q(commitment_line__isnull=True, change_order_line__isnull=False)
                ),
                name="invoiceline_bills_one_schedule_line",
                violation_error_message=(
                    "Each invoice line bills exactly one line of the schedule of values: a "
                    "commitment line or a line a change order added."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.invoice}, line {self.label}"

    @property
    def gross_amount(self) -> Decimal:
        return self.work_completed + self.materials_stored

    @property
    def schedule_line(self):
        """The commitment line or change-order line billed (both have cost_code,
        description and erp_line_id)."""
        return self.commitment_line or self.change_order_line

    @property
    def label(self) -> str:
        """How the pay application names the line: "2", or "CCO 003-1" for an added line."""
        if self.commitment_line is not None:
            return str(self.commitment_line.position)
        return change_order_line_label(self.change_order_line)


class VendorUpdateProposers(models.TextChoices):
    APPROVERS = "approvers", "approvers and administrators"
    EDITORS = "editors", "anyone who may edit companies (project managers too)"


class ApprovalPolicy(models.Model):
    """Company-wide rules of the approval step; one row, edited by administrators."""

    allow_self_approval = models.BooleanField(
        default=False,
        help_text="Let an approver accept a record they created or sent themselves (for small "
        "teams). Each such accept says so in the record's history.",
    )
    invoices_post_on = models.CharField(
        "invoices post on",
        max_length=20,
        choices=[("invoice_date", "the invoice date"), ("accept_date", "the date of the accept")],
        default="invoice_date",
        help_text="The posting date a decision page offers for invoices; commitments and change "
        "orders post on the date of the accept. The approver may change it.",
    )
    vendor_updates_proposed_by = models.CharField(
        "vendor updates may be proposed by",
        max_length=20,
        choices=VendorUpdateProposers.choices,
        default=VendorUpdateProposers.APPROVERS,
        help_text="Who may change a synced company's name, tax id, email, phone or address. "
        "Each change waits for an approver, whose accept updates the vendor in the ERP.",
    )
    allow_billing_past_balance = models.BooleanField(
        "allow billing past a line's balance",
        default=False,
        help_text="Let an invoice bill more than a schedule-of-values line has left. The "
        "approver must then confirm each such line, naming the excess, when accepting.",
    )

    class Meta:
        verbose_name = "approval policy"
        verbose_name_plural = "approval policy"

    def __str__(self):
        return "Approval policy"

    @classmethod
    def current(cls) -> "ApprovalPolicy":
        return cls.objects.order_by("pk").first() or cls()


def change_order_line_label(line, position: int | None = None) -> str:
    """ "CCO 003.2": the second line change order 003 added."""
    if position is None:
        position = ChangeOrderLine.objects.filter(
            change_order_id=line.change_order_id, pk__lte=line.pk
        ).count()
    number = line.change_order.number
    return (
        f"{number}.{position}" if number.upper().startswith("CCO") else f"CCO {number}.{position}"
    )


class DirectExportSetting(models.Model):
    """Lets a send be accepted at once for companies that skip the approval step."""

    content_type = models.OneToOneField(ContentType, on_delete=models.CASCADE)
    enabled = models.BooleanField(default=False)

    def __str__(self):
        return f"Direct export of {self.content_type.name}: {'on' if self.enabled else 'off'}"


class AuditEvent(models.Model):
    """Append-only history: who moved which record from which status to which, and why."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(
        max_length=100, blank=True, help_text="Who acted when no user did: a setting, the worker."
    )
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)
    changes = models.JSONField(
        null=True, blank=True, help_text="Edited fields: [{field, old, new}], as people read them."
    )
    approved = models.JSONField(
        null=True,
        blank=True,
        encoder=DjangoJSONEncoder,
        help_text="For an accept: the normalised ERP document approved (references resolved), "
        "its fingerprint, and its identity (what the look-up before create searches for).",
    )
    # ERP bodies carry Decimal amounts; they are kept as exact text.
    request_payload = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    response_payload = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "created_at"], name="audit_record_idx"
            )
        ]

    def __str__(self):
        return f"{self.action} {self.from_status}→{self.to_status}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditTrailIsAppendOnly("Audit events cannot be changed once written.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("Audit events cannot be deleted.")


class AuditTrailIsAppendOnly(Exception):
    """Raised on any attempt to rewrite history."""


class VendorUpdateStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for approval"
    UPDATING = "updating", "Updating"
    APPLIED = "applied", "Applied"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"
    WITHDRAWN = "withdrawn", "Withdrawn"


# Still needs someone: an approver's decision, the worker, or a retry or reject after a failure.
OPEN_VENDOR_UPDATE_STATUSES = (
    VendorUpdateStatus.WAITING,
    VendorUpdateStatus.UPDATING,
    VendorUpdateStatus.FAILED,
)


class VendorUpdate(models.Model):
    """A proposed change to a synced company's ERP fields: it waits for an approver, and on
    accept the worker updates the ERP vendor, then the company. Status changes only through
    approvals.services.workflow.vendor_updates."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="vendor_updates")
    changes = models.JSONField(
        help_text="[{field, label, old, new}] for each ERP field of the company that changes."
    )
    status = models.CharField(
        max_length=20,
        choices=VendorUpdateStatus.choices,
        default=VendorUpdateStatus.WAITING,
        db_index=True,
    )
    version = models.PositiveIntegerField(
        default=1,
        help_text="Bumped by every status change; a decision page posts the one it showed.",
    )
    attempt = models.PositiveIntegerField(
        default=0, help_text="Counts accepts and retries; a task of an older attempt does nothing."
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    last_error = models.TextField(blank=True)
    request_key = models.CharField(
        max_length=50,
        blank=True,
        help_text="The transport key of the current try; reused only to repeat a request "
        "whose answer was lost.",
    )
    started_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the current try starts; stuck-update recovery reads it.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["proposed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=VendorUpdateStatus.values),
                name="vendorupdate_status_valid",
                violation_error_message="This status is not one vendor updates know.",
            ),
            models.UniqueConstraint(
                fields=["company"],
                condition=Q(status__in=OPEN_VENDOR_UPDATE_STATUSES),
                name="vendorupdate_one_open_per_company",
                violation_error_message="This company already has a vendor update waiting.",
            ),
        ]
        indexes = [models.Index(fields=["status", "proposed_at"], name="vendorupdate_queue_idx")]

    def __str__(self):
        return f"Vendor update of {self.company}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_VENDOR_UPDATE_STATUSES


# --- coming back from the ERP: mirrors, job costs, payments, sync cursors ----------------------


class SyncKind(models.TextChoices):
    COST_CODES = "cost_codes", "Cost codes"
    JOBS = "jobs", "Jobs"
    VENDORS = "vendors", "Vendors"
    JOB_COSTS = "job_costs", "Job costs"


class SyncCursor(models.Model):
    """Where one kind of import from one ERP company stands: what to ask for next, who runs it.

    `resume_token` is the ERP reader's own note of where the next run starts (after the last
    batch stored, so a failed import resumes there); only the reader reads it. The lease keeps
    two runs of one kind from overlapping. `last_summary` is what the last run did, and while a
    run holds the lease, what it did so far (pages show its progress from it).
    """

    erp_connection = models.ForeignKey(
        ERPConnection,
        on_delete=models.CASCADE,
        related_name="sync_cursors",
        verbose_name="ERP connection",
    )
    kind = models.CharField(max_length=20, choices=SyncKind.choices)
    resume_token = models.TextField(blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    requested_at = models.DateTimeField(
        null=True, blank=True, help_text="A run was queued (webhook, schedule) and has not started."
    )
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_summary = models.JSONField(default=dict, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["erp_connection", "kind"], name="synccursor_unique")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} from {self.erp_connection}"


class ERPVendor(models.Model):
    """A vendor as the ERP has it, kept so accountants can match, link or import it."""

    erp_connection = models.ForeignKey(
        ERPConnection, on_delete=models.CASCADE, related_name="+", verbose_name="ERP connection"
    )
    erp_id = models.CharField("ERP id", max_length=64)
    erp_version = models.CharField("ERP version", max_length=32, blank=True)
    display_name = models.CharField(max_length=500)
    company_name = models.CharField(max_length=500, blank=True)
    tax_id = models.CharField("tax id", max_length=20, blank=True)
    email = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    address_line1 = models.CharField(max_length=500, blank=True)
    city = models.CharField(max_length=255, blank=True)
    region = models.CharField(max_length=255, blank=True)
    postal_code = models.CharField(max_length=30, blank=True)
    country = models.CharField(max_length=255, blank=True)
    open_balance = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="What the company owes the vendor in the ERP, as of the last vendor sync.",
    )
    currency = models.CharField(max_length=3, blank=True)
    is_active = models.BooleanField(default=True)
    is_supplier = models.BooleanField(
        default=True,
        help_text="The ERP holds it as someone the company buys from (not only a customer).",
    )
    is_archived = models.BooleanField(
        default=False, help_text="An accountant said this vendor will not be used here."
    )
    seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name"]
        verbose_name = "ERP vendor"
        constraints = [
            models.UniqueConstraint(
                fields=["erp_connection", "erp_id"], name="erpvendor_unique_per_connection"
            )
        ]
        indexes = [models.Index(fields=["erp_connection", "is_active", "is_archived"])]

    def __str__(self):
        return self.display_name


class ERPJob(models.Model):
    """A job (sub-customer) as the ERP has it, kept so accountants can import or link it."""

    erp_connection = models.ForeignKey(
        ERPConnection, on_delete=models.CASCADE, related_name="+", verbose_name="ERP connection"
    )
    erp_id = models.CharField("ERP id", max_length=64)
    erp_version = models.CharField("ERP version", max_length=32, blank=True)
    display_name = models.CharField(max_length=500)
    fully_qualified_name = models.CharField(max_length=2000, blank=True)
    parent_erp_id = models.CharField("parent's ERP id", max_length=64, blank=True)
    parent_name = models.CharField(max_length=500, blank=True)
    address = models.CharField(max_length=500, blank=True)
    is_active = models.BooleanField(default=True)
    is_archived = models.BooleanField(default=False)
    seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name"]
        verbose_name = "ERP job"
        constraints = [
            models.UniqueConstraint(
                fields=["erp_connection", "erp_id"], name="erpjob_unique_per_connection"
            )
        ]

    def __str__(self):
        return self.fully_qualified_name or self.display_name


class ERPCostCode(models.Model):
    """An item of the ERP's standard cost-code list as last imported, kept so a cost code linked
    through an earlier connection can be re-linked to the connected ERP's item of the same code."""

    erp_connection = models.ForeignKey(
        ERPConnection, on_delete=models.CASCADE, related_name="+", verbose_name="ERP connection"
    )
    erp_id = models.CharField("ERP id", max_length=64)
    erp_version = models.CharField("ERP version", max_length=32, blank=True)
    code = models.CharField(max_length=100)
    name = models.CharField(max_length=500, blank=True)
    is_active = models.BooleanField(default=True)
    seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "ERP cost code"
        constraints = [
            models.UniqueConstraint(
                fields=["erp_connection", "erp_id"], name="erpcostcode_unique_per_connection"
            )
        ]

    def __str__(self):
        return f"{self.code} {self.name}".strip()


class ERPCustomer(models.Model):
    """A top-level customer as the ERP has it: the choices for a project's job at accept."""

    erp_connection = models.ForeignKey(
        ERPConnection, on_delete=models.CASCADE, related_name="+", verbose_name="ERP connection"
    )
    erp_id = models.CharField("ERP id", max_length=64)
    display_name = models.CharField(max_length=500)
    is_active = models.BooleanField(default=True)
    seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name"]
        verbose_name = "ERP customer"
        constraints = [
            models.UniqueConstraint(
                fields=["erp_connection", "erp_id"], name="erpcustomer_unique_per_connection"
            )
        ]

    def __str__(self):
        return self.display_name


class ERPBill(models.Model):
    """A vendor's bill as the ERP has it: what a new invoice is checked against for duplicates
    without asking the ERP while a person waits. Kept by the job-cost sync for every vendor."""

    erp_connection = models.ForeignKey(
        ERPConnection, on_delete=models.CASCADE, related_name="+", verbose_name="ERP connection"
    )
    erp_id = models.CharField("ERP id", max_length=64)
    vendor_erp_id = models.CharField("vendor's ERP id", max_length=64)
    number = models.CharField(max_length=50, blank=True)
    billed_on = models.DateField(null=True, blank=True)
    total = models.DecimalField(max_digits=16, decimal_places=2)
    pre_tax_total = models.DecimalField(
        max_digits=16, decimal_places=2, help_text="The total before any tax the ERP added."
    )
    balance = models.DecimalField(max_digits=16, decimal_places=2)
    is_voided = models.BooleanField(default=False)
    seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "ERP bill"
        constraints = [
            models.UniqueConstraint(
                fields=["erp_connection", "erp_id"], name="erpbill_unique_per_connection"
            )
        ]
        indexes = [
            models.Index(fields=["erp_connection", "vendor_erp_id"], name="erpbill_vendor_idx")
        ]

    def __str__(self):
        return self.number or self.erp_id


class JobCostType(models.TextChoices):
    """The kinds of integrations.data.JOB_COST_KINDS."""

    BILL = "bill", "Bill"
    EXPENSE = "expense", "Expense"
    CREDIT = "credit", "Vendor credit"


class JobCostTransaction(models.Model):
    """One line of an ERP bill, expense or vendor credit charged to a project's job (read-only)."""

    erp_connection = models.ForeignKey(
        ERPConnection, on_delete=models.CASCADE, related_name="+", verbose_name="ERP connection"
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="job_costs")
    txn_type = models.CharField("type", max_length=20, choices=JobCostType.choices)
    txn_id = models.CharField("ERP transaction id", max_length=64)
    line_id = models.CharField("ERP line id", max_length=64)
    txn_date = models.DateField("date", null=True, blank=True)
    doc_number = models.CharField(max_length=30, blank=True)
    vendor_erp_id = models.CharField("vendor's ERP id", max_length=64, blank=True)
    vendor_name = models.CharField(max_length=500, blank=True)
    cost_code = models.ForeignKey(
        CostCode, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    account_name = models.CharField(max_length=255, blank=True)
    description = models.CharField(max_length=4000, blank=True)
    amount = models.DecimalField(**MONEY, help_text="Negative for a vendor credit.")

    class Meta:
        ordering = ["project", "txn_date", "txn_type", "txn_id", "line_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["erp_connection", "txn_type", "txn_id", "line_id"],
                name="jobcost_unique_line",
            )
        ]
        indexes = [models.Index(fields=["project", "cost_code"], name="jobcost_project_code_idx")]

    def __str__(self):
        return f"{self.get_txn_type_display()} {self.doc_number or self.txn_id} line {self.line_id}"


class BillPaymentAllocation(models.Model):
    """How much of one exported bill one ERP bill payment paid."""

    erp_connection = models.ForeignKey(
        ERPConnection, on_delete=models.CASCADE, related_name="+", verbose_name="ERP connection"
    )
    payment_id = models.CharField("ERP payment id", max_length=64)
    bill_id = models.CharField("ERP bill id", max_length=64)
    amount = models.DecimalField(**MONEY)
    paid_on = models.DateField(null=True, blank=True)
    method = models.CharField(max_length=50, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["erp_connection", "payment_id", "bill_id"], name="billpayment_unique_bill"
            )
        ]
        indexes = [models.Index(fields=["erp_connection", "bill_id"], name="billpayment_bill_idx")]

    def __str__(self):
        return f"Payment {self.payment_id} of bill {self.bill_id}"
