"""`manage.py check --deploy`: QuickBooks Online's secrets still missing or left at the sandbox's."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

# The local sandbox's credentials, the defaults in config/settings.py: never Intuit's.
SANDBOX_SECRETS = {
    "CLIENT_ID": ("QBO_CLIENT_ID", "sandbox-client"),
    "CLIENT_SECRET": ("QBO_CLIENT_SECRET", "sandbox-secret"),
    "WEBHOOK_VERIFIER_TOKEN": ("QBO_WEBHOOK_VERIFIER_TOKEN", "sandbox-verifier"),
}


@register(Tags.security, deploy=True)
def quickbooks_secrets_are_set(app_configs, **kwargs):
    quickbooks = settings.QUICKBOOKS_ONLINE
    return [
        Warning(
            f"{variable} is not set: QuickBooks Online's {name.lower().replace('_', ' ')} "
            "is still the local sandbox's.",
            hint=f"Set {variable} to the value of your app in Intuit's developer portal.",
            # Its id from before it moved here, so a deployment that silenced it still does.
            id="integrations.W002",
        )
        for name, (variable, sandbox_value) in SANDBOX_SECRETS.items()
        if quickbooks.get(name, "") in ("", sandbox_value)
    ]
