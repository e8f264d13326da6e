"""Which connection a record's ERP link goes through, and what a link to another one stops.

Every stored ERP id names its connection (ERPLinked.erp_connection). One connection is active at
a time: a record is *linked* only through it. A record linked through another connection (the
company disconnected one accounting system, or company, and connected another) keeps its id, but
nothing that depends on it is sent, accepted or exported until an administrator re-links or
unlinks it on the "Switching accounting systems" page.
"""

from __future__ import annotations

from approvals.models import (
    Commitment,
    CommitmentChangeOrder,
    Company,
    CostCode,
    Project,
    SubcontractorInvoice,
)
from approvals.services import erp
from integrations.models import ERPConnection

SWITCH_PAGE = "ERP Integrations → Switching accounting systems"


def linked_here(record, connection) -> bool:
    """`record` has an ERP id, and it is an id of `connection`'s company."""
    return (
        bool(record.erp_id) and connection is not None and record.erp_connection_id == connection.pk
    )


def linked_elsewhere(record, connection) -> bool:
    """`record` has an ERP id of a connection other than `connection` (the active one)."""
    return (
        bool(record.erp_id) and connection is not None and record.erp_connection_id != connection.pk
    )


def other_connections_exist(connection) -> bool:
    """Whether any connection but `connection` was ever made here (else nothing can be linked
    through another one)."""
    return ERPConnection.objects.exclude(pk=connection.pk).exists()


def connection_label(connection) -> str:
    """'<ERP name> (Summit Builders LLC)': the ERP's name and the company, when stored."""
    if connection is None:
        return "an accounting company no longer recorded"
    name = erp.erp_name(connection)
    company = connection.company_name or connection.company_id
    return f"{name} ({company})" if company else name


def elsewhere_note(record, connection) -> str:
    """What a record's page says of a link through another connection; "" for any other."""
    if not linked_elsewhere(record, connection):
        return ""
    return (
        f"Linked to {connection_label(record.erp_connection)}, not the connected "
        f"{connection_label(connection)}."
    )


def elsewhere_problem(title: str, record, connection) -> str:
    """The sentence that refuses what depends on `record`, linked through another connection."""
    return (
        f"{title} is linked to {connection_label(record.erp_connection)}, not the connected "
        f"{connection_label(connection)}: re-link or unlink it under {SWITCH_PAGE}."
    )


def dependency_problems(record, connection) -> list[str]:
    """One sentence per record `record`'s export refers to (itself included) that is linked
    through another connection than `connection`; empty while none is, or none is connected.

    Reads what the caller loaded (lines prefetched with their cost codes are not queried again).
    """
    if connection is None:
        return []
    problems = []
    seen = set()
    for title, referenced in _referenced(record):
        key = (type(referenced), referenced.pk)
        if key in seen:
            continue
        seen.add(key)
        if linked_elsewhere(referenced, connection):
            problems.append(elsewhere_problem(title, referenced, connection))
    return problems


def _referenced(record):
    """(title, record) of everything an export of `record` names in the ERP."""
    if isinstance(record, Project):
        yield f"Project '{record}'", record
    elif isinstance(record, Company):
        yield f"Company '{record.name}'", record
    elif isinstance(record, Commitment):
        yield f"Commitment {record.number}", record
        yield from _commitment_parties(record)
        for line in _lines(record):
            yield _cost_code(line.cost_code)
    elif isinstance(record, CommitmentChangeOrder):
        yield f"Change order {record.number}", record
        yield f"Commitment {record.commitment.number}", record.commitment
        yield from _commitment_parties(record.commitment)
        for line in _lines(record):
            yield _cost_code(line.cost_code)
    elif isinstance(record, SubcontractorInvoice):
        yield f"Invoice {record.number}", record
        yield f"Commitment {record.commitment.number}", record.commitment
        yield from _commitment_parties(record.commitment)
        for line in _lines(record):
            yield _cost_code(line.schedule_line.cost_code)
            if line.change_order_line is not None:
                change_order = line.change_order_line.change_order
                yield f"Change order {change_order.number}", change_order


def _commitment_parties(commitment: Commitment):
    yield f"Project '{commitment.project}'", commitment.project
    yield f"Vendor '{commitment.vendor.name}'", commitment.vendor


def _cost_code(cost_code: CostCode):
    return f"Cost code '{cost_code}'", cost_code


def _lines(record) -> list:
    if "lines" in getattr(record, "_prefetched_objects_cache", {}):
        return list(record.lines.all())
    if isinstance(record, SubcontractorInvoice):
        return list(
            record.lines.select_related(
                "commitment_line__cost_code",
                "change_order_line__cost_code",
                "change_order_line__change_order",
            )
        )
    return list(record.lines.select_related("cost_code"))
