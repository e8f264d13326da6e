"""A unit of work on one company's records: lookups, inserts, updates and the change events.

Entity rules receive a `Unit` so they can look up what they reference; the service commits it
and then hands the collected change events to the webhook notifier.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import wire
from .storage import ENTITY_COLUMNS, Row

_SELECT = f"SELECT {ENTITY_COLUMNS} FROM entity"  # noqa: S608 - fixed column list


@dataclass(frozen=True)
class ChangeEvent:
    realm_id: str
    entity: str
    id: int
    operation: str  # Create | Update | Delete | Void
    last_updated: float


@dataclass
class Prepared:
    """What an entity rule decided to store: the object plus its indexed columns."""

    data: dict
    active: bool = True
    name_key: str | None = None
    doc_key: str | None = None
    parent_id: int | None = None


class Unit:
    def __init__(self, conn, realm_id: str):
        self.conn = conn
        self.realm_id = realm_id
        self.events: list[ChangeEvent] = []
        self.now = wire.now()

    def get(self, entity: str, id_: int) -> Row | None:
        values = self.conn.execute(
            f"{_SELECT} WHERE realm_id = ? AND entity = ? AND id = ?",
            (self.realm_id, entity, id_),
        ).fetchone()
        return None if values is None else Row.from_sql(values)

    def live(self, entity: str, id_: int) -> Row | None:
        row = self.get(entity, id_)
        return None if row is None or row.deleted else row

    def name_owner(self, name_key: str) -> Row | None:
        values = self.conn.execute(
            f"{_SELECT} WHERE realm_id = ? AND name_key = ?", (self.realm_id, name_key)
        ).fetchone()
        return None if values is None else Row.from_sql(values)

    def doc_owner(self, entity: str, doc_key: str) -> Row | None:
        values = self.conn.execute(
            f"{_SELECT} WHERE realm_id = ? AND entity = ? AND doc_key = ?",
            (self.realm_id, entity, doc_key),
        ).fetchone()
        return None if values is None else Row.from_sql(values)

    def children(self, entity: str, parent_id: int) -> list[Row]:
        rows = self.conn.execute(
            f"{_SELECT} WHERE realm_id = ? AND entity = ? AND parent_id = ? AND deleted = 0",
            (self.realm_id, entity, parent_id),
        ).fetchall()
        return [Row.from_sql(values) for values in rows]

    def all_live(self, entity: str) -> list[Row]:
        rows = self.conn.execute(
            f"{_SELECT} WHERE realm_id = ? AND entity = ? AND deleted = 0 ORDER BY id",
            (self.realm_id, entity),
        ).fetchall()
        return [Row.from_sql(values) for values in rows]

    def vendor_documents(self, entity: str, vendor_id: str) -> list[Row]:
        rows = self.conn.execute(
            f"{_SELECT} WHERE realm_id = ? AND entity = ? AND deleted = 0 "
            "AND json_extract(data, '$.VendorRef.value') = ?",
            (self.realm_id, entity, vendor_id),
        ).fetchall()
        return [Row.from_sql(values) for values in rows]

    def next_id(self) -> int:
        (value,) = self.conn.execute(
            "UPDATE company SET next_id = next_id + 1 WHERE realm_id = ? RETURNING next_id - 1",
            (self.realm_id,),
        ).fetchone()
        return value

    def next_po_number(self) -> str:
        (value,) = self.conn.execute(
            "UPDATE company SET next_po_number = next_po_number + 1 WHERE realm_id = ? "
            "RETURNING next_po_number - 1",
            (self.realm_id,),
        ).fetchone()
        return str(value)

    def insert(self, entity: str, id_: int, prepared: Prepared) -> Row:
        stamp = wire.metadata_time(self.now)
        data = {
            **prepared.data,
            "Id": str(id_),
            "SyncToken": "0",
            "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
        }
        row = Row(
            entity,
            id_,
            0,
            prepared.active,
            False,
            prepared.name_key,
            prepared.doc_key,
            prepared.parent_id,
            self.now,
            data,
        )
        self.conn.execute(
            f"INSERT INTO entity (realm_id, {ENTITY_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",  # noqa: S608
            (self.realm_id, *self._columns(row)),
        )
        self.events.append(ChangeEvent(self.realm_id, entity, id_, "Create", self.now))
        return row

    def replace(self, row: Row, prepared: Prepared, operation: str = "Update") -> Row:
        """Store a new version of `row`: SyncToken + 1, LastUpdatedTime now."""
        token = row.sync_token + 1
        metadata = dict(row.data.get("MetaData", {}))
        metadata["LastUpdatedTime"] = wire.metadata_time(self.now)
        data = {
            **prepared.data,
            "Id": str(row.id),
            "SyncToken": str(token),
            "MetaData": metadata,
        }
        new = Row(
            row.entity,
            row.id,
            token,
            prepared.active,
            False,
            prepared.name_key,
            prepared.doc_key,
            prepared.parent_id,
            self.now,
            data,
        )
        self._write(new)
        self.events.append(ChangeEvent(self.realm_id, row.entity, row.id, operation, self.now))
        return new

    def touch(self, row: Row, data: dict) -> Row:
        """A change made as a side effect (a link, a balance): same indexed columns."""
        return self.replace(
            row,
            Prepared(data, row.active, row.name_key, row.doc_key, row.parent_id),
        )

    def rename_quietly(self, row: Row, data: dict, name_key: str | None) -> Row:
        """A system-maintained field (FullyQualifiedName) follows its parent: no new version."""
        new = Row(
            row.entity,
            row.id,
            row.sync_token,
            row.active,
            row.deleted,
            name_key,
            row.doc_key,
            row.parent_id,
            row.last_updated,
            data,
        )
        self._write(new)
        return new

    def mark_deleted(self, row: Row) -> Row:
        new = Row(
            row.entity,
            row.id,
            row.sync_token + 1,
            False,
            True,
            None,
            None,
            None,
            self.now,
            row.data,
        )
        self._write(new)
        self.events.append(ChangeEvent(self.realm_id, row.entity, row.id, "Delete", self.now))
        return new

    def _write(self, row: Row) -> None:
        self.conn.execute(
            "UPDATE entity SET sync_token = ?, active = ?, deleted = ?, name_key = ?, "
            "doc_key = ?, parent_id = ?, last_updated = ?, data = ? "
            "WHERE realm_id = ? AND entity = ? AND id = ?",
            (
                row.sync_token,
                int(row.active),
                int(row.deleted),
                row.name_key,
                row.doc_key,
                row.parent_id,
                row.last_updated,
                wire.dumps(row.data),
                self.realm_id,
                row.entity,
                row.id,
            ),
        )

    @staticmethod
    def _columns(row: Row) -> tuple:
        return (
            row.entity,
            row.id,
            row.sync_token,
            int(row.active),
            int(row.deleted),
            row.name_key,
            row.doc_key,
            row.parent_id,
            row.last_updated,
            wire.dumps(row.data),
        )
