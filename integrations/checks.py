"""`manage.py check --deploy`: each production secret still missing or left at its demo value."""

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from integrations.crypto import configured_keys

# The local sandbox's credentials, the defaults in config/settings.py: never Intuit's.
SANDBOX_SECRETS = {
    "CLIENT_ID": ("QBO_CLIENT_ID", "sandbox-client"),
    "CLIENT_SECRET": ("QBO_CLIENT_SECRET", "sandbox-secret"),
    "WEBHOOK_VERIFIER_TOKEN": ("QBO_WEBHOOK_VERIFIER_TOKEN", "sandbox-verifier"),
}


@register(Tags.security)
def encryption_keys_are_valid(app_configs, **kwargs):
    problems = []
    for key in configured_keys():
        try:
            Fernet(key)
        except ValueError:
            problems.append(
                Error(
                    "An entry of FIELD_ENCRYPTION_KEYS (or FIELD_ENCRYPTION_KEY) is not a Fernet "
                    "key.",
                    hint="Each key is 32 url-safe base64-encoded bytes: "
                    "python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'",
                    id="integrations.E001",
                )
            )
    return problems


@register(Tags.security, deploy=True)
def production_secrets_are_set(app_configs, **kwargs):
    problems = []
    if not configured_keys():
        problems.append(
            Warning(
                "FIELD_ENCRYPTION_KEYS is not set, so OAuth tokens are encrypted with a key derived "
                "from SECRET_KEY: rotating SECRET_KEY would disconnect the ERP.",
                hint="Set FIELD_ENCRYPTION_KEYS to a key of its own (Fernet.generate_key()); when "
                "rotating, put the new key first and keep the old ones after it.",
                id="integrations.W001",
            )
        )
    quickbooks = settings.QUICKBOOKS_ONLINE
    for name, (variable, sandbox_value) in SANDBOX_SECRETS.items():
        if quickbooks.get(name, "") in ("", sandbox_value):
            problems.append(
                Warning(
                    f"{variable} is not set: QuickBooks Online's {name.lower().replace('_', ' ')} "
                    "is still the local sandbox's.",
                    hint=f"Set {variable} to the value of your app in Intuit's developer portal.",
                    id="integrations.W002",
                )
            )
    return problems
