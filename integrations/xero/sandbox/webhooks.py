"""Webhooks as Xero sends them: thin events (CONTACT, INVOICE, CREDITNOTE; CREATE or UPDATE)
gathered for a moment and POSTed from a background thread, never from the request, with
`x-xero-signature` = base64 HMAC-SHA256 of the raw body keyed by the webhook key; and the
"intent to receive" check, which sends correctly and incorrectly signed empty payloads and
expects 200 for the first and 401 for the others.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import queue
import random
import string
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime

from . import wire
from .storage import ChangeEvent

logger = logging.getLogger(__name__)
MAX_SEQUENCE = 2**31 - 1


@dataclass
class WebhookSettings:
    url: str | None = None
    key: str = "sandbox-webhook-key"
    gather_seconds: float = 0.2


def sign(body: bytes, key: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def entropy() -> str:
    return "".join(random.choices(string.ascii_uppercase, k=20))  # noqa: S311 - not a secret


def event_time(epoch_ms: int) -> str:
    """`2024-06-21T01:15:39.902`: UTC without an offset, as Xero's events write it."""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def _post(url: str, body: bytes, signature: str) -> int:
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own setting
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "x-xero-signature": signature},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class WebhookNotifier:
    def __init__(self, settings: WebhookSettings, base_url: str = ""):
        self.settings = settings
        self.base_url = base_url
        self._sequence = 0
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="xero-sandbox-webhooks", daemon=True)
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

    def payload(self, events: list[ChangeEvent]) -> dict:
        first = self._sequence + 1
        self._sequence = (self._sequence + len(events) - 1) % MAX_SEQUENCE + 1
        shown = []
        for event in events:
            item = {
                "resourceUrl": f"{self.base_url}/api.xro/2.0/{event.resource}/{event.resource_id}",
                "resourceId": event.resource_id,
                "eventDateUtc": event_time(event.epoch_ms),
                "eventType": event.event_type,
                "eventCategory": event.category,
                "tenantId": event.tenant_id,
                "tenantType": "ORGANISATION",
            }
            if event.data is not None:
                item["data"] = event.data
            shown.append(item)
        return {
            "events": shown,
            "firstEventSequence": first,
            "lastEventSequence": self._sequence,
            "entropy": entropy(),
        }

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
        body = wire.dumps_bytes(self.payload(events))
        try:
            status = _post(settings.url, body, sign(body, settings.key))
        except (OSError, ValueError) as error:
            logger.warning("Webhook delivery to %s failed: %s", settings.url, error)
            return
        if status != 200:
            logger.warning("Webhook delivery to %s answered %s", settings.url, status)

    def intent_to_receive(self, *, good: int = 2, bad: int = 2) -> dict:
        """Xero's check of a new webhook URL: `good` correctly signed and `bad` incorrectly
        signed empty payloads; OK when every answer is 200 and 401 respectively."""
        settings = self.settings
        if not settings.url:
            raise ValueError("No webhook URL is set.")
        checks = []
        for correct in [True] * good + [False] * bad:
            body = wire.dumps_bytes(
                {
                    "events": [],
                    "firstEventSequence": 0,
                    "lastEventSequence": 0,
                    "entropy": entropy(),
                }
            )
            key = settings.key if correct else settings.key + "-wrong"
            try:
                status = _post(settings.url, body, sign(body, key))
            except (OSError, ValueError):
                status = None
            expected = 200 if correct else 401
            checks.append({"signed_correctly": correct, "status": status, "expected": expected})
        passed = all(check["status"] == check["expected"] for check in checks)
        return {"status": "OK" if passed else "FAILED", "checks": checks}
