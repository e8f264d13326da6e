"""Fault rules the sandbox's control API cannot express, added to the in-process sandbox's board.

The control API scopes a fault by entity and HTTP method, but a look-up names its entity too
(`POST /query` with `SELECT * FROM Vendor ...`), so a fault meant for the create of a vendor
would fire on the look-up before it instead. `WriteFault` fires only on the write itself;
`BatchWriteFault` only on a batch request carrying writes of its entity; `RandomFault` fires on a share of all company API requests, drawn from a seeded generator.
Both go through the sandbox's own FaultBoard, so the sandbox answers exactly as it does for
faults set through the control API.
"""

from __future__ import annotations

import random
import threading
from collections import Counter

from integrations.quickbooks_online.sandbox.chaos import FaultRule

ENDLESS = 10**9


class WriteFault(FaultRule):
    """`kind` on the next `count` writes (creates and updates) of one entity."""

    def __init__(self, kind: str, *, entity: str, count: int = 1, seconds: float | None = None):
        super().__init__(
            kind=kind, count=count, entity=entity.lower(), method="POST", seconds=seconds
        )
        self.fired = threading.Event()

    def matches(self, method: str, resources: tuple[str, ...]) -> bool:
        if method == "POST" and resources == (self.entity,):
            self.fired.set()
            return True
        return False


class BatchWriteFault(FaultRule):
    """`kind` on the next `count` batch requests that carry writes of one entity (a batch of
    vendor creates, say), whatever else it carries; never on a request of that entity alone."""

    def __init__(self, kind: str, *, entity: str, count: int = 1, seconds: float | None = None):
        super().__init__(
            kind=kind, count=count, entity=entity.lower(), method="POST", seconds=seconds
        )
        self.fired = threading.Event()

    def matches(self, method: str, resources: tuple[str, ...]) -> bool:
        if method == "POST" and resources[:1] == ("batch",) and self.entity in resources[1:]:
            self.fired.set()
            return True
        return False


class RandomFault(FaultRule):
    """`kind` on each company API request with probability `share`."""

    def __init__(
        self, kind: str, *, share: float, rng: random.Random, seconds: float | None = None
    ):
        super().__init__(kind=kind, count=ENDLESS, seconds=seconds)
        self.share = share
        self.rng = rng
        self._lock = threading.Lock()

    def matches(self, method: str, resources: tuple[str, ...]) -> bool:
        with self._lock:
            return self.rng.random() < self.share


def add_fault(sandbox_server, rule: FaultRule) -> FaultRule:
    sandbox_server.sandbox.faults.add(rule)
    return rule


def api_requests(request_log: list[dict]) -> list[dict]:
    """The company API requests of a request log (not OAuth, not discovery)."""
    return [entry for entry in request_log if "/v3/company/" in entry["path"]]


def faults_fired(request_log: list[dict]) -> Counter:
    return Counter(kind for entry in request_log for kind in entry.get("faults") or [])


class FaultAfter(FaultRule):
    """`kind` on every company API request after `after` has fired its last time.

    Add it before `after`: the board checks rules in order, so the request `after` fires on
    still finds it counting and is left alone by this rule.
    """

    def __init__(self, kind: str, *, after: FaultRule):
        super().__init__(kind=kind, count=ENDLESS)
        self.after = after

    def matches(self, method: str, resources: tuple[str, ...]) -> bool:
        return self.after.count == 0
