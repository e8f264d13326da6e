"""Bulk seeding of job-cost bills for benchmarks: thousands of rows in one insert.

The first bill goes through the same rules as `POST /bill` (references checked, names filled
in, totals computed, a duplicate document number refused); the others are copies of it that
differ only in Id and DocNumber, so /query paging and /cdc return them exactly as they return
bills created through the API.
"""

from __future__ import annotations

import json

from . import faults, transactions, wire
from .fields import check_lengths
from .records import Unit
from .storage import ENTITY_COLUMNS

MAX_DOC_NUMBER = 21
_ID = "__seed_bill_id__"
_DOC = "__seed_bill_doc__"


def _doc_number(prefix: str, number: int) -> str:
    return f"{prefix}-{number:06d}"


def _bill_template(unit: Unit, payload: dict, first_doc: str, created_at: float) -> tuple[str, str]:
    """(JSON text with %(id)s and %(doc)s in place of Id and DocNumber, the vendor's Id)."""
    prepared = transactions.prepare_bill(unit, {**payload, "DocNumber": first_doc}, None)
    stamp = wire.metadata_time(created_at)
    data = {
        **prepared.data,
        "DocNumber": _DOC,
        "Id": _ID,
        "SyncToken": "0",
        "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
    }
    text = wire.dumps(data).replace("%", "%%")
    text = text.replace(json.dumps(_ID), '"%(id)d"').replace(json.dumps(_DOC), "%(doc)s")
    return text, prepared.data["VendorRef"]["value"]


def seed_bills(
    unit: Unit,
    *,
    count: int,
    vendor_id: str,
    job_id: str,
    item_id: str,
    amount: str,
    txn_date: str | None,
    prefix: str,
    age_seconds: float = 0.0,
) -> list[int]:
    """Insert `count` one-line bills of `amount` from the vendor, costed to the job and item,
    numbered '<prefix>-000001'... after the vendor's bills already so numbered, last changed
    `age_seconds` ago (a history that change data capture since then no longer reports);
    their Ids."""
    if age_seconds < 0:
        raise ValueError("age_seconds cannot be negative.")
    created_at = unit.now - age_seconds
    (existing,) = unit.conn.execute(
        "SELECT COUNT(*) FROM entity WHERE realm_id = ? AND entity = 'Bill' AND doc_key LIKE ?",
        (unit.realm_id, f"{vendor_id}:{prefix.casefold()}-%"),
    ).fetchone()
    first_doc = _doc_number(prefix, existing + 1)
    check_lengths(
        {"DocNumber": _doc_number(prefix, existing + count)}, {"DocNumber": MAX_DOC_NUMBER}
    )
    payload = {
        "VendorRef": {"value": vendor_id},
        "TxnDate": txn_date,
        "Line": [
            {
                "DetailType": transactions.ITEM_DETAIL,
                "Amount": amount,
                transactions.ITEM_DETAIL: {
                    "ItemRef": {"value": item_id},
                    "CustomerRef": {"value": job_id},
                },
            }
        ],
    }
    template, vendor = _bill_template(unit, payload, first_doc, created_at)
    numbers = [_doc_number(prefix, existing + offset + 1) for offset in range(count)]
    keys = [f"{vendor}:{number.casefold()}" for number in numbers]
    taken = unit.conn.execute(
        "SELECT id, doc_key FROM entity WHERE realm_id = ? AND entity = 'Bill' AND doc_key IN "
        "(SELECT value FROM json_each(?)) LIMIT 1",
        (unit.realm_id, json.dumps(keys)),
    ).fetchone()
    if taken is not None:
        owner_id, key = taken
        raise faults.duplicate_document_number(numbers[keys.index(key)], "Bill", owner_id)
    (first_id,) = unit.conn.execute(
        "UPDATE company SET next_id = next_id + ? WHERE realm_id = ? RETURNING next_id - ?",
        (count, unit.realm_id, count),
    ).fetchone()
    ids = list(range(first_id, first_id + count))
    rows = [
        (
            unit.realm_id,
            "Bill",
            id_,
            0,
            1,
            0,
            None,
            key,
            None,
            created_at,
            template % {"id": id_, "doc": json.dumps(number)},
        )
        for id_, number, key in zip(ids, numbers, keys, strict=True)
    ]
    unit.conn.executemany(
        f"INSERT INTO entity (realm_id, {ENTITY_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",  # noqa: S608
        rows,
    )
    return ids
