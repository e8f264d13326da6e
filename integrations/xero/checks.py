"""`manage.py check --deploy`: Xero's app credentials still missing or left at the sandbox's."""

from django.conf import settings
from django.core.checks import Tags, register

from integrations.checks import secrets_left_at_sandbox

# The local sandbox's credentials, the defaults in config/settings.py: never Xero's.
SANDBOX_SECRETS = {
    "CLIENT_ID": ("XERO_CLIENT_ID", "sandbox-client"),
    "CLIENT_SECRET": ("XERO_CLIENT_SECRET", "sandbox-secret"),
    "WEBHOOK_KEY": ("XERO_WEBHOOK_KEY", "sandbox-webhook-key"),
}


@register(Tags.security, deploy=True)
def xero_secrets_are_set(app_configs, **kwargs):
    return secrets_left_at_sandbox(
        settings.XERO,
        SANDBOX_SECRETS,
        erp_name="Xero",
        portal="Xero's developer portal",
        check_id="xero.W001",
    )
