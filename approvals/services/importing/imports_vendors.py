"""Vendors from the ERP: keep their list, match and link them to companies, import them.

`vendors_sync` mirrors the ERP's vendor list into ERPVendor page by page (changes only once a
full read was done). Linking and importing are state changes of our companies, with their audit
events: a link moves a company to 'synced' through the LINK step; an import creates a company
already 'synced' with an IMPORT event. One ERP vendor links to at most one company: the unique
(erp_connection, erp_id) constraint on companies says so, whatever runs at the same time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from approvals import permissions
from approvals.models import Company, ERPVendor, SyncCursor, SyncKind
from approvals.services.importing import sync_runs
from approvals.services.importing.imported_lists import imported_rows_store
from approvals.services.workflow.bulk import Outcome
from approvals.services.workflow.edits import exported_values, record_edited
from approvals.services.workflow.errors import NotPermitted, PreconditionsNotMet, WorkflowError
from approvals.services.workflow.matching import (
    CompanyIndex,
    Suggestion,
    normalise_tax_id,
    suggest_matches,
)
from approvals.services.workflow.transitions import record_transition, records_import
from approvals.states import Action, SyncStatus
from integrations.models import ERPConnection

BATCH_SIZE = 1000
VENDOR_FIELDS = (
    "erp_version",
    "display_name",
    "company_name",
    "tax_id",
    "email",
    "phone",
    "address_line1",
    "city",
    "region",
    "postal_code",
    "country",
    "open_balance",
    "currency",
    "is_active",
    "is_supplier",
)
IMPORTER = "vendor import"
# What the matcher reads of a company.
MATCHED_COMPANY_FIELDS = ("pk", "name", "legal_name", "tax_id", "email", "city")
VENDOR_SYNC = "vendor sync from the ERP"


# --- the vendor list -----------------------------------------------------------------------


def vendors_sync(*, connection: ERPConnection, progress=None) -> sync_runs.SyncSummary:
    """Bring the ERP's vendor list up to date; renames and deactivations reach linked companies."""
    return sync_runs.list_sync(
        connection=connection,
        kind=SyncKind.VENDORS,
        progress=progress,
        batches=lambda reader, token: reader.vendor_batches(token),
        store=lambda rows, summary: vendors_store(
            connection=connection, vendors=rows, summary=summary
        ),
    )


def _vendor_values(vendor) -> dict:
    return {
        "erp_version": vendor.version,
        "display_name": vendor.display_name,
        "company_name": vendor.company_name,
        "tax_id": vendor.tax_id,
        "email": vendor.email,
        "phone": vendor.phone,
        "address_line1": vendor.address_line1,
        "city": vendor.city,
        "region": vendor.region,
        "postal_code": vendor.postal_code,
        "country": vendor.country,
        "open_balance": vendor.open_balance,
        "currency": vendor.currency,
        "is_active": vendor.is_active,
        "is_supplier": vendor.is_supplier,
    }


def vendors_store(*, connection: ERPConnection, vendors: list, summary) -> None:
    """Upsert one batch of ImportedVendor; only new or changed rows are written."""
    latest = {vendor.erp_id: vendor for vendor in vendors}
    written = imported_rows_store(
        ERPVendor,
        connection=connection,
        rows={erp_id: _vendor_values(vendor) for erp_id, vendor in latest.items()},
        fields=VENDOR_FIELDS,
        summary=summary,
    )
    _follow_linked_companies(connection, {erp_id: latest[erp_id] for erp_id in written.updated})


def _follow_linked_companies(connection: ERPConnection, changed: dict) -> None:
    """A renamed vendor renames its company; a deactivated one archives it (the ERP refuses new
    documents for an inactive vendor)."""
    if not changed:
        return
    for company in Company.objects.filter(erp_connection=connection, erp_id__in=list(changed)):
        vendor = changed[company.erp_id]
        updates = {"erp_version": vendor.version}
        if vendor.display_name and vendor.display_name != company.name:
            updates["name"] = vendor.display_name[:255]
        if not vendor.is_active and not company.is_archived:
            updates["is_archived"] = True
        before = exported_values(company) if "name" in updates else None
        Company.objects.filter(pk=company.pk).update(**updates, updated_at=timezone.now())
        if before is not None:
            # A rename is a change to what the ERP receives: it is in the company's history.
            record_edited(record=company, before=before, system_actor=VENDOR_SYNC)


