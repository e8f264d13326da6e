"""`manage.py check --deploy`: each production secret still missing or left at its demo value.

Each ERP's own secrets are checked by its folder's app (integrations/<erp>/checks.py), so only
the ERPs installed are.
"""

from cryptography.fernet import Fernet
from django.core.checks import Error, Tags, Warning, register

from integrations.crypto import configured_keys


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
    return problems
