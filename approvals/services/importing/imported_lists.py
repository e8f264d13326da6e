"""Keeping the copy of an ERP list (jobs, vendors) up to date: only new or changed rows are
written, in one statement, and each counts once in the import's summary."""

from __future__ import annotations

from dataclasses import dataclass, field

BATCH_SIZE = 1000


@dataclass
class Written:
    """The ERP ids a batch wrote: all of them, and those that existed and changed."""

    ids: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


def imported_rows_store(model, *, connection, rows: dict[str, dict], fields, summary) -> Written:
    """Upsert `rows` (ERP id → values of `fields`) into `model`, the copy of one ERP list of
    `connection`; rows whose stored values are the same are left alone."""
    written = Written()
    if not rows:
        return written
    known = {
        row["erp_id"]: row
        for row in model.objects.filter(erp_connection=connection, erp_id__in=list(rows)).values(
            "erp_id", *fields
        )
    }
    writes = []
    for erp_id, values in rows.items():
        before = known.get(erp_id)
        if before is not None and all(before[name] == values[name] for name in fields):
            summary.unchanged += 1
            continue
        if before is None:
            summary.created += 1
        else:
            summary.updated += 1
            written.updated.append(erp_id)
        written.ids.append(erp_id)
        writes.append(model(erp_connection=connection, erp_id=erp_id, **values))
    if writes:
        model.objects.bulk_create(
            writes,
            batch_size=BATCH_SIZE,
            update_conflicts=True,
            unique_fields=["erp_connection", "erp_id"],
            update_fields=[*fields, "seen_at"],
        )
    return written
