"""Faults injected on demand through the control API: each rule applies to the next `count`
matching company API requests (optionally only one entity and one HTTP method)."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

KINDS = (
    "latency",
    "http_500",
    "http_503",
    "drop_after_commit",
    "throttle",
    "malformed_body",
    "xml_error",
    "timeout",
    "drop_mid_batch",
)
DEFAULT_TIMEOUT_SECONDS = 130.0


@dataclass
class FaultRule:
    kind: str
    count: int = 1
    entity: str | None = None
    method: str | None = None
    seconds: float | None = None
    items: int | None = None
    """drop_mid_batch: how many of the batch's items QuickBooks stores before its answer is lost."""

    def matches(self, method: str, resources: tuple[str, ...]) -> bool:
        if self.method and self.method.upper() != method:
            return False
        return not self.entity or self.entity.lower() in resources


class FaultBoard:
    def __init__(self):
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self.released = threading.Event()

    def add(self, rule: FaultRule) -> None:
        if rule.kind not in KINDS:
            raise ValueError(
                f"Unknown fault kind {rule.kind!r}; expected one of {', '.join(KINDS)}"
            )
        if rule.count < 1:
            raise ValueError("count must be 1 or more")
        with self._lock:
            self._rules.append(rule)
            self.released.clear()

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
        # Requests held by a "timeout" fault are let go rather than left hanging.
        self.released.set()

    def rules(self) -> list[dict]:
        with self._lock:
            return [asdict(rule) for rule in self._rules]

    def take(self, method: str, resources: tuple[str, ...]) -> list[FaultRule]:
        """The rules that fire for this request (at most one of each kind), counted down."""
        fired: list[FaultRule] = []
        with self._lock:
            for rule in list(self._rules):
                if any(f.kind == rule.kind for f in fired) or not rule.matches(method, resources):
                    continue
                fired.append(rule)
                rule.count -= 1
                if rule.count == 0:
                    self._rules.remove(rule)
        return fired
