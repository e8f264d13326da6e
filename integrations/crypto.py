"""Encryption at rest for OAuth tokens and other secrets we must be able to read back.

Keys come from settings.FIELD_ENCRYPTION_KEYS, newest first: secrets are written with the first
and read with any, so a rotated key keeps older secrets readable until they are written again.
Without keys (the demo, the tests) one is derived from SECRET_KEY, and from each of
SECRET_KEY_FALLBACKS for reading. A secret no key can read is not an error: it reads as an
UnreadableSecret, which is empty (so the connection reads as disconnected until someone
reconnects) and keeps its ciphertext, so saving the row never destroys it.
"""

import base64
import hashlib
import logging
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver

logger = logging.getLogger(__name__)

KEY_SETTINGS = {
    "FIELD_ENCRYPTION_KEYS",
    "FIELD_ENCRYPTION_KEY",
    "SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
}


class UnreadableSecret(str):
    """A stored secret no configured key decrypts: empty to Python, its ciphertext kept."""

    def __new__(cls, ciphertext: str):
        secret = super().__new__(cls, "")
        secret.ciphertext = ciphertext
        return secret


def configured_keys() -> list[str]:
    """FIELD_ENCRYPTION_KEYS, newest first, or the single FIELD_ENCRYPTION_KEY; may be empty."""
    keys = [key for key in getattr(settings, "FIELD_ENCRYPTION_KEYS", []) if key]
    single = getattr(settings, "FIELD_ENCRYPTION_KEY", "")
    if single and single not in keys:
        keys.append(single)
    return keys


def _derived_key(secret_key: str) -> str:
    digest = hashlib.sha256(("field-encryption:" + secret_key).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


@cache
def _fernet() -> MultiFernet:
    keys = configured_keys() or [
        _derived_key(secret) for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    ]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "Each FIELD_ENCRYPTION_KEYS entry must be 32 url-safe base64-encoded bytes "
            "(Fernet.generate_key())."
        ) from exc


@receiver(setting_changed)
def _forget_keys(*, setting, **kwargs):
    if setting in KEY_SETTINGS:
        _fernet.cache_clear()


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    """The plaintext, or an UnreadableSecret when no configured key encrypted it."""
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        logger.warning(
            "A stored secret cannot be decrypted with the configured FIELD_ENCRYPTION_KEYS; "
            "it reads as disconnected until the ERP company is reconnected."
        )
        return UnreadableSecret(ciphertext)


def is_unreadable(value) -> bool:
    return isinstance(value, UnreadableSecret)


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python code only ever sees the plaintext."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        if is_unreadable(value):
            return value.ciphertext
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)