# --- what is on one side only ----------------------------------------------------------------


def _linked_vendor_ids(connection: ERPConnection) -> QuerySet:
    return Company.objects.filter(erp_connection=connection).exclude(erp_id="").values("erp_id")


def vendors_only_in_erp(*, connection: ERPConnection) -> QuerySet[ERPVendor]:
    """Active ERP vendors no company is linked to and no accountant archived."""
    return (
        ERPVendor.objects.filter(erp_connection=connection, is_active=True, is_archived=False)
        .exclude(erp_id__in=_linked_vendor_ids(connection))
        .order_by("display_name", "pk")
    )


def companies_only_here() -> QuerySet[Company]:
    """Companies linked to no ERP vendor, not archived (send them to export them)."""
    return Company.objects.filter(erp_id="", is_archived=False).order_by("name", "pk")


def vendor_suggestions(*, connection: ERPConnection, vendors: Iterable | None = None):
    """Suggested links between vendors only in the ERP and companies only here."""
    candidates = companies_only_here().filter(
        sync_status__in=(SyncStatus.NOT_SENT, SyncStatus.REJECTED)
    )
    index = CompanyIndex(candidates.only(*MATCHED_COMPANY_FIELDS).iterator(chunk_size=2000))
    vendors = vendors if vendors is not None else vendors_only_in_erp(connection=connection)
    return suggest_matches(vendors, index)


# --- linking, archiving, importing -------------------------------------------------------------


def _require_vendor_rights(actor) -> None:
    if not permissions.can_decide_type(actor, Company):
        raise NotPermitted(
            "Only accounting approvers for companies can link, archive or import vendors."
        )


def vendor_link(*, vendor: ERPVendor, company: Company, actor, reason: str = ""):
    """Link `company` to the ERP vendor: it becomes 'synced' without being exported."""
    problems = []
    if not vendor.is_active:
        problems.append(
            f"Vendor '{vendor.display_name}' is inactive in the ERP; it cannot be linked."
        )
    if vendor.is_archived:
        problems.append(f"Vendor '{vendor.display_name}' was archived; restore it to link it.")
    twin = Company.objects.filter(
        erp_connection=vendor.erp_connection_id, erp_id=vendor.erp_id
    ).first()
    if twin is not None:
        problems.append(
            f"Vendor '{vendor.display_name}' is already linked to company '{twin.name}'."
        )
    if company.erp_id:
        problems.append(f"Company '{company.name}' is already linked to an ERP vendor.")
    if problems:
        raise PreconditionsNotMet(problems)
    with transaction.atomic():
        # Two accountants linking one vendor at once: the second waits here, then is refused.
        ERPVendor.objects.select_for_update().filter(pk=vendor.pk).first()
        if Company.objects.filter(
            erp_connection=vendor.erp_connection_id, erp_id=vendor.erp_id
        ).exists():
            raise PreconditionsNotMet(
                [f"Vendor '{vendor.display_name}' was linked to another company a moment ago."]
            )
        return record_transition(
            record=company,
            action=Action.LINK,
            actor=actor,
            reason=reason or f"linked to vendor '{vendor.display_name}'",
            changes={
                "erp_connection_id": vendor.erp_connection_id,
                "erp_id": vendor.erp_id,
                "erp_version": vendor.erp_version,
                "erp_synced_at": timezone.now(),
            },
        )


def vendors_link_all(*, suggestions: Iterable[Suggestion], actor) -> list[Outcome]:
    """Link every sure, unambiguous suggestion (the others wait for a person to link them one
    by one); each gets its own outcome, one failure stops no other."""
    _require_vendor_rights(actor)
    outcomes = []
    for suggestion in suggestions:
        if not suggestion.for_link_all:
            continue
        vendor, company = suggestion.vendor, suggestion.company
        title = f"'{vendor.display_name}' ⇄ '{company.name}'"
        try:
            vendor_link(vendor=vendor, company=company, actor=actor, reason=suggestion.reason)
        except WorkflowError as error:
            outcomes.append(Outcome(record=company, ok=False, message=f"{title}: {error.message}"))
        else:
            outcomes.append(
                Outcome(record=company, ok=True, message=f"{title}: linked ({suggestion.reason}).")
            )
    return outcomes


