"""The five record types that travel to the ERP, and how to name them to people."""

from __future__ import annotations

from django.apps import apps
from django.db import models

from approvals.models import (
    Commitment,
    CommitmentChangeOrder,
    Company,
    Project,
    SubcontractorInvoice,
)

EXPORTABLE_MODELS: tuple[type[models.Model], ...] = (
    Project,
    Company,
    Commitment,
    CommitmentChangeOrder,
    SubcontractorInvoice,
)

_NOUNS = {
    Project: ("project", "projects"),
    Company: ("company", "companies"),
    Commitment: ("commitment", "commitments"),
    CommitmentChangeOrder: ("change order", "change orders"),
    SubcontractorInvoice: ("invoice", "invoices"),
}

# Short, stable prefixes keep idempotency keys within 36 characters, the shortest limit an ERP
# sets on them.
_KEY_PREFIXES = {
    Project: "job",
    Company: "ven",
    Commitment: "po",
    CommitmentChangeOrder: "cco",
    SubcontractorInvoice: "bill",
}


def model_label(model_or_record) -> str:
    """'approvals.subcontractorinvoice': what tasks carry instead of the record."""
    return model_or_record._meta.label_lower


def model_for_label(label: str) -> type[models.Model]:
    model = apps.get_model(label)
    if model not in _NOUNS:
        raise LookupError(f"{label} is not a record type that is exported to an ERP.")
    return model


def noun(model_or_record) -> str:
    return _NOUNS[_model(model_or_record)][0]


def plural_noun(model_or_record) -> str:
    return _NOUNS[_model(model_or_record)][1]


def record_title(record) -> str:
    """How people recognise the record: "invoice 1043 (Acme Drywall)"."""
    if isinstance(record, SubcontractorInvoice):
        return f"invoice {record.number} ({record.commitment.vendor.name})"
    if isinstance(record, CommitmentChangeOrder):
        return f"change order {record.number} on commitment {record.commitment.number}"
    if isinstance(record, Commitment):
        return f"commitment {record.number} '{record.title}'"
    if isinstance(record, Project):
        return f"project '{record}'"
    return f"company '{record.name}'"


def project_of(record) -> Project | None:
    """The project a record belongs to; companies belong to none."""
    if isinstance(record, Project):
        return record
    if isinstance(record, Commitment):
        return record.project
    if isinstance(record, CommitmentChangeOrder | SubcontractorInvoice):
        return record.commitment.project
    return None


def key_prefix(model_or_record) -> str:
    return _KEY_PREFIXES[_model(model_or_record)]


def _model(model_or_record) -> type[models.Model]:
    if isinstance(model_or_record, type):
        return model_or_record
    return type(model_or_record)
