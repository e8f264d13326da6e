"""The sandbox's own SQLite file: organisations, their records, idempotent answers, OAuth grants
and connections; and `Unit`, one unit of work on one organisation's records.

One connection guarded by one lock: every unit of work is serialized, which keeps uniqueness
checks, totals and idempotent replay simple and correct under concurrency. Records are stored
as the JSON Xero would answer (less the computed envelope) and filtered in Python.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import wire

SCHEMA = """
CREATE TABLE IF NOT EXISTS organisation (
    tenant_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS record (
    tenant_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    name_key TEXT,
    data TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, id)
);
CREATE INDEX IF NOT EXISTS record_order ON record (tenant_id, kind, seq);
CREATE TABLE IF NOT EXISTS counter (
    tenant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
CREATE TABLE IF NOT EXISTS idempotency (
    client_id TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    body BLOB NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (client_id, key)
);
CREATE TABLE IF NOT EXISTS auth_code (
    code TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    tenant_ids TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    code_challenge_method TEXT NOT NULL,
    nonce TEXT NOT NULL,
    expires_at REAL NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS grant_ (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    auth_event_id TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS access_token (
    token TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS refresh_token (
    token TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL,
    expires_at REAL NOT NULL,
    first_used_at REAL
);
CREATE TABLE IF NOT EXISTS connection (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    auth_event_id TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    UNIQUE (client_id, tenant_id)
);
"""

TABLES = (
    "organisation",
    "record",
    "counter",
    "idempotency",
    "auth_code",
    "grant_",
    "access_token",
    "refresh_token",
    "connection",
)


def name_key(name) -> str | None:
    """How Xero compares names: without regard to case or surrounding spaces."""
    return name.strip().casefold() if isinstance(name, str) else None


class Store:
    def __init__(self, path: str | Path):
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0
        self._after_commit: list = []
        self._last_ms = 0
        self.conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(SCHEMA)
        self._index_names()
        (stored_last,) = self.conn.execute(
            "SELECT COALESCE(MAX(updated_ms), 0) FROM record"
        ).fetchone()
        self._last_ms = stored_last

    def _index_names(self) -> None:
        """Each record's `name_key`, indexed: a name is checked against an organisation's
        contacts by the index, not by reading them all (n contacts created in one call would
        read n²/2 records). A data file from before the column gets it filled in."""
        columns = [row[1] for row in self.conn.execute("PRAGMA table_info(record)")]
        if "name_key" not in columns:
            self.conn.execute("ALTER TABLE record ADD COLUMN name_key TEXT")
            rows = self.conn.execute("SELECT rowid, data FROM record").fetchall()
            self.conn.executemany(
                "UPDATE record SET name_key = ? WHERE rowid = ?",
                [(name_key(wire.loads(text).get("Name")), rowid) for rowid, text in rows],
            )
        self.conn.execute(
            "CREATE INDEX IF NOT EXISTS record_name ON record (tenant_id, kind, name_key)"
        )

    @contextmanager
    def transaction(self):
        """One serialized, atomic unit of work. A nested call is a savepoint inside it, so one
        element of a `summarizeErrors=false` request rolls back alone."""
        with self._lock:
            if self._depth:
                savepoint = f"unit{self._depth}"
                self.conn.execute(f"SAVEPOINT {savepoint}")
                self._depth += 1
                try:
                    yield self.conn
                except BaseException:
                    self.conn.execute(f"ROLLBACK TO {savepoint}")
                    self.conn.execute(f"RELEASE {savepoint}")
                    raise
                else:
                    self.conn.execute(f"RELEASE {savepoint}")
                finally:
                    self._depth -= 1
                return
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            self._after_commit = []
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                self._after_commit = []
                raise
            else:
                self.conn.execute("COMMIT")
            finally:
                self._depth = 0
            callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def after_commit(self, callback) -> None:
        """Run `callback` once the outermost transaction has committed (never on rollback)."""
        with self._lock:
            if self._depth:
                self._after_commit.append(callback)
                return
        callback()

    def stamp_ms(self) -> int:
        """A modification time strictly after every earlier one, so `If-Modified-Since` with
        the last time a client saw never misses a later change made in the same millisecond."""
        with self._lock:
            self._last_ms = max(wire.now_ms(), self._last_ms + 1)
            return self._last_ms

    def wipe(self) -> None:
        with self.transaction() as conn:
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names

    def close(self) -> None:
        with self._lock:
            self.conn.close()


@dataclass(frozen=True)
class ChangeEvent:
    """A record created or updated, for webhooks: CONTACT, INVOICE or CREDITNOTE."""

    tenant_id: str
    category: str
    resource: str  # the path collection: Contacts, Invoices, CreditNotes
    resource_id: str
    event_type: str  # CREATE | UPDATE
    epoch_ms: int
    data: dict | None = None


class Unit:
    """One organisation's records inside a transaction."""

    def __init__(self, store: Store, conn, tenant_id: str, client_id: str = ""):
        self.store = store
        self.conn = conn
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.events: list[ChangeEvent] = []

    def organisation(self) -> dict:
        (text,) = self.conn.execute(
            "SELECT data FROM organisation WHERE tenant_id = ?", (self.tenant_id,)
        ).fetchone()
        return wire.loads(text)

    def save_organisation(self, data: dict) -> None:
        self.conn.execute(
            "UPDATE organisation SET data = ? WHERE tenant_id = ?",
            (wire.dumps(data), self.tenant_id),
        )

    def get(self, kind: str, id_: str) -> dict | None:
        found = self.conn.execute(
            "SELECT data FROM record WHERE tenant_id = ? AND kind = ? AND id = ?",
            (self.tenant_id, kind, id_.lower()),
        ).fetchone()
        return None if found is None else wire.loads(found[0])

    def all(self, kind: str) -> list[dict]:
        rows = self.conn.execute(
            "SELECT data FROM record WHERE tenant_id = ? AND kind = ? ORDER BY seq",
            (self.tenant_id, kind),
        ).fetchall()
        return [wire.loads(text) for (text,) in rows]

    def named(self, kind: str, name: str) -> list[dict]:
        """The records of `kind` whose `Name` is `name`, compared as `name_key` compares."""
        rows = self.conn.execute(
            "SELECT data FROM record WHERE tenant_id = ? AND kind = ? AND name_key = ? "
            "ORDER BY seq",
            (self.tenant_id, kind, name_key(name)),
        ).fetchall()
        return [wire.loads(text) for (text,) in rows]

    def created_by(self, kind: str) -> dict[str, str]:
        """Record id → the client id of the app that created it (`createdByMyApp`)."""
        rows = self.conn.execute(
            "SELECT id, created_by FROM record WHERE tenant_id = ? AND kind = ?",
            (self.tenant_id, kind),
        ).fetchall()
        return dict(rows)

    def save(self, kind: str, id_: str, data: dict) -> dict:
        """Insert or replace a record; stamps `UpdatedDateUTC` and returns the stored data."""
        stamp = self.store.stamp_ms()
        data = {**data, "UpdatedDateUTC": wire.ms_datetime(stamp)}
        key = id_.lower()
        exists = self.conn.execute(
            "SELECT 1 FROM record WHERE tenant_id = ? AND kind = ? AND id = ?",
            (self.tenant_id, kind, key),
        ).fetchone()
        name = name_key(data.get("Name"))
        if exists:
            self.conn.execute(
                "UPDATE record SET updated_ms = ?, name_key = ?, data = ? "
                "WHERE tenant_id = ? AND kind = ? AND id = ?",
                (stamp, name, wire.dumps(data), self.tenant_id, kind, key),
            )
        else:
            self.conn.execute(
                "INSERT INTO record (tenant_id, kind, id, seq, updated_ms, created_by, name_key, "
                "data) VALUES (?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM record "
                "WHERE tenant_id = ? AND kind = ?), ?, ?, ?, ?)",
                (
                    self.tenant_id,
                    kind,
                    key,
                    self.tenant_id,
                    kind,
                    stamp,
                    self.client_id,
                    name,
                    wire.dumps(data),
                ),
            )
        return data

    def delete(self, kind: str, id_: str) -> None:
        self.conn.execute(
            "DELETE FROM record WHERE tenant_id = ? AND kind = ? AND id = ?",
            (self.tenant_id, kind, id_.lower()),
        )

    def updated_ms(self, kind: str) -> dict[str, int]:
        rows = self.conn.execute(
            "SELECT id, updated_ms FROM record WHERE tenant_id = ? AND kind = ?",
            (self.tenant_id, kind),
        ).fetchall()
        return dict(rows)

    def next_number(self, name: str) -> int:
        self.conn.execute(
            "INSERT INTO counter (tenant_id, name, value) VALUES (?, ?, 0) "
            "ON CONFLICT (tenant_id, name) DO NOTHING",
            (self.tenant_id, name),
        )
        (value,) = self.conn.execute(
            "UPDATE counter SET value = value + 1 WHERE tenant_id = ? AND name = ? RETURNING value",
            (self.tenant_id, name),
        ).fetchone()
        return value

    def notify(self, category: str, resource: str, resource_id: str, event_type: str, data=None):
        self.events.append(
            ChangeEvent(
                self.tenant_id,
                category,
                resource,
                resource_id,
                event_type,
                wire.now_ms(),
                data,
            )
        )
