"""What each record's document is in the connected ERP, as its connector describes it.

For the decision pages: the document an accept would approve (from the records and imported
data, never asking the ERP while a person waits), or, for a retry, the one the last accept
approved. Records are loaded with everything a description reads, in a few queries whatever
their number.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType

from approvals.models import (
    AuditEvent,
    Commitment,
    CommitmentChangeOrder,
    SubcontractorInvoice,
)
from approvals.schedule import INVOICE_LINE_RELATIONS
from approvals.services import erp
from approvals.states import Action
from integrations.describe import DocumentDescription

# What a description of each record type reads, loaded with the records.
_RELATED = {
    Commitment: (("project", "vendor"), ("lines__cost_code",)),
    CommitmentChangeOrder: (
        ("commitment__project", "commitment__vendor"),
        (
            "lines__cost_code",
            "lines__commitment_line",
            "commitment__lines__cost_code",
            "commitment__change_orders__lines__cost_code",
            "commitment__change_orders__lines__commitment_line",
        ),
    ),
    SubcontractorInvoice: (("commitment__project", "commitment__vendor"), INVOICE_LINE_RELATIONS),
}


def records_for_description(model, pks) -> list:
    """The records of `model` with these primary keys, loaded with everything a description
    (and a page reviewing them: their lines, schedules, vendor and project) reads."""
    related, prefetched = _RELATED.get(model, ((), ()))
    # The connection a handed-off record waits for names its badge.
    records = model.objects.filter(pk__in=list(pks)).prefetch_related(*prefetched)
    return list(records.select_related("handed_off_to", *related))


def documents_described(model, pks) -> dict[int, DocumentDescription]:
    """By primary key, the document exporting each record as it stands would create; empty
    while no ERP can be used."""
    return documents_of(records_for_description(model, pks))


def documents_of(records) -> dict[int, DocumentDescription]:
    """documents_described of records loaded by records_for_description."""
    connector = erp.connector_or_none(erp.active_connection_or_none())
    if connector is None:
        return {}
    return {record.pk: connector.describe(record) for record in records}


def documents_approved(model, pks) -> dict[int, DocumentDescription]:
    """By primary key, the document each record's last accept approved, as it was described
    then (records accepted before descriptions were kept are left out)."""
    events = (
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=list(pks),
            action=Action.ACCEPT,
        )
        .order_by("object_id", "-created_at", "-pk")
        .only("object_id", "approved")
    )
    found: dict[int, DocumentDescription] = {}
    seen = set()
    for event in events:
        if event.object_id in seen:
            continue
        seen.add(event.object_id)
        description = (event.approved or {}).get("description")
        if description:
            found[event.object_id] = DocumentDescription.from_data(description)
    return found
