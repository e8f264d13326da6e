"""`manage.py check --deploy`: QuickBooks Online's secrets still missing or left at the sandbox's."""

from django.conf import settings
from django.core.checks import Tags, register

from integrations.checks import secrets_left_at_sandbox

# The local sandbox's credentials, the defaults in config/settings.py: never Intuit's.
SANDBOX_SECRETS = {
    "CLIENT_ID": ("QBO_CLIENT_ID", "sandbox-client"),
    "CLIENT_SECRET": ("QBO_CLIENT_SECRET", "sandbox-secret"),
    "WEBHOOK_VERIFIER_TOKEN": ("QBO_WEBHOOK_VERIFIER_TOKEN", "sandbox-verifier"),
}


@register(Tags.security, deploy=True)
def quickbooks_secrets_are_set(app_configs, **kwargs):
    return secrets_left_at_sandbox(
        settings.QUICKBOOKS_ONLINE,
        SANDBOX_SECRETS,
        erp_name="QuickBooks Online",
        portal="Intuit's developer portal",
        # Its id from before it moved here, so a deployment that silenced it still does.
        check_id="integrations.W002",
    )
