"""Records as the exports of QuickBooks Online and Xero read them: fresh from the database, with
everything their mappings read loaded in few queries."""

from __future__ import annotations

from typing import Any

from approvals.inbound import INVOICE_LINE_RELATIONS
from approvals.models import (
    Commitment,
    CommitmentChangeOrder,
    Company,
    Project,
    SubcontractorInvoice,
)


def reloaded(record):
    """The record fresh from the database with everything the mapping reads, in few queries."""
    return _loaded_for_export(type(record)).get(pk=record.pk)


def reloaded_batch(
    records: list, idempotency_keys: list[str]
) -> tuple[dict[int, str], dict[int, Any]]:
    """A batch's idempotency keys by primary key in the batch's order, and its records reloaded
    as `reloaded` does, by primary key."""
    keys = dict(zip((record.pk for record in records), idempotency_keys, strict=True))
    return keys, _loaded_for_export(type(records[0])).in_bulk(list(keys))


def _loaded_for_export(model):
    """Records of `model` with everything the mapping reads, loaded in few queries."""
    queries = {
        Company: model.objects.all(),
        Project: model.objects.all(),
        Commitment: model.objects.select_related("project", "vendor").prefetch_related(
            "lines__cost_code"
        ),
        CommitmentChangeOrder: model.objects.select_related(
            "commitment__project", "commitment__vendor"
        ).prefetch_related("lines__cost_code", "lines__commitment_line"),
        SubcontractorInvoice: model.objects.select_related(
            "commitment__project", "commitment__vendor"
        ).prefetch_related(*INVOICE_LINE_RELATIONS),
    }
    return queries[model]
