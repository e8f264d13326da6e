"""Faults injected on demand through the control API: each rule applies to the next `count`
matching accounting requests (optionally one resource, such as `invoices`, and one method),
after letting the first `after` of them through (an import that stops on its third page)."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

KINDS = (
    "latency",  # sleep `seconds`, then answer
    "http_500",  # UnknownErrorException, nothing stored
    "http_503",  # "offline for maintenance", nothing stored
    "drop_after_commit",  # stored (all elements, or the first `elements`), then the socket closed
    "throttle",  # 429 for the limit named by `problem`
    "malformed_body",  # processed and stored, then half of the body sent
    "timeout",  # held `seconds` (default 130), then closed; nothing stored
)
PROBLEMS = ("minute", "day", "concurrent", "appminute")
DEFAULT_TIMEOUT_SECONDS = 130.0


@dataclass
class FaultRule:
    kind: str
    count: int = 1
    resource: str | None = None
    method: str | None = None
    seconds: float | None = None
    problem: str = "minute"
    after: int = 0
    # drop_after_commit: of a write's elements, only this many (the first) are stored
    elements: int | None = None

    def matches(self, method: str, resource: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        return not self.resource or self.resource.lower() == resource


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
        if rule.problem not in PROBLEMS:
            raise ValueError(f"problem must be one of {', '.join(PROBLEMS)}")
        if rule.count < 1:
            raise ValueError("count must be 1 or more")
        if rule.after < 0:
            raise ValueError("after must be 0 or more")
        if rule.elements is not None and rule.elements < 0:
            raise ValueError("elements must be 0 or more")
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

    def take(self, method: str, resource: str) -> dict[str, FaultRule]:
        """The rules that fire for this request (at most one of each kind), counted down."""
        fired: dict[str, FaultRule] = {}
        with self._lock:
            for rule in list(self._rules):
                if rule.kind in fired or not rule.matches(method, resource):
                    continue
                if rule.after:
                    rule.after -= 1
                    continue
                fired[rule.kind] = rule
                rule.count -= 1
                if rule.count == 0:
                    self._rules.remove(rule)
        return fired
