"""QuickBooks Online change notifications: verify, then queue the affected imports.

The `intuit-signature` header is base64(HMAC-SHA256(verifier token, raw body)); nothing is read
or done before it checks out (401 otherwise). Both payload forms are understood: the legacy
{"eventNotifications": [...]} object and the CloudEvents array. The answer comes at once: the
imports run as tasks (QuickBooks wants an answer within 3 seconds).
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

from approvals.models import SyncKind
from approvals.services.sync_schedule import sync_request
from integrations.models import ERPConnection, ERPKind

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "intuit-signature"
KIND_OF_ENTITY = {
    "vendor": SyncKind.VENDORS,
    "customer": SyncKind.JOBS,
    "item": SyncKind.COST_CODES,
    "bill": SyncKind.JOB_COSTS,
    "purchase": SyncKind.JOB_COSTS,
    "vendorcredit": SyncKind.JOB_COSTS,
    "billpayment": SyncKind.JOB_COSTS,
    # Our exported purchase orders: the job-cost sync flags changes made after the export.
    "purchaseorder": SyncKind.JOB_COSTS,
}


def signature_is_valid(body: bytes, signature: str, verifier_token: str) -> bool:
    if not signature or not verifier_token:
        return False
    expected = base64.b64encode(
        hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    ).decode()
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


def affected_syncs(payload) -> set[tuple[str, str]]:
    """(realm id, sync kind) pairs named by a notification, in either payload form."""
    found: set[tuple[str, str]] = set()
    if isinstance(payload, dict):
        for notification in payload.get("eventNotifications") or []:
            if not isinstance(notification, dict):
                continue
            realm = str(notification.get("realmId", ""))
            change = notification.get("dataChangeEvent") or {}
            for entity in change.get("entities") or [] if isinstance(change, dict) else []:
                kind = KIND_OF_ENTITY.get(str((entity or {}).get("name", "")).lower())
                if realm and kind:
                    found.add((realm, kind))
    elif isinstance(payload, list):
        for event in payload:
            if not isinstance(event, dict):
                continue
            realm = str(event.get("intuitaccountid", ""))
            parts = str(event.get("type", "")).split(".")
            kind = KIND_OF_ENTITY.get(parts[1].lower()) if len(parts) >= 3 else None
            if realm and kind:
                found.add((realm, kind))
    return found


@csrf_exempt
@require_POST
def notifications(request: HttpRequest) -> HttpResponse:
    body = request.body
    token = settings.QUICKBOOKS_ONLINE.get("WEBHOOK_VERIFIER_TOKEN", "")
    if not signature_is_valid(body, request.headers.get(SIGNATURE_HEADER, ""), token):
        return HttpResponse("Invalid signature.", status=401, content_type="text/plain")
    try:
        payload = json.loads(body)
    except ValueError:
        return HttpResponse("The body is not JSON.", status=400, content_type="text/plain")
    wanted = affected_syncs(payload)
    connections = {
        connection.company_id: connection
        for connection in ERPConnection.objects.filter(
            kind=ERPKind.QUICKBOOKS_ONLINE,
            is_active=True,
            company_id__in={realm for realm, _ in wanted},
        )
    }
    for realm, kind in sorted(wanted):
        connection = connections.get(realm)
        if connection is None:
            logger.info("Webhook for realm %s, which is not connected; ignored.", realm)
            continue
        sync_request(connection=connection, kind=kind)
    return HttpResponse(status=200)
