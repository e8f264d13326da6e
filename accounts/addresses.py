"""The address a request came from, as far as the proxies we trust can tell."""

import ipaddress

from django.conf import settings


def client_address(request) -> str:
    """REMOTE_ADDR, or with TRUSTED_PROXY_HOPS = N the address the outermost of our N proxies
    saw: the Nth entry from the right of X-Forwarded-For. Entries further left are whatever the
    client chose to send, so they are never used; a header shorter than N entries or not an
    address means the proxies are not set up as configured, and REMOTE_ADDR is used."""
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXY_HOPS
    if hops <= 0:
        return remote
    forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(forwarded) < hops or not _is_address(forwarded[-hops]):
        return remote
    return forwarded[-hops]


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
