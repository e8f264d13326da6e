"""QuickBooks webhooks are trusted only with a valid `intuit-signature`, compared in constant time."""

import base64
import hashlib
import hmac
import json

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

VERIFIER = "test-verifier-token"
BODY = json.dumps({"eventNotifications": []}).encode()


@pytest.fixture(autouse=True)
def _verifier(settings):
    settings.SECURE_SSL_REDIRECT = False
    settings.QUICKBOOKS_ONLINE = {**settings.QUICKBOOKS_ONLINE, "WEBHOOK_VERIFIER_TOKEN": VERIFIER}


@pytest.fixture
def comparisons(monkeypatch):
    """Every hmac.compare_digest call, still answered by the real one."""
    calls = []
    real = hmac.compare_digest

    def recording(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    return calls


def signature(body: bytes, key: str = VERIFIER) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def as_bytes(value) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


def deliver(body: bytes, signature_value: str | None):
    headers = {} if signature_value is None else {"HTTP_INTUIT_SIGNATURE": signature_value}
    return Client(enforce_csrf_checks=True).post(
        reverse("quickbooks_online:webhooks"), body, content_type="application/json", **headers
    )


@pytest.mark.parametrize(
    "forged",
    [
        None,
        "",
        signature(BODY, key="someone-else"),
        signature(BODY)[:-4] + "AAA=",
        signature(BODY + b" "),
    ],
)
def test_a_missing_or_wrong_signature_is_refused(comparisons, forged):
    response = deliver(BODY, forged)

    assert response.status_code == 401


def test_the_signature_is_compared_in_constant_time(comparisons):
    forged = signature(BODY, key="someone-else")

    refused = deliver(BODY, forged)
    accepted = deliver(BODY, signature(BODY))

    assert refused.status_code == 401
    assert accepted.status_code == 200
    compared = [{as_bytes(a), as_bytes(b)} for a, b in comparisons]
    assert {forged.encode(), signature(BODY).encode()} in compared
    assert {signature(BODY).encode()} in compared
