"""A QuickBooks Desktop company reached through its Web Connector, the requests queued for it,
and every exchange the Web Connector had with us.

QuickBooks Desktop cannot be called: the Web Connector on the accountant's computer calls us
when it runs, collects the queued qbXML requests one by one and brings QuickBooks' answers back.
The queue lives here, in PostgreSQL, so every request, its answer and its timings are kept.
"""

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from integrations.models import ERPConnection


def _guid() -> str:
    """A GUID as the Web Connector writes them: upper case, in braces."""
    return "{" + str(uuid.uuid4()).upper() + "}"


class DesktopConnection(models.Model):
    """The Web Connector's side of one QuickBooks Desktop company: who it logs in as, how often
    it runs and the choices the exports and imports need."""

    connection = models.OneToOneField(
        ERPConnection,
        on_delete=models.CASCADE,
        related_name="desktop",
        verbose_name="ERP connection",
    )
    username = models.CharField(
        "Web Connector user name",
        max_length=64,
        unique=True,
        help_text="What the Web Connector sends when it logs in; written into the .qwc file.",
    )
    password_hash = models.CharField("Web Connector password (hashed)", max_length=256)
    run_every_minutes = models.PositiveIntegerField(
        "run every (minutes)",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(1440)],
        help_text="How often the Web Connector runs by itself, once its Auto-Run box is ticked.",
    )
    retainage_account = models.CharField(
        "retainage-payable account",
        max_length=159,
        default="Retainage Payable",
        help_text="The QuickBooks account (its full name) that retainage held on bills goes to.",
    )
    customer_type = models.CharField(
        "customers of type",
        max_length=159,
        blank=True,
        help_text=(
            "The QuickBooks customer type whose customers a project's job may go under; "
            "leave blank to offer every customer."
        ),
    )
    owner_id = models.CharField("owner ID", max_length=38, default=_guid, editable=False)
    file_id = models.CharField("file ID", max_length=38, default=_guid, editable=False)
    company_file = models.CharField(
        "company file",
        max_length=500,
        blank=True,
        help_text="The company file QuickBooks had open when the Web Connector last ran.",
    )
    supported_versions = models.CharField(
        "qbXML versions QuickBooks reads", max_length=500, blank=True
    )
    version_problem = models.TextField(
        blank=True, help_text="Why the last run stopped before any request: QuickBooks too old."
    )
    last_contact_at = models.DateTimeField("last run of the Web Connector", null=True, blank=True)

    class Meta:
        verbose_name = "QuickBooks Desktop connection"

    def __str__(self):
        return f"QuickBooks Desktop: {self.connection.company_name or self.username}"


class QuickBooksAccount(models.Model):
    """An account of the company's chart of accounts, as QuickBooks last answered it: the
    choices for the retainage-payable account and for the accounts items post to."""

    desktop = models.ForeignKey(
        DesktopConnection,
        on_delete=models.CASCADE,
        related_name="accounts",
        verbose_name="QuickBooks Desktop connection",
    )
    list_id = models.CharField("QuickBooks list ID", max_length=36)
    full_name = models.CharField(max_length=159)
    account_type = models.CharField(max_length=40, blank=True)
    account_number = models.CharField(max_length=7, blank=True)
    is_active = models.BooleanField(default=True)
    seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["full_name"]
        verbose_name = "QuickBooks account"
        constraints = [
            models.UniqueConstraint(fields=["desktop", "list_id"], name="qbdaccount_unique")
        ]

    def __str__(self):
        return self.full_name


class QuickBooksItem(models.Model):
    """An item of the company's item list and the account its purchase lines post to, as
    QuickBooks last answered it: a job line on an item posting to a balance-sheet account (the
    retainage item) is money held, never a cost of the job."""

    desktop = models.ForeignKey(
        DesktopConnection,
        on_delete=models.CASCADE,
        related_name="items",
        verbose_name="QuickBooks Desktop connection",
    )
    list_id = models.CharField("QuickBooks list ID", max_length=36)
    full_name = models.CharField(max_length=159)
    account_list_id = models.CharField(
        "list ID of the account its purchases post to", max_length=36, blank=True
    )
    seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["full_name"]
        verbose_name = "QuickBooks item"
        constraints = [
            models.UniqueConstraint(fields=["desktop", "list_id"], name="qbditem_unique")
        ]

    def __str__(self):
        return self.full_name


class SessionState(models.TextChoices):
    OPEN = "open", "Running"
    CLOSED = "closed", "Finished"
    FAILED = "failed", "Stopped with an error"
    INTERRUPTED = "interrupted", "Interrupted"


