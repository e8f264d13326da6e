"""Switching accounting systems: what is still linked to an earlier connection, unlinked or re-linked.

After a company disconnects one ERP (or company) and connects another, records keep the ids of
the old one and say so; nothing that depends on them is exported (approvals.services.erp_links).
An administrator then chooses, per record type and old connection:

- unlink: the records forget the old ids (exportable records go back to Not sent through the
  UNLINK step, cost codes stop being standard), one audit event each;
- re-link (vendors, jobs, cost codes only): each record is linked to the connected ERP's vendor,
  job or cost code that matches it in what was imported from it, after the administrator saw and
  confirmed the pairs (LINK, one audit event each).

Transactions (commitments, change orders, invoices) are never re-linked: their documents live in
the old company's books. Everything is answered from stored data (no ERP call while a person
waits) and written set-based, all or nothing: what changed since the page was shown stops the
whole action with a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, Count, Value, When
from django.utils import timezone
from django.utils.formats import date_format

from approvals import permissions
from approvals.models import (
    AuditEvent,
    Commitment,
    CommitmentChangeOrder,
    Company,
    CostCode,
    ERPCostCode,
    ERPJob,
    ERPVendor,
    Project,
    SubcontractorInvoice,
)
from approvals.people import person_name
from approvals.services import erp_links
from approvals.services.importing.imports_jobs import project_number_for
from approvals.services.importing.imports_vendors import MATCHED_COMPANY_FIELDS
from approvals.services.workflow import unlinking
from approvals.services.workflow.audit import AuditEntry, audit_write_many
from approvals.services.workflow.errors import NotPermitted, PreconditionsNotMet, StaleState
from approvals.services.workflow.matching import normalise_name, suggest_matches
from approvals.services.workflow.transitions import records_transition_many
from approvals.states import Action, SyncStatus
from integrations.models import ERPConnection

# In the order an administrator works through them: what transactions refer to first.
LINKED_MODELS = (
    Company,
    Project,
    CostCode,
    Commitment,
    CommitmentChangeOrder,
    SubcontractorInvoice,
)
RELINKABLE = (Company, Project, CostCode)
_NOUNS = {
    Company: ("company", "companies"),
    Project: ("project", "projects"),
    CostCode: ("cost code", "cost codes"),
    Commitment: ("commitment", "commitments"),
    CommitmentChangeOrder: ("change order", "change orders"),
    SubcontractorInvoice: ("invoice", "invoices"),
}
_LINK_FIELDS = ("sync_status", "erp_id", "erp_connection")
_FORGOTTEN = {"erp_id": "", "erp_version": "", "erp_synced_at": None, "erp_connection": None}


def noun(model, count: int = 1) -> str:
    singular, plural = _NOUNS[model]
    return singular if count == 1 else plural


def model_for_slug(slug: str):
    """The record type a page names by its model name; LookupError for any other."""
    for model in LINKED_MODELS:
        if model._meta.model_name == slug:
            return model
    raise LookupError(slug)


@dataclass(frozen=True)
class LinkedElsewhere:
    """How many records of one type are linked to one connection that is not the active one."""

    model: type
    old_connection: ERPConnection
    count: int

    @property
    def relinkable(self) -> bool:
        return self.model in RELINKABLE

    @property
    def label(self) -> str:
        return erp_links.connection_label(self.old_connection)


def linked_elsewhere_counts(*, connection: ERPConnection | None) -> list[LinkedElsewhere]:
    """Per record type and old connection, how many records are linked to a connection other
    than `connection` (the active one; with none active, every link counts). One query a type."""
    found = []
    connections = {}
    for model in LINKED_MODELS:
        rows = _linked_elsewhere(model, connection).values("erp_connection").annotate(n=Count("pk"))
        for row in rows.order_by("erp_connection"):
            pk = row["erp_connection"]
            if pk not in connections:
                connections[pk] = ERPConnection.objects.get(pk=pk)
            found.append(LinkedElsewhere(model, connections[pk], row["n"]))
    return found


def _linked_elsewhere(model, connection):
    linked = model.objects.exclude(erp_id="")
    return linked.exclude(erp_connection=connection) if connection is not None else linked


def _require_administrator(actor) -> None:
    if not permissions.is_administrator(actor):
        raise NotPermitted("Only administrators switch accounting systems.")


# --- unlink ----------------------------------------------------------------------------------


def switch_unlink(*, model, old_connection: ERPConnection, connection, actor, expected: int) -> int:
    """Unlink every record of `model` linked to `old_connection`; returns how many.

    `expected` is the count the administrator confirmed: when records were re-linked or
    unlinked meanwhile, nothing is unlinked and StaleState says so.
    """
    _require_administrator(actor)
    if connection is not None and old_connection.pk == connection.pk:
        raise PreconditionsNotMet(["These records are linked to the connected company."])
    with transaction.atomic():
        records = list(
            model.objects.select_for_update()
            .filter(erp_connection=old_connection)
            .exclude(erp_id="")
            .order_by("pk")
        )
        if len(records) != expected:
            raise StaleState(_changed_meanwhile(model, expected, len(records), "unlinked"))
        if not records:
            return 0
        reason = (
            f"Unlinked from {erp_links.connection_label(old_connection)} when switching "
            "accounting systems; its document stays in that company's books."
        )
        if model is CostCode:
            _unlink_cost_codes(records, actor, reason)
        else:
            _unlink_exportables(model, records, actor, reason)
    return len(records)


def _changed_meanwhile(model, expected: int, now: int, what: str) -> str:
    """Why a confirmed action on a whole type was refused: the count changed, and by whom."""
    last = (
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            action__in=(Action.LINK, Action.UNLINK),
        )
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )
    by = ""
    if last is not None and last.actor is not None:
        name = person_name(last.actor)
        when = date_format(timezone.localtime(last.created_at), "H:i")
        done = "re-linked" if last.action == Action.LINK else "unlinked"
        by = f" ({name} {done} some at {when})"
    return (
        f"The page showed {expected} {noun(model, expected)} to be {what}; {now} are linked "
        f"there now{by}, so none was {what}. Reload the page and confirm again."
    )


def _unlink_cost_codes(cost_codes: list, actor, reason: str) -> None:
    CostCode.objects.filter(pk__in=[code.pk for code in cost_codes]).update(**_FORGOTTEN)
    audit_write_many(
        [
            AuditEntry(
                model=CostCode,
                record_id=code.pk,
                action=Action.UNLINK,
                actor=actor,
                reason=f"{reason} It was ERP id {code.erp_id}.",
            )
            for code in cost_codes
        ]
    )


def _unlink_exportables(model, records: list, actor, reason: str) -> None:
    not_synced = [record for record in records if record.sync_status != SyncStatus.SYNCED]
    if not_synced:
        raise PreconditionsNotMet(
            [
                f"{len(not_synced)} of these {noun(model, 2)} are not synced (for example "
                f"{_title(not_synced[0])}, which is '{not_synced[0].sync_status_label}'), so "
                "none was unlinked. Settle them first (retrieve, reject or wait for the export)."
            ]
        )
    fields = dict(unlinking.UNLINKED_FIELDS)
    if model is Project:
        # The customer it went under belongs to the old company's books.
        fields["erp_parent_customer_id"] = ""
    records_transition_many(
        model=model,
        records=records,
        action=Action.UNLINK,
        actor=actor,
        fields=fields,
        reasons={record.pk: f"{reason} It was ERP id {record.erp_id}." for record in records},
    )
    unlinking.forget_line_ids(model, [record.pk for record in records])


# --- re-link ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    """One record and what of the connected ERP it would be re-linked to, and why."""

    record: object
    erp_id: str
    erp_version: str
    name: str
    reason: str

    @property
    def key(self) -> str:
        return f"{self.record.pk}:{self.erp_id}"


def relink_proposals(*, model, old_connection: ERPConnection, connection) -> list[Pair]:
    """The sure, unambiguous pairs between `model`'s records linked to `old_connection` and what
    was imported from `connection` that no record is linked to yet. Others are left out (they
    are unlinked, or linked one by one once unlinked)."""
    if model not in RELINKABLE or connection is None:
        return []
    stale = model.objects.filter(erp_connection=old_connection).exclude(erp_id="").order_by("pk")
    linked_ids = model.objects.filter(erp_connection=connection).exclude(erp_id="").values("erp_id")
    if model is Company:
        vendors = ERPVendor.objects.filter(
            erp_connection=connection, is_active=True, is_archived=False
        ).exclude(erp_id__in=linked_ids)
        suggestions = suggest_matches(vendors, stale.only(*MATCHED_COMPANY_FIELDS, *_LINK_FIELDS))
        return [
            Pair(s.company, s.vendor.erp_id, s.vendor.erp_version, s.vendor.display_name, s.reason)
            for s in suggestions
            if s.for_link_all
        ]
    if model is Project:
        jobs = ERPJob.objects.filter(
            erp_connection=connection, is_active=True, is_archived=False
        ).exclude(erp_id__in=linked_ids)
        return _unique_pairs(stale, jobs, _project_keys, _job_keys, lambda job: str(job))
    items = ERPCostCode.objects.filter(erp_connection=connection, is_active=True).exclude(
        erp_id__in=linked_ids
    )
    return _unique_pairs(stale, items, _cost_code_keys, _cost_code_keys, lambda item: str(item))


def _project_keys(project: Project) -> dict[str, str]:
    return {
        f"number:{project.number.casefold()}": f"same project number {project.number}",
        f"name:{normalise_name(project.name).key}": "same name",
    }


def _job_keys(job: ERPJob) -> dict[str, str]:
    keys = {f"name:{normalise_name(job.display_name).key}": "same name"}
    number = project_number_for(job)
    keys[f"number:{number.casefold()}"] = f"same project number {number}"
    return keys


def _cost_code_keys(code) -> dict[str, str]:
    return {f"code:{code.code.strip().casefold()}": f"same code {code.code}"}


def _unique_pairs(records, candidates, our_keys, their_keys, name_of) -> list[Pair]:
    """Pairs that meet on a key, where each side meets exactly one of the other."""
    by_key: dict[str, list] = {}
    for candidate in candidates:
        for key, _ in their_keys(candidate).items():
            by_key.setdefault(key, []).append(candidate)
    met: dict[int, tuple] = {}
    claimed: dict[str, int] = {}
    for record in records:
        found = {}
        for key, reason in our_keys(record).items():
            for candidate in by_key.get(key, []):
                found.setdefault(candidate.erp_id, (candidate, reason))
        if len(found) == 1:
            candidate, reason = next(iter(found.values()))
            met[record.pk] = (record, candidate, reason)
            claimed[candidate.erp_id] = claimed.get(candidate.erp_id, 0) + 1
    return [
        Pair(record, candidate.erp_id, candidate.erp_version, name_of(candidate), reason)
        for record, candidate, reason in met.values()
        if claimed[candidate.erp_id] == 1
    ]


def switch_relink(
    *, model, old_connection: ERPConnection, connection, keys: list[str], actor
) -> int:
    """Re-link the pairs the administrator confirmed (`keys`, as Pair.key) to `connection`;
    returns how many. All or nothing: a pair no longer proposed (its record unlinked or re-linked
    meanwhile, what it pairs with linked elsewhere) stops every one with a sentence."""
    _require_administrator(actor)
    if model not in RELINKABLE:
        raise PreconditionsNotMet(
            [
                f"{noun(model, 2).capitalize()} are not re-linked: their documents live in the old "
                "company's books. Unlink them instead."
            ]
        )
    if connection is None:
        raise PreconditionsNotMet(["Connect the new accounting system first."])
    confirmed = list(dict.fromkeys(keys))
    if not confirmed:
        raise PreconditionsNotMet(["No pair was confirmed, so nothing was re-linked."])
    try:
        with transaction.atomic():
            model.objects.select_for_update().filter(
                pk__in=[_record_pk(key) for key in confirmed]
            ).order_by("pk").first()
            proposals = {
                pair.key: pair
                for pair in relink_proposals(
                    model=model, old_connection=old_connection, connection=connection
                )
            }
            missing = [key for key in confirmed if key not in proposals]
            if missing:
                raise StaleState(
                    f"{len(missing)} of the {len(confirmed)} pairs you confirmed changed since "
                    "the page was shown (a record was unlinked or re-linked meanwhile, or what it "
                    f"pairs with is no longer free), so no {noun(model)} was re-linked. Reload "
                    "the page and confirm again."
                )
            _relink([proposals[key] for key in confirmed], model, old_connection, connection, actor)
    except IntegrityError as error:
        raise StaleState(
            f"Another {noun(model)} was linked to one of these a moment ago, so none was "
            "re-linked. Reload the page and confirm again."
        ) from error
    return len(confirmed)


def _record_pk(key: str) -> int:
    pk, _, _ = key.partition(":")
    if not pk.isascii() or not pk.isdigit():
        raise PreconditionsNotMet(["A confirmed pair is not one of those listed; nothing changed."])
    return int(pk)


def _relink(pairs: list[Pair], model, old_connection, connection, actor) -> None:
    """Each record's new ERP id in one UPDATE, one LINK event each."""
    per_record = {pair.record.pk: pair for pair in pairs}

    def each(value_of) -> Case:
        return Case(
            *(When(pk=pk, then=Value(value_of(pair))) for pk, pair in per_record.items()),
            output_field=CharField(),
        )

    fields = {
        "erp_connection": connection,
        "erp_id": each(lambda pair: pair.erp_id),
        "erp_version": each(lambda pair: pair.erp_version),
        "erp_synced_at": timezone.now(),
    }
    if model is Project:
        jobs = dict(
            ERPJob.objects.filter(
                erp_connection=connection, erp_id__in=[pair.erp_id for pair in pairs]
            ).values_list("erp_id", "parent_erp_id")
        )
        fields["erp_parent_customer_id"] = each(lambda pair: jobs.get(pair.erp_id, ""))
    old = erp_links.connection_label(old_connection)
    new = erp_links.connection_label(connection)
    reasons = {
        pair.record.pk: (
            f"Re-linked from {old} (id {pair.record.erp_id}) to {new}'s '{pair.name}' "
            f"(id {pair.erp_id}) when switching accounting systems ({pair.reason})."
        )
        for pair in pairs
    }
    records = [pair.record for pair in pairs]
    if model is CostCode:
        CostCode.objects.filter(pk__in=list(per_record)).update(**fields)
        audit_write_many(
            [
                AuditEntry(
                    model=CostCode,
                    record_id=pk,
                    action=Action.LINK,
                    actor=actor,
                    reason=reasons[pk],
                )
                for pk in per_record
            ]
        )
        return
    records_transition_many(
        model=model,
        records=records,
        action=Action.LINK,
        actor=actor,
        fields=fields,
        reasons=reasons,
    )


def _title(record) -> str:
    if isinstance(record, Commitment | CommitmentChangeOrder | SubcontractorInvoice):
        return f"{noun(type(record))} {record.number}"
    return f"{noun(type(record))} '{record}'"
