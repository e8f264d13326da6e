"""The company file: list and transaction records in SQLite, as QuickBooks keeps their identity.

Every record is stored as the fields of its `...Ret` (a JSON object, lines included) beside the
columns the queries filter on. Identifiers look like QuickBooks' own: ListID / TxnID /
TxnLineID `<hex counter>-<unix time>`, EditSequence the time of the last change (always
increasing, so a stale one is told apart). Customers (jobs included), vendors, employees and
other names share one name space, compared by full name without regard to case.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime

NAME_KINDS = ("Customer", "Vendor", "Employee", "OtherName")
ITEM_KINDS = ("ItemService", "ItemOtherCharge")
LIST_KINDS = (*NAME_KINDS, *ITEM_KINDS, "Account")
TXN_KINDS = (
    "PurchaseOrder",
    "Bill",
    "Check",
    "CreditCardCharge",
    "VendorCredit",
    "BillPaymentCheck",
    "BillPaymentCreditCard",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name_space TEXT,
    name_key TEXT,
    body TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS one_name ON records (name_space, name_key)
    WHERE name_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS deleted (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    created TEXT NOT NULL,
    deleted_at REAL NOT NULL,
    label TEXT
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


def name_space_of(kind: str) -> str:
    if kind in NAME_KINDS:
        return "names"
    if kind in ITEM_KINDS:
        return "items"
    return kind


def stamp(moment: float) -> str:
    """QuickBooks' DATETIMETYPE with its offset (the sandbox's clock is UTC)."""
    return datetime.fromtimestamp(int(moment), UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


class Books:
    """One company file. Thread-safe: one writer at a time, as QuickBooks' own lock."""

    def __init__(self, path: str):
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        # A sandbox's file: durable at each commit against a crash of the process, not of the
        # machine (WAL with NORMAL sync), which keeps a request's commit cheap.
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._last_sequence = 0

    def close(self) -> None:
        self._conn.close()

    def wipe(self) -> None:
        with self.transaction():
            for table in ("records", "deleted", "counters"):
                self._conn.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed table names)

    @contextmanager
    def transaction(self):
        """All or nothing: one request's changes land together or not at all."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # Identity -------------------------------------------------------------------------------

    def _count(self, name: str) -> int:
        row = self._conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        value = (row["value"] if row else 0) + 1
        self._conn.execute(
            "INSERT INTO counters (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )
        return value

    def new_id(self, family: str) -> str:
        """A ListID (family "list"), TxnID ("txn") or TxnLineID ("line")."""
        start = {"list": 0x80000000, "txn": 0x10, "line": 0x20}[family]
        return f"{start + self._count(family):X}-{int(time.time())}"

    def txn_number(self) -> int:
        return self._count("txn_number")

    def edit_sequence(self) -> str:
        self._last_sequence = max(int(time.time()), self._last_sequence + 1)
        return str(self._last_sequence)

    # Records --------------------------------------------------------------------------------

    def _row_to_record(self, row) -> dict:
        return {"kind": row["kind"], **json.loads(row["body"])}

    def _read(self, sql: str, parameters=()) -> list:
        # One connection for every thread: a read waits for a write in progress to finish.
        with self._lock:
            return self._conn.execute(sql, parameters).fetchall()

    def get(self, record_id: str) -> dict | None:
        rows = self._read("SELECT * FROM records WHERE id = ?", (record_id,))
        return self._row_to_record(rows[0]) if rows else None

    def by_name(self, name_space: str, full_name: str) -> dict | None:
        rows = self._read(
            "SELECT * FROM records WHERE name_space = ? AND name_key = ?",
            (name_space, full_name.upper()),
        )
        return self._row_to_record(rows[0]) if rows else None

    def all(self, kinds: tuple[str, ...]) -> list[dict]:
        marks = ",".join("?" * len(kinds))
        rows = self._read(
            f"SELECT * FROM records WHERE kind IN ({marks}) ORDER BY rowid",  # noqa: S608
            kinds,
        )
        return [self._row_to_record(row) for row in rows]

    def save(self, kind: str, record: dict) -> dict:
        """Insert or replace; the caller has set the identity fields."""
        record_id = record.get("ListID") or record["TxnID"]
        name_key = record["FullName"].upper() if "FullName" in record else None
        body = {key: value for key, value in record.items() if key != "kind"}
        self._conn.execute(
            "INSERT INTO records (id, kind, name_space, name_key, body) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET name_space = excluded.name_space, "
            "name_key = excluded.name_key, body = excluded.body",
            (record_id, kind, name_space_of(kind), name_key, json.dumps(body)),
        )
        return {"kind": kind, **body}

    def name_taken(self, kind: str, full_name: str, except_id: str | None = None) -> dict | None:
        found = self.by_name(name_space_of(kind), full_name)
        if found and (found.get("ListID") or found.get("TxnID")) != except_id:
            return found
        return None

    def delete(self, record_id: str) -> dict | None:
        """Remove a record as a user deleting it in QuickBooks; deletion queries see it."""
        with self.transaction():
            record = self.get(record_id)
            if record is None:
                return None
            self._conn.execute("DELETE FROM records WHERE id = ?", (record_id,))
            label = record.get("FullName") or record.get("RefNumber")
            self._conn.execute(
                "INSERT INTO deleted (id, kind, created, deleted_at, label) VALUES (?,?,?,?,?)",
                (record_id, record["kind"], record["TimeCreated"], time.time(), label),
            )
            return record

    def deleted(self, kinds: tuple[str, ...]) -> list[dict]:
        marks = ",".join("?" * len(kinds))
        rows = self._read(
            f"SELECT * FROM deleted WHERE kind IN ({marks}) ORDER BY deleted_at",  # noqa: S608
            kinds,
        )
        return [dict(row) for row in rows]

    def counts(self) -> dict[str, int]:
        rows = self._read("SELECT kind, COUNT(*) AS n FROM records GROUP BY kind")
        return {row["kind"]: row["n"] for row in rows}
