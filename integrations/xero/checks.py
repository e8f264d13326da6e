"""`manage.py check --deploy`: Xero's app credentials still missing or left at the sandbox's."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

# The local sandbox's credentials, the defaults in config/settings.py: never Xero's.
SANDBOX_SECRETS = {
    "CLIENT_ID": ("XERO_CLIENT_ID", "sandbox-client"),
    "CLIENT_SECRET": ("XERO_CLIENT_SECRET", "sandbox-secret"),
}


@register(Tags.security, deploy=True)
def xero_secrets_are_set(app_configs, **kwargs):
    xero = settings.XERO
    return [
        Warning(
            f"{variable} is not set: Xero's {name.lower().replace('_', ' ')} is still the local "
            "sandbox's.",
            hint=f"Set {variable} to the value of your app in Xero's developer portal.",
            id="xero.W001",
        )
        for name, (variable, sandbox_value) in SANDBOX_SECRETS.items()
        if xero.get(name, "") in ("", sandbox_value)
    ]
