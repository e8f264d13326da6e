"""QuickBooks Online change notifications: verify, then queue the affected imports.

The `intuit-signature` header is base64(HMAC-SHA256(verifier token, raw body)); nothing is read
or done before it checks out (401 otherwise). Both payload forms are understood: the legacy
{"eventNotifications": [...]} object and the CloudEvents array. The answer comes at once: the
imports run as tasks (QuickBooks wants an answer within 3 seconds).

A signed body of any other shape is refused with 400 and logged. A body already acted on within
REPLAY_WINDOW (Intuit retries for about 100 minutes) is answered 200 and ignored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from approvals.inbound import sync_requested
from approvals.models import SyncKind
from integrations.models import ERPConnection, ERPKind, WebhookDelivery

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "intuit-signature"
REPLAY_WINDOW = timedelta(days=1)
NOT_A_NOTIFICATION = "The body is not a QuickBooks Online notification."
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


class UnexpectedShape(ValueError):
    """A signed body that is neither payload form Intuit documents."""


def affected_syncs(payload) -> set[tuple[str, str]]:
    """(realm id, sync kind) pairs named by a notification, in either payload form.

    Entities this site does not import are skipped; a body of another shape raises
    UnexpectedShape.
    """
    if isinstance(payload, dict):
        return _legacy_syncs(payload)
    if isinstance(payload, list):
        return {_cloud_event_sync(event) for event in payload} - {None}
    raise UnexpectedShape("neither an object nor an array")


def _legacy_syncs(payload: dict) -> set[tuple[str, str]]:
    found = set()
    for notification in _list_of_objects(payload.get("eventNotifications"), "eventNotifications"):
        realm = str(notification.get("realmId", ""))
        change = notification.get("dataChangeEvent")
        if not isinstance(change, dict):
            raise UnexpectedShape("dataChangeEvent is not an object")
        for entity in _list_of_objects(change.get("entities"), "entities"):
            kind = KIND_OF_ENTITY.get(str(entity.get("name", "")).lower())
            if realm and kind:
                found.add((realm, kind))
    return found


def _cloud_event_sync(event) -> tuple[str, str] | None:
    if not isinstance(event, dict):
        raise UnexpectedShape("an event is not an object")
    realm = str(event.get("intuitaccountid", ""))
    parts = str(event.get("type", "")).split(".")
    kind = KIND_OF_ENTITY.get(parts[1].lower()) if len(parts) >= 3 else None
    return (realm, kind) if realm and kind else None


def _list_of_objects(value, name: str) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise UnexpectedShape(f"{name} is not a list of objects")
    return value


def _first_delivery(body: bytes) -> bool:
    """Remember this body; False when it was already acted on within the replay window."""
    now = timezone.now()
    WebhookDelivery.objects.filter(received_at__lt=now - REPLAY_WINDOW).delete()
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(
                kind=ERPKind.QUICKBOOKS_ONLINE, body_sha256=hashlib.sha256(body).hexdigest()
            )
    except IntegrityError:
        return False
    return True


def _queue_syncs(wanted: set[tuple[str, str]]) -> None:
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
        sync_requested(connection=connection, kind=kind)


@csrf_exempt
@require_POST
def notifications(request: HttpRequest) -> HttpResponse:
    body = request.body
    token = settings.QUICKBOOKS_ONLINE.get("WEBHOOK_VERIFIER_TOKEN", "")
    if not signature_is_valid(body, request.headers.get(SIGNATURE_HEADER, ""), token):
        return HttpResponse("Invalid signature.", status=401, content_type="text/plain")
    try:
        wanted = affected_syncs(json.loads(body))
    except (ValueError, RecursionError) as error:
        # ValueError covers malformed JSON and UnexpectedShape; nesting deep enough to exhaust
        # the parser raises RecursionError.
        logger.warning("Signed webhook of an unexpected shape refused: %s", str(error)[:200])
        return HttpResponse(NOT_A_NOTIFICATION, status=400, content_type="text/plain")
    # Remembered with what it queues: a notification that failed here is not taken for a
    # replay when Intuit sends it again.
    with transaction.atomic():
        if not _first_delivery(body):
            logger.info("Webhook notification already received; the replay is ignored.")
            return HttpResponse(status=200)
        _queue_syncs(wanted)
    return HttpResponse(status=200)
