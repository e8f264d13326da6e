from django.db import models


class LoginThrottle(models.Model):
    """Failed sign-ins of one account from one address, kept in the database so every web
    worker counts the same failures. The row goes away with the next successful sign-in."""

    username = models.CharField(max_length=150, help_text="Case-folded, as typed.")
    address = models.CharField(max_length=45)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["username", "address"], name="loginthrottle_one_per_account_and_address"
            )
        ]

    def __str__(self):
        return f"{self.username} from {self.address}: {self.failures} failed"
