"""The sandbox's own SQLite file: companies, entities, replayable responses and OAuth grants.

One connection guarded by one lock: every unit of work is serialized, which keeps uniqueness
checks, SyncToken compare-and-set and requestid replay simple and correct under concurrency.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import wire
from .query import register_functions

SCHEMA = """
CREATE TABLE IF NOT EXISTS company (
    realm_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    next_id INTEGER NOT NULL DEFAULT 1,
    next_po_number INTEGER NOT NULL DEFAULT 1001,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS entity (
    realm_id TEXT NOT NULL,
    entity TEXT NOT NULL,
    id INTEGER NOT NULL,
    sync_token INTEGER NOT NULL,
    active INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    name_key TEXT,
    doc_key TEXT,
    parent_id INTEGER,
    last_updated REAL NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (realm_id, entity, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS entity_name_key ON entity (realm_id, name_key)
    WHERE name_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS entity_doc_key ON entity (realm_id, entity, doc_key)
    WHERE doc_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS entity_parent ON entity (realm_id, entity, parent_id)
    WHERE parent_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS entity_updated ON entity (realm_id, entity, last_updated);
CREATE TABLE IF NOT EXISTS replay (
    realm_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    status INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    body BLOB NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (realm_id, request_id)
);
CREATE TABLE IF NOT EXISTS auth_code (
    code TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    realm_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    expires_at REAL NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS access_token (
    token TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    realm_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    family TEXT NOT NULL,
    expires_at REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS refresh_token (
    token TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    realm_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    family TEXT NOT NULL,
    generation INTEGER NOT NULL,
    expires_at REAL NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,
    revoked INTEGER NOT NULL DEFAULT 0
);
"""

TABLES = ("company", "entity", "replay", "auth_code", "access_token", "refresh_token")

ENTITY_COLUMNS = (
    "entity, id, sync_token, active, deleted, name_key, doc_key, parent_id, last_updated, data"
)


@dataclass
class Row:
    entity: str
    id: int
    sync_token: int
    active: bool
    deleted: bool
    name_key: str | None
    doc_key: str | None
    parent_id: int | None
    last_updated: float
    data: dict = field(repr=False)

    @classmethod
    def from_sql(cls, values) -> Row:
        entity, id_, token, active, deleted, name_key, doc_key, parent, updated, data = values
        return cls(
            entity,
            id_,
            token,
            bool(active),
            bool(deleted),
            name_key,
            doc_key,
            parent,
            updated,
            wire.loads(data),
        )


class Store:
    def __init__(self, path: str | Path):
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0
        self._after_commit: list = []
        self.conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        register_functions(self.conn)
        self.conn.executescript(SCHEMA)

    @contextmanager
    def transaction(self):
        """One serialized, atomic unit of work. A nested call is a savepoint inside it, so a
        failed batch item or entity write rolls back alone."""
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

    def wipe(self) -> None:
        with self.transaction() as conn:
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names

    def close(self) -> None:
        with self._lock:
            self.conn.close()
