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


def secrets_left_at_sandbox(
    values: dict, secrets: dict[str, tuple[str, str]], *, erp_name: str, portal: str, check_id: str
) -> list[Warning]:
    """A warning for each of an ERP's settings (name -> (environment variable, the local
    sandbox's value)) still empty or the sandbox's."""
    return [
        Warning(
            f"{variable} is not set: {erp_name}'s {name.lower().replace('_', ' ')} is still the "
            "local sandbox's.",
            hint=f"Set {variable} to the value of your app in {portal}.",
            id=check_id,
        )
        for name, (variable, sandbox_value) in secrets.items()
        if values.get(name, "") in ("", sandbox_value)
    ]


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
