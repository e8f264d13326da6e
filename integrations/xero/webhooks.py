"""Xero's webhooks: verify, then queue the imports the events concern.

`x-xero-signature` is base64(HMAC-SHA256(webhook key, raw body)); a body whose signature does
not check out is answered 401 and nothing of it is read. That is also how Xero's "intent to
receive" check works: correctly signed empty payloads must get 200, wrongly signed ones 401.
Xero wants 200 with no body within 5 seconds, so the imports run as tasks.

Events are thin (a category and the id of what changed): a CONTACT event queues the contact
import, an INVOICE or CREDITNOTE event the job-cost import (which also reads payments and
flags exported bills changed since). A signed body of another shape is refused with 400.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from approvals.inbound import sync_requested
from approvals.models import SyncKind
from integrations.models import ERPConnection, ERPKind

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-xero-signature"
NOT_AN_EVENT_LIST = "The body is not a list of Xero events."
SYNC_OF_CATEGORY = {
    "CONTACT": SyncKind.VENDORS,
    "INVOICE": SyncKind.JOB_COSTS,
    "CREDITNOTE": SyncKind.JOB_COSTS,
}


class UnexpectedShape(ValueError):
    """A signed body that is not Xero's event payload."""


def signature_is_valid(body: bytes, signature: str, key: str) -> bool:
    if not signature or not key:
        return False
    expected = base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.strip().encode())


def affected_syncs(payload) -> set[tuple[str, str]]:
    """(tenant id, sync kind) pairs the events name; categories we do not import are skipped."""
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise UnexpectedShape("no list of events")
    found = set()
    for event in payload["events"]:
        if not isinstance(event, dict):
            raise UnexpectedShape("an event is not an object")
        kind = SYNC_OF_CATEGORY.get(str(event.get("eventCategory", "")).upper())
        tenant = str(event.get("tenantId") or "")
        if kind and tenant:
            found.add((tenant, kind))
    return found


def _queue_syncs(wanted: set[tuple[str, str]]) -> None:
    connections = {
        connection.company_id.lower(): connection
        for connection in ERPConnection.objects.filter(kind=ERPKind.XERO, is_active=True)
    }
    for tenant, kind in sorted(wanted):
        connection = connections.get(tenant.lower())
        if connection is None:
            logger.info(
                "Xero webhook for organisation %s, which is not connected; ignored.", tenant
            )
            continue
        sync_requested(connection=connection, kind=kind)


@csrf_exempt
@require_POST
def notifications(request: HttpRequest) -> HttpResponse:
    body = request.body
    key = settings.XERO.get("WEBHOOK_KEY", "")
    if not signature_is_valid(body, request.headers.get(SIGNATURE_HEADER, ""), key):
        return HttpResponse(status=401)
    try:
        wanted = affected_syncs(json.loads(body))
    except (ValueError, RecursionError) as error:
        logger.warning("Signed Xero webhook of an unexpected shape refused: %s", str(error)[:200])
        return HttpResponse(NOT_AN_EVENT_LIST, status=400, content_type="text/plain")
    _queue_syncs(wanted)
    return HttpResponse(status=200)
