"""Reading contacts, tracking options, items and job costs from Xero for the imports.

Contacts and the purchase documents are read page by page, oldest change first (`order`
UpdatedDateUTC), with `If-Modified-Since` set to a little before the last complete run began;
the first run, and a run asked to read everything, sends none and reads it all. The resume
token after each page says where the next one starts (which list, which page, since when), so
an interrupted run resumes at the page it stopped at. The token is ours alone: the workflow
only stores it and hands it back.

Xero offers no `If-Modified-Since` on tracking categories, and items come in one unpaged list,
so both are read whole each run (one call each), archived options included. Xero lists nothing
for a deleted option or item: each run hands its list over as whole, so what it no longer holds
(or an item no longer bought) becomes inactive here.

What Xero answers for a changed document includes its status: a deleted one (DELETED) is
handed over as a deletion, a voided one (VOIDED) as a document without lines, so its job costs
go and the duplicate check sees the bill voided. After a whole list was read from its first
page in one run, the ids it held are handed over too, so what we keep of any other is gone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from integrations.base import DocumentState, PermanentERPError
from integrations.data import (
    Batch,
    Deletion,
    DocumentKind,
    ExportedDocument,
    FullListing,
    ImportedCostCode,
    JobCostBatch,
)
from integrations.models import ERPConnection
from integrations.xero import choices, drift, errors, inbound
from integrations.xero.client import XeroClient

PAGE_SIZE = 1000
OLDEST_CHANGE_FIRST = "UpdatedDateUTC ASC"
# The lists the job-cost sync reads, in order: job costs, payments, then our purchase orders
# (whose changes after the export are flagged on their commitments).
JOB_COST_READ = (*inbound.JOB_COST_RESOURCES, "Payments", "PurchaseOrders")
NO_CATEGORY = (
    "Choose the tracking category of projects on the Xero connection page (ERP Integrations → "
    "Xero connection) before importing tracking options."
)


@dataclass(frozen=True)
class ResumePoint:
    """Changes are read since `since` (None: everything); the run that began at `started` goes
    on with list number `position` at `page`."""

    since: datetime | None = None
    started: datetime | None = None
    position: int = 0
    page: int = 1

    @classmethod
    def parse(cls, token: str) -> ResumePoint:
        if not token:
            return cls()
        values = json.loads(token)
        return cls(
            since=_moment(values.get("since")),
            started=_moment(values.get("started")),
            position=int(values.get("position") or 0),
            page=int(values.get("page") or 1),
        )

    def dumps(self) -> str:
        values = {
            "since": self.since.isoformat() if self.since else None,
            "started": self.started.isoformat() if self.started else None,
            "position": self.position,
            "page": self.page,
        }
        return json.dumps(values)

    def finished(self) -> ResumePoint:
        """Where the next run starts: a little before this one began (clocks differ, and
        storing is idempotent)."""
        overlap = timedelta(seconds=settings.ERP_CHANGES_OVERLAP_SECONDS)
        return ResumePoint(since=self.started - overlap)


@dataclass(frozen=True)
class Page:
    resource: str
    rows: list[dict]
    after: ResumePoint
    listing: FullListing | None


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class XeroReader:
    display_name = "Xero"

    def __init__(self, connection: ERPConnection, client: XeroClient | None = None):
        self.connection = connection
        self.client = client or XeroClient(connection)
        self._ledger: inbound.Ledger | None = None

    def close(self) -> None:
        self.client.close()

    # Paging --------------------------------------------------------------------------------

    def pages(self, resources: tuple[str, ...], resume_token: str) -> Iterator[Page]:
        """Every page of each list in turn, changed since the token's moment, from where it
        says; the last page's token is where the next run starts."""
        point = ResumePoint.parse(resume_token)
        fresh = point.started is None
        if fresh:
            point = replace(point, started=timezone.now(), position=0, page=1)
        for position in range(point.position, len(resources)):
            resource = resources[position]
            page = point.page if position == point.position else 1
            # Only a list this run read from its first page lists every id the ERP holds.
            whole = page == 1
            seen: set[str] = set()
            while True:
                rows, answered_at = self._read_page(resource, page, point.since)
                if fresh and answered_at is not None:
                    # Xero's clock, not ours, says when this run began reading.
                    point, fresh = replace(point, started=min(point.started, answered_at)), False
                seen.update(inbound.record_id(resource, row) for row in rows)
                last = len(rows) < PAGE_SIZE
                listing = None
                if last and whole and point.since is None and resource in inbound.KIND_OF_RESOURCE:
                    listing = FullListing(inbound.KIND_OF_RESOURCE[resource], frozenset(seen))
                if last and position == len(resources) - 1:
                    after = point.finished()
                elif last:
                    after = replace(point, position=position + 1, page=1)
                else:
                    after = replace(point, position=position, page=page + 1)
                yield Page(resource, rows, after, listing)
                if last:
                    break
                page += 1

    def _read_page(
        self, resource: str, page: int, since: datetime | None
    ) -> tuple[list[dict], datetime | None]:
        """The page's records, and when Xero answered (its DateTimeUTC)."""
        params = {"page": str(page), "pageSize": str(PAGE_SIZE), "order": OLDEST_CHANGE_FIRST}
        if resource == "Contacts":
            params["includeArchived"] = "true"
        if resource in inbound.PURCHASES_ONLY:
            params["where"] = inbound.PURCHASES_ONLY[resource]
        answer = self.client.get(resource, params=params, modified_since=since)
        answered_at = inbound.updated_at({"UpdatedDateUTC": answer.get("DateTimeUTC")})
        return list(answer.get(resource) or []), answered_at

    # Name lists ----------------------------------------------------------------------------

    def vendor_batches(self, resume_token: str) -> Iterator[Batch]:
        """Every contact, active or archived: Xero keeps suppliers and customers in one list."""
        for page in self.pages(("Contacts",), resume_token):
            yield Batch(
                rows=tuple(inbound.vendor_from_contact(row) for row in page.rows),
                resume_token=page.after.dumps(),
                full_read=ResumePoint.parse(resume_token).since is None,
            )

    def job_batches(self, resume_token: str) -> Iterator[Batch]:
        """The options of the tracking category of projects, archived ones included."""
        category_id = choices.setting(self.connection, "tracking_category_id")
        if not category_id:
            raise PermanentERPError(NO_CATEGORY)
        try:
            category = self.client.get(
                f"TrackingCategories/{category_id}", params={"includeArchived": "true"}
            )["TrackingCategories"][0]
        except errors.XeroError as error:
            if error.status != 404:
                raise
            category = {"Status": "DELETED"}
        if category.get("Status") != "ACTIVE":
            raise PermanentERPError(
                "Xero no longer has the tracking category of projects in use. " + NO_CATEGORY
            )
        options = [
            option for option in category.get("Options") or [] if option.get("Status") != "DELETED"
        ]
        yield Batch(
            rows=tuple(inbound.job_from_option(option) for option in options),
            resume_token="",
            full_read=True,
            whole_list=True,
        )

    def cost_code_batches(self, resume_token: str) -> Iterator[Batch]:
        """Every item a bill line can carry, read whole (Xero does not page items)."""
        items = self.client.get("Items")["Items"]
        yield Batch(
            rows=tuple(
                inbound.cost_code_from_item(item)
                for item in items
                if inbound.is_cost_code_item(item)
            ),
            resume_token="",
            full_read=True,
            whole_list=True,
        )

    def create_cost_code(
        self, *, code: str, name: str, expense_account_id: str, idempotency_key: str
    ) -> ImportedCostCode:
        payload = inbound.cost_code_item_payload(
            code=code, name=name, expense_account_code=expense_account_id
        )
        answer = self.client.create("Items", {"Items": [payload]}, idempotency_key=idempotency_key)
        return inbound.cost_code_from_item(answer["Items"][0])

    def expense_accounts(self) -> list[tuple[str, str]]:
        """(code, name) of the accounts a cost code's item may post to."""
        rows = self.client.get("Accounts", params={"where": 'Status=="ACTIVE"'})["Accounts"]
        return [
            (str(row["Code"]), f"{row['Code']} {row.get('Name', '')}")
            for row in rows
            if row.get("Type") in choices.EXPENSE_TYPES and row.get("Code")
        ]

    # Job costs, bills, payments and exported documents -------------------------------------

    def job_cost_batches(self, resume_token: str) -> Iterator[JobCostBatch]:
        full_read = ResumePoint.parse(resume_token).since is None
        for page in self.pages(JOB_COST_READ, resume_token):
            yield self._job_cost_batch(page, full_read=full_read)

    def _job_cost_batch(self, page: Page, *, full_read: bool) -> JobCostBatch:
        resource = page.resource
        kind = inbound.KIND_OF_RESOURCE[resource]
        present = [row for row in page.rows if not inbound.is_gone(row)]
        gone = [row for row in page.rows if inbound.is_gone(row)]
        documents = ()
        if resource in inbound.JOB_COST_RESOURCES:
            documents = tuple(
                inbound.job_cost_document(resource, row, self._ledger_for(row)) for row in present
            )
        return JobCostBatch(
            resume_token=page.after.dumps(),
            full_read=full_read,
            documents=documents,
            bills=tuple(inbound.bill_summary(row) for row in present)
            if resource == "Invoices"
            else (),
            payments=tuple(inbound.payment_from_xero(row) for row in page.rows)
            if resource == "Payments"
            else (),
            exported=tuple(_exported(kind, row) for row in present if kind in drift.EXPORTED_KINDS),
            deletions=tuple(
                Deletion(kind, inbound.record_id(resource, row))
                for row in gone
                if resource != "Payments"
            ),
            listings=(page.listing,) if page.listing else (),
        )

    def _ledger_for(self, document: dict) -> inbound.Ledger:
        """Read accounts and items once, the first time a document carries a project."""
        category_id = choices.setting(self.connection, "tracking_category_id")
        if not category_id or not inbound.carries_project(document, category_id):
            return inbound.Ledger(category_id.lower(), frozenset(), {})
        if self._ledger is None:
            accounts = self.client.get("Accounts")["Accounts"]
            items = self.client.get("Items")["Items"]
            self._ledger = inbound.ledger_from(category_id, accounts, items)
        return self._ledger

    def exported_record_models(self, kind: DocumentKind) -> list:
        return drift.models_of(kind)

    def missing_state(self, record) -> DocumentState:
        return drift.state_of(record, None)


def _exported(kind: DocumentKind, document: dict) -> ExportedDocument:
    return ExportedDocument(
        kind=kind,
        erp_id=inbound.record_id(inbound.RESOURCE_OF_KIND[kind], document),
        judge=lambda record: drift.state_of(record, document),
    )