def vendor_archive(*, vendor: ERPVendor, actor, archived: bool = True) -> None:
    """Hide an ERP vendor we will not use from the lists (or bring it back)."""
    _require_vendor_rights(actor)
    ERPVendor.objects.filter(pk=vendor.pk).update(is_archived=archived)
    vendor.is_archived = archived


def vendors_add_to_directory(
    *,
    connection: ERPConnection,
    vendors: Iterable[ERPVendor],
    actor=None,
    system_actor: str = "",
    skip_matches: bool = True,
) -> sync_runs.SyncSummary:
    """Create a 'synced' company for each ERP vendor, in batches, never twice for one vendor.

    Batches are serialised per connection by a row lock on the vendors cursor, so two imports
    at once cannot both create a company for one vendor; the unique constraint backs this up.
    A vendor that looks like one of our unlinked companies is skipped (link it instead) unless
    skip_matches is False.
    """
    if not system_actor:
        _require_vendor_rights(actor)
    summary = sync_runs.SyncSummary(kind=SyncKind.VENDORS)
    cursor = sync_runs.cursor_for(connection, SyncKind.VENDORS)
    index = None
    if skip_matches:
        # Companies still linked to an earlier connection's vendor count as here: after a
        # switch they are re-linked, not imported a second time.
        not_linked_here = Company.objects.filter(is_archived=False).exclude(
            erp_connection=connection
        )
        index = CompanyIndex(
            not_linked_here.only(*MATCHED_COMPANY_FIELDS).iterator(chunk_size=2000)
        )
    iterator = vendors.iterator(chunk_size=BATCH_SIZE) if isinstance(vendors, QuerySet) else vendors
    for batch in _batches(iter(iterator), BATCH_SIZE):
        with transaction.atomic():
            SyncCursor.objects.select_for_update().filter(pk=cursor.pk).first()
            _import_batch(connection, batch, index, actor, system_actor, summary)
    return summary


def _batches(items: Iterator, size: int) -> Iterator[list]:
    while batch := list(islice(items, size)):
        yield batch


def _import_batch(connection, batch, index, actor, system_actor, summary) -> None:
    ids = [vendor.erp_id for vendor in batch]
    linked = dict(
        Company.objects.filter(erp_connection=connection, erp_id__in=ids).values_list(
            "erp_id", "name"
        )
    )
    now = timezone.now()
    new = []
    for vendor in batch:
        label = vendor.display_name
        if vendor.erp_id in linked:
            summary.skip("already in the company directory", label)
            continue
        if not vendor.is_active:
            summary.skip("inactive in the ERP", label)
            continue
        if vendor.is_archived:
            summary.skip("archived by an accountant", label)
            continue
        matches = index.matches(vendor) if index is not None else []
        if matches:
            company, assessment = matches[0]
            summary.skip(
                "looks like a company already here: link it instead",
                f"'{label}' like '{company.name}' ({assessment.reason})",
            )
            continue
        linked[vendor.erp_id] = label
        new.append(_company_from_vendor(connection, vendor, now))
    if not new:
        return
    created = records_import(
        records=new,
        actor=actor,
        system_actor=system_actor,
        reason_of=lambda company: f"imported from vendor '{company.name}' ({company.erp_id})",
    )
    summary.created += len(created)


def _company_from_vendor(connection, vendor, now) -> Company:
    return Company(
        name=vendor.display_name[:255],
        legal_name=vendor.company_name[:255],
        # Lists show tax ids masked; a masked one is no tax id at all.
        tax_id=vendor.tax_id if normalise_tax_id(vendor.tax_id) else "",
        email=vendor.email[:254],
        phone=vendor.phone,
        address_line1=vendor.address_line1,
        city=vendor.city,
        region=vendor.region,
        postal_code=vendor.postal_code,
        country=vendor.country,
        erp_connection=connection,
        erp_id=vendor.erp_id,
        erp_version=vendor.erp_version,
        erp_synced_at=now,
    )
