from django.conf import settings as django_settings
from django.db import models

from integrations.crypto import EncryptedTextField, is_unreadable


class ERPKind(models.TextChoices):
    QUICKBOOKS_ONLINE = "quickbooks_online", "QuickBooks Online"
    XERO = "xero", "Xero"
    QUICKBOOKS_DESKTOP = "quickbooks_desktop", "QuickBooks Desktop"


class ERPConnection(models.Model):
    """One connected accounting company (QuickBooks realm, Xero tenant, or QuickBooks Desktop
    company file, named by the FileID its Web Connector file stamps into it)."""

    kind = models.CharField(max_length=32, choices=ERPKind.choices)
    company_id = models.CharField(
        max_length=64,
        help_text=(
            "QuickBooks realmId, Xero tenantId, or the FileID of a QuickBooks Desktop company."
        ),
    )
    company_name = models.CharField(max_length=255, blank=True)
    access_token = EncryptedTextField(blank=True)
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token = EncryptedTextField(blank=True)
    refresh_token_expires_at = models.DateTimeField(null=True, blank=True)
    settings = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per-company choices: retainage item, AP account, vendor types, tracking category.",
    )
    is_active = models.BooleanField(default=True)
    connected_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    connected_at = models.DateTimeField(auto_now_add=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "ERP connection"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "company_id"], name="erpconnection_unique_company"
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(is_active=True),
                name="erpconnection_one_active_per_kind",
            ),
        ]

    def __str__(self):
        label = self.company_name or self.company_id
        return f"{self.get_kind_display()}: {label}"

    @property
    def authorization_unreadable(self) -> bool:
        """The stored tokens no configured key decrypts (the key changed): it must be reconnected."""
        return is_unreadable(self.access_token) or is_unreadable(self.refresh_token)


class WebhookDelivery(models.Model):
    """A notification body already acted on, by its hash: a replay of it is ignored."""

    kind = models.CharField(max_length=32, choices=ERPKind.choices)
    body_sha256 = models.CharField("SHA-256 of the body", max_length=64)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "body_sha256"], name="webhookdelivery_unique_body"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} notification received {self.received_at:%Y-%m-%d %H:%M}"


class RateBudget(models.Model):
    """One row per connection, locked while a call is taken from its rate limits, so the
    workers of every machine count one budget (integrations.rate_limits)."""

    connection = models.OneToOneField(
        ERPConnection, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    paused_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The ERP throttled us anyway: no call to it starts before this.",
    )
    erp_window_opened_at = models.DateTimeField(
        "ERP window opened at",
        null=True,
        blank=True,
        help_text="For an ERP that counts calls in a fixed window and says how many are left: "
        "when its current window opened, at the latest (the answer that showed it).",
    )
    erp_window_remaining = models.PositiveIntegerField(
        "ERP window remaining",
        null=True,
        blank=True,
        help_text="The calls its last answer said are left in its window.",
    )

    class Meta:
        verbose_name = "rate-limit budget"

    def __str__(self):
        return f"Rate limits of {self.connection}"


class RateCall(models.Model):
    """One call to an ERP, counted against its connection's limits while it runs and for a
    window after its answer (for a day where the ERP has a daily budget)."""

    connection = models.ForeignKey(ERPConnection, on_delete=models.CASCADE, related_name="+")
    batch = models.BooleanField("batch request", default=False)
    started_at = models.DateTimeField()
    lease_until = models.DateTimeField(
        help_text="A call still running after this is presumed dead (its worker crashed): it "
        "no longer holds a place among the calls at once."
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    counts_until = models.DateTimeField(
        help_text="Until when it counts toward the calls per window."
    )

    class Meta:
        verbose_name = "call counted against rate limits"
        verbose_name_plural = "calls counted against rate limits"
        indexes = [
            models.Index(fields=["connection", "counts_until"], name="ratecall_window_idx"),
            models.Index(fields=["connection", "started_at"], name="ratecall_day_idx"),
        ]

    def __str__(self):
        what = "Batch request" if self.batch else "Request"
        return f"{what} to {self.connection} at {self.started_at:%Y-%m-%d %H:%M:%S}"
