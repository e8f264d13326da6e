"""Faults the control API injects into the Web Connector's next runs.

- `quickbooks_closed`: QuickBooks cannot be started (connectionError 0x80040408), `count` times;
- `file_in_use`: the company file is open in another mode (connectionError), `count` times;
- `wrong_password`: the Web Connector sends a mistyped password, `count` runs;
- `lost_answer`: QuickBooks stores the `after`-th request of the next run, then the connection
  drops before receiveResponseXML: the endpoint never hears the answer;
- `interrupt`: the run stops after the `after`-th answer is delivered (QBWC closed mid-way);
- `absent`: the Web Connector's computer is off for `seconds`: no run happens, "run now" too.
"""

from __future__ import annotations

import threading
import time

KINDS = ("quickbooks_closed", "file_in_use", "wrong_password", "lost_answer", "interrupt", "absent")


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._at: dict[str, int] = {}
        self._absent_until = 0.0

    def add(self, kind: str, count: int = 1, after: int = 1, seconds: float = 0.0) -> None:
        if kind not in KINDS:
            raise ValueError(f"Unknown fault {kind!r}; choose from {', '.join(KINDS)}.")
        if count < 1 or after < 1 or seconds < 0:
            raise ValueError("count and after are 1 or more, seconds 0 or more.")
        with self._lock:
            if kind == "absent":
                self._absent_until = time.time() + seconds
            elif kind in ("lost_answer", "interrupt"):
                self._at[kind] = after
            else:
                self._counts[kind] = count

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
            self._at.clear()
            self._absent_until = 0.0

    def take(self, kind: str) -> bool:
        """Whether this fault strikes now (one of its `count` strikes is used)."""
        with self._lock:
            left = self._counts.get(kind, 0)
            if left:
                self._counts[kind] = left - 1
            return left > 0

    def take_at(self, kind: str, exchange: int) -> bool:
        with self._lock:
            if self._at.get(kind) == exchange:
                del self._at[kind]
                return True
            return False

    def absent(self) -> bool:
        return time.time() < self._absent_until

    def state(self) -> dict:
        with self._lock:
            return {
                **{kind: left for kind, left in self._counts.items() if left},
                **{f"{kind}_after": at for kind, at in self._at.items()},
                "absent_for_seconds": max(0.0, round(self._absent_until - time.time(), 3)),
            }