class WebConnectorSession(models.Model):
    """One run of the Web Connector: from its log-in (the ticket) to its closing call."""

    desktop = models.ForeignKey(
        DesktopConnection,
        on_delete=models.CASCADE,
        related_name="sessions",
        verbose_name="QuickBooks Desktop connection",
    )
    ticket = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=12, choices=SessionState.choices, default=SessionState.OPEN)
    started_at = models.DateTimeField(auto_now_add=True)
    last_call_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    qbxml_version = models.CharField("qbXML version agreed", max_length=10, blank=True)
    last_error = models.TextField(
        blank=True, help_text="What the Web Connector shows the accountant after an error."
    )
    wait_instead = models.BooleanField(
        default=False,
        help_text="The next question about the last error is answered with a short pause.",
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "Web Connector run"

    def __str__(self):
        return f"Web Connector run of {self.started_at:%Y-%m-%d %H:%M} ({self.get_state_display()})"


class RequestState(models.TextChoices):
    QUEUED = "queued", "Waiting for the Web Connector"
    READING = "reading", "Being read in pages"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    # An approver withdrew it before the Web Connector collected it: it is never sent.
    CANCELLED = "cancelled", "Cancelled"


class QueuedRequest(models.Model):
    """One qbXML request waiting for the Web Connector, served in the order it was queued.

    A query read in pages (an iterator) stays READING between its pages, tied to the run that
    started it: QuickBooks forgets an iterator when its session ends, so a run that ends before
    the last page puts the request back in the queue, to be read again from the start.
    """

    desktop = models.ForeignKey(
        DesktopConnection,
        on_delete=models.CASCADE,
        related_name="requests",
        verbose_name="QuickBooks Desktop connection",
    )
    purpose = models.CharField(max_length=200)
    operation = models.CharField(
        "qbXML request", max_length=60, help_text="The request element, e.g. VendorQueryRq."
    )
    body = models.TextField(help_text="The request element, without its iterator attributes.")
    state = models.CharField(
        max_length=10, choices=RequestState.choices, default=RequestState.QUEUED
    )
    session = models.ForeignKey(
        WebConnectorSession,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="Web Connector run reading it",
    )
    iterator_id = models.CharField("QuickBooks iterator ID", max_length=64, blank=True)
    pages_read = models.PositiveIntegerField(default=0)
    changed_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A read of changes: what QuickBooks changed (or deleted) since this moment.",
    )
    newest_seen = models.DateTimeField(
        null=True,
        blank=True,
        help_text=(
            "The latest time of change (or deletion) QuickBooks answered with: the next read "
            "asks from there, in QuickBooks' own clock."
        ),
    )
    whole_history = models.BooleanField(
        default=False,
        help_text=(
            "Part of a job-cost read of everything QuickBooks holds, not only what changed: "
            "it brings the whole history of a project whose job costs were never read."
        ),
    )
    queued_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    problem = models.TextField(blank=True)
    # An export: the record and its export attempt the answer settles, the request built only
    # when the Web Connector collects it (so it carries QuickBooks' state of that moment).
    model_label = models.CharField("record type", max_length=100, blank=True)
    record_id = models.PositiveBigIntegerField("record", null=True, blank=True)
    export_attempt = models.PositiveIntegerField(null=True, blank=True)
    export_key = models.CharField(
        "export attempt key",
        max_length=100,
        blank=True,
        help_text="The transport key of the export attempt: one request per attempt.",
    )
    look_up_first = models.BooleanField(
        "look up before adding",
        default=False,
        help_text=(
            "An Add was handed over and its answer never came back: QuickBooks may hold the "
            "document, so it is looked up by name before it is ever added again."
        ),
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = "queued QuickBooks request"
        indexes = [models.Index(fields=["desktop", "state"])]
        constraints = [
            models.UniqueConstraint(
                fields=["desktop", "export_key"],
                condition=~models.Q(export_key=""),
                name="qbdrequest_one_per_export_attempt",
            )
        ]

    def __str__(self):
        return f"{self.purpose} ({self.get_state_display()})"

    @property
    def is_export(self) -> bool:
        return self.record_id is not None


class Exchange(models.Model):
    """One request handed to the Web Connector and what came back, with its timings."""

    session = models.ForeignKey(
        WebConnectorSession,
        on_delete=models.CASCADE,
        related_name="exchanges",
        verbose_name="Web Connector run",
    )
    request = models.ForeignKey(
        QueuedRequest,
        null=True,
        on_delete=models.SET_NULL,
        related_name="exchanges",
        verbose_name="queued request",
    )
    request_xml = models.TextField("qbXML sent")
    response_xml = models.TextField("qbXML received", blank=True)
    status_code = models.IntegerField(null=True, blank=True)
    status_severity = models.CharField(max_length=10, blank=True)
    status_message = models.TextField(blank=True)
    hresult = models.CharField("error code from the Web Connector", max_length=20, blank=True)
    message = models.TextField("message from the Web Connector", blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = "Web Connector exchange"

    def __str__(self):
        answer = "no answer yet" if self.answered_at is None else f"status {self.status_code}"
        return f"Exchange {self.pk} ({answer})"

    @property
    def qbxml_request_id(self) -> str:
        """The qbXML requestID: names the exchange, so an answer is matched to its request."""
        return f"x{self.pk}"
