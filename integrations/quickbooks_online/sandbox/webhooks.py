"""Webhook notifications for changes, posted from a background thread, never from the request.

Events are gathered for a short moment and sent as one signed POST (legacy `eventNotifications`
grouped per realm, or a CloudEvents array), with `intuit-signature` = base64 HMAC-SHA256 of the
body keyed by the verifier token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import queue
import threading
import urllib.request
import uuid
from dataclasses import dataclass

from . import wire
from .records import ChangeEvent

logger = logging.getLogger(__name__)

FORMATS = ("legacy", "cloudevents")
_CLOUD_VERBS = {"Create": "created", "Update": "updated", "Delete": "deleted", "Void": "voided"}


@dataclass
class WebhookSettings:
    url: str | None = None
    verifier: str = "sandbox-verifier"
    format: str = "legacy"
    gather_seconds: float = 0.2


def sign(body: bytes, verifier: str) -> str:
    digest = hmac.new(verifier.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _legacy_time(epoch: float) -> str:
    return wire.company_datetime(epoch).strftime("%Y-%m-%dT%H:%M:%S%z")


def legacy_body(events: list[ChangeEvent]) -> dict:
    realms: dict[str, list] = {}
    for event in events:
        realms.setdefault(event.realm_id, []).append(
            {
                "name": event.entity,
                "id": str(event.id),
                "operation": event.operation,
                "lastUpdated": _legacy_time(event.last_updated),
            }
        )
    return {
        "eventNotifications": [
            {"realmId": realm, "dataChangeEvent": {"entities": entities}}
            for realm, entities in realms.items()
        ]
    }


def cloudevents_body(events: list[ChangeEvent]) -> list:
    return [
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "intuit.sandbox",
            "type": f"qbo.{event.entity.lower()}.{_CLOUD_VERBS[event.operation]}.v1",
            "datacontenttype": "application/json",
            "time": wire.company_datetime(event.last_updated).isoformat(),
            "intuitentityid": str(event.id),
            "intuitaccountid": event.realm_id,
            "data": {},
        }
        for event in events
    ]


class WebhookNotifier:
    def __init__(self, settings: WebhookSettings | None = None):
        self.settings = settings or WebhookSettings()
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="qbo-sandbox-webhooks", daemon=True)
        self._thread.start()

    def publish(self, events: list[ChangeEvent]) -> None:
        if self.settings.url:
            for event in events:
                self._queue.put(event)

    def discard_pending(self) -> None:
        """Forget events not yet sent (a reset must not notify about the data it wiped)."""
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def _run(self) -> None:
        while True:
            events = [self._queue.get()]
            deadline = wire.now() + self.settings.gather_seconds
            while (remaining := deadline - wire.now()) > 0:
                try:
                    events.append(self._queue.get(timeout=remaining))
                except queue.Empty:
                    break
            try:
                self._deliver(events)
            except Exception:
                # The notifier must outlive any one bad delivery: log it and keep going.
                logger.exception("Webhook delivery failed")

    def _deliver(self, events: list[ChangeEvent]) -> None:
        settings = self.settings
        if not settings.url:
            return
        payload = legacy_body(events) if settings.format == "legacy" else cloudevents_body(events)
        body = wire.dumps_bytes(payload)
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own setting
            settings.url,
            data=body,
            method="POST",
            headers={
                "content-type": "application/json; charset=utf-8",
                "intuit-signature": sign(body, settings.verifier),
                "intuit-created-time": wire.envelope_time(),
                "intuit-t-id": str(uuid.uuid4()),
                "intuit-notification-schema-version": "0.1",
                "user-agent": "intuit_notification_server/0.1",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                response.read()
        except (OSError, ValueError) as error:
            logger.warning("Webhook delivery to %s failed: %s", settings.url, error)
