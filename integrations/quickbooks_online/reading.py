"""Reading lists and changes from QuickBooks Online for the imports, batch by batch.

A run asks for what changed since the last complete run, with one change-data-capture request
for every entity it reads. It reads everything instead when there is no last run, when that run
is older than QuickBooks' change window, or when the change list may have been cut short. Full
reads page with STARTPOSITION in Id order (new objects get higher Ids, so a page once read stays
read); the resume token after each page says where the next one starts, so an interrupted name
list resumes there. The token is ours alone: the workflow only stores it and hands it back.

Judging job-cost lines needs the chart of accounts (which accounts sit on the balance sheet) and,
for item lines, the account each item posts to. A reader lives for one sync and reads each list
once, the first time a job-keyed line needs it, so a sync with nothing changed reads neither.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from integrations.base import DocumentState
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
from integrations.quickbooks_online import drift, inbound
from integrations.quickbooks_online.client import MAX_PAGE_SIZE, QuickBooksClient

# QuickBooks answers change data capture with at most this many objects; a full answer may
# have left some out, so the reader reads everything instead.
CDC_MAX_OBJECTS = 1000
ALL_ACTIVITY = "Active IN (true, false)"
EMPTY_CHART = inbound.ChartOfAccounts(frozenset(), {})


@dataclass
class Page:
    rows: list
    next_position: int
    is_last: bool


@dataclass
class Changes:
    """Changed objects per entity; `complete` is False when QuickBooks may have cut the list."""

    changed: dict[str, list[dict]] = field(default_factory=dict)
    deleted: dict[str, list[str]] = field(default_factory=dict)
    complete: bool = True


@dataclass(frozen=True)
class ResumePoint:
    """What a resume token says: changes are asked for since `since` (when the last complete
    run began); an unfinished full read began at `full_started` and goes on at `position`."""

    since: datetime | None = None
    full_started: datetime | None = None
    position: int = 0

    @classmethod
    def parse(cls, token: str) -> ResumePoint:
        if not token:
            return cls()
        values = json.loads(token)
        return cls(
            since=_moment(values.get("since")),
            full_started=_moment(values.get("full_started")),
            position=int(values.get("position") or 0),
        )

    def dumps(self) -> str:
        values = {
            "since": self.since.isoformat() if self.since else None,
            "full_started": self.full_started.isoformat() if self.full_started else None,
            "position": self.position,
        }
        return json.dumps({name: value for name, value in values.items() if value})

    def needs_full_read(self, now: datetime) -> bool:
        """No earlier run, an unfinished full read, or a last run too old for change data capture."""
        window = timedelta(days=settings.ERP_CHANGES_WINDOW_DAYS) - timedelta(hours=1)
        return self.since is None or self.full_started is not None or now - self.since > window

    def changes_start(self) -> datetime:
        """A little before the last run began: clocks differ, and storing is idempotent."""
        return self.since - timedelta(seconds=settings.ERP_CHANGES_OVERLAP_SECONDS)


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class QuickBooksReader:
    kind = "quickbooks_online"
    display_name = "QuickBooks Online"

    def __init__(self, connection: ERPConnection, client: QuickBooksClient | None = None):
        self.connection = connection
        self.client = client or QuickBooksClient(connection)
        self._accounts: list[dict] | None = None
        self._items: list[dict] | None = None

    def close(self) -> None:
        self.client.close()

    def pages(
        self, entity: str, where: str = "", *, start: int = 1, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[Page]:
        base = f"SELECT * FROM {entity}{' WHERE ' + where if where else ''} ORDERBY Id"  # noqa: S608
        position = max(1, start)
        while True:
            answer = self.client.query(f"{base} STARTPOSITION {position} MAXRESULTS {page_size}")
            rows = next(
                (value for key, value in answer.items() if key.lower() == entity.lower()), []
            )
            position += len(rows)
            is_last = len(rows) < page_size
            yield Page(rows=rows, next_position=position, is_last=is_last)
            if is_last:
                return

    def changes(self, entities: list[str], since: datetime) -> Changes:
        answer = self.client.cdc(entities, since)
        result = Changes()
        total = 0
        for entity, documents in answer.items():
            total += len(documents)
            result.changed[entity] = [doc for doc in documents if not inbound.is_deleted(doc)]
            result.deleted[entity] = [
                str(doc["Id"]) for doc in documents if inbound.is_deleted(doc)
            ]
        result.complete = total < CDC_MAX_OBJECTS
        return result

    # Name lists -----------------------------------------------------------------------------

    def vendor_batches(self, resume_token: str) -> Iterator[Batch]:
        yield from self._name_list("Vendor", resume_token, _each(inbound.vendor_from_qbo))

    def job_batches(self, resume_token: str) -> Iterator[Batch]:
        """Jobs, and the top-level customers a new job may go under."""
        yield from self._name_list("Customer", resume_token, _jobs_and_customers)

    def cost_code_batches(self, resume_token: str) -> Iterator[Batch]:
        """Every usable item, always read whole (the list is short), so deactivations show."""
        point = ResumePoint.parse(resume_token)
        yield from self._full_read(
            "Item", point, timezone.now(), _cost_code_items, resume=point.full_started is not None
        )

    def _name_list(
        self, entity: str, resume_token: str, convert: Callable[[list[dict]], list]
    ) -> Iterator[Batch]:
        point = ResumePoint.parse(resume_token)
        started = timezone.now()
        if not point.needs_full_read(started):
            changes = self.changes([entity], point.changes_start())
            if changes.complete:
                rows = tuple(convert(changes.changed.get(entity, [])))
                yield Batch(rows=rows, resume_token=ResumePoint(since=started).dumps())
                return
        yield from self._full_read(entity, point, started, convert, resume=True)

    def _full_read(
        self, entity: str, point: ResumePoint, started: datetime, convert, *, resume: bool
    ) -> Iterator[Batch]:
        full_started = (point.full_started if resume else None) or started
        start = point.position if resume and point.full_started else 1
        for page in self.pages(entity, ALL_ACTIVITY, start=start):
            if page.is_last:
                after = ResumePoint(since=full_started)
            else:
                after = ResumePoint(
                    since=point.since, full_started=full_started, position=page.next_position
                )
            yield Batch(rows=tuple(convert(page.rows)), resume_token=after.dumps(), full_read=True)

    def create_cost_code(
        self, *, code: str, name: str, expense_account_id: str, idempotency_key: str
    ) -> ImportedCostCode:
        payload = inbound.cost_code_item_payload(
            code=code, name=name, expense_account_id=expense_account_id
        )
        return inbound.cost_code_from_item(
            self.client.create("Item", payload, request_id=idempotency_key)
        )

    def expense_accounts(self) -> list[tuple[str, str]]:
        """(id, name) of the accounts a cost code's item may post to."""
        rows = self.client.query_all("Account", "Classification = 'Expense'", order_by="Name")
        return [(str(row["Id"]), row.get("Name", "")) for row in rows]

    # Job costs, bills, payments and exported documents -------------------------------------

    def job_cost_batches(self, resume_token: str) -> Iterator[JobCostBatch]:
        """Changes since the last complete run in one batch, or a full read entity by entity.

        A full read is not resumed midway: until it finishes, the token stays what it was.
        """
        point = ResumePoint.parse(resume_token)
        started = timezone.now()
        entities = _JOB_COST_READ
        if not point.needs_full_read(started):
            changes = self.changes(entities, point.changes_start())
            if changes.complete:
                yield self._job_cost_batch(
                    changes.changed,
                    changes.deleted,
                    resume_token=ResumePoint(since=started).dumps(),
                )
                return
        for entity in entities:
            seen: set[str] = set()
            for page in self.pages(entity):
                seen.update(str(document["Id"]) for document in page.rows)
                finished = page.is_last and entity == entities[-1]
                yield self._job_cost_batch(
                    {entity: page.rows},
                    {},
                    resume_token=ResumePoint(since=started).dumps() if finished else resume_token,
                    full_read=True,
                    listings=(
                        (FullListing(inbound.KIND_OF_ENTITY[entity], frozenset(seen)),)
                        if page.is_last
                        else ()
                    ),
                )

    def _job_cost_batch(
        self,
        changed: dict[str, list[dict]],
        deleted: dict[str, list[str]],
        *,
        resume_token: str,
        full_read: bool = False,
        listings: tuple[FullListing, ...] = (),
    ) -> JobCostBatch:
        return JobCostBatch(
            resume_token=resume_token,
            full_read=full_read,
            documents=tuple(
                inbound.job_cost_document(entity, document, self._chart_for(document))
                for entity in inbound.JOB_COST_ENTITIES
                for document in changed.get(entity, [])
            ),
            bills=tuple(
                inbound.bill_from_qbo(document, voided=drift.is_voided(document))
                for document in changed.get("Bill", [])
            ),
            payments=tuple(
                inbound.payment_from_qbo(document)
                for document in changed.get(inbound.PAYMENT_ENTITY, [])
            ),
            exported=tuple(
                _exported(entity, document)
                for entity in _EXPORTED_ENTITIES
                for document in changed.get(entity, [])
            ),
            deletions=tuple(
                Deletion(inbound.KIND_OF_ENTITY[entity], erp_id)
                for entity, erp_ids in deleted.items()
                if entity in inbound.KIND_OF_ENTITY
                for erp_id in erp_ids
            ),
            listings=listings,
        )

    def _chart_for(self, document: dict) -> inbound.ChartOfAccounts:
        detail_types = inbound.job_line_detail_types(document)
        if not detail_types:
            return EMPTY_CHART
        if self._accounts is None:
            self._accounts = list(self.client.query_all("Account", ALL_ACTIVITY))
        if inbound.ITEM_DETAIL in detail_types and self._items is None:
            self._items = list(self.client.query_all("Item", ALL_ACTIVITY))
        return inbound.chart_of_accounts(self._accounts, self._items or [])

    def exported_record_models(self, kind: DocumentKind) -> list:
        return _EXPORTED_RECORD_MODELS.get(inbound.ENTITY_OF_KIND[kind], [])

    def missing_state(self, record) -> DocumentState:
        return drift.state_of(record, None)


def _each(convert: Callable[[dict], object]) -> Callable[[list[dict]], list]:
    return lambda documents: [convert(document) for document in documents]


def _jobs_and_customers(documents: list[dict]) -> list:
    """Each job, and each top-level customer a job may be created under."""
    rows = []
    for document in documents:
        if inbound.is_job(document):
            rows.append(inbound.job_from_qbo(document))
        elif inbound.is_top_level_customer(document):
            rows.append(inbound.customer_from_qbo(document))
    return rows


def _cost_code_items(documents: list[dict]) -> list:
    return [inbound.cost_code_from_item(row) for row in documents if inbound.is_cost_code_item(row)]


def _exported(entity: str, document: dict) -> ExportedDocument:
    return ExportedDocument(
        kind=inbound.KIND_OF_ENTITY[entity],
        erp_id=str(document["Id"]),
        judge=lambda record: drift.state_of(record, document),
    )


_EXPORTED_RECORD_MODELS: dict[str, list] = {}
for _model, _entity in drift.ENTITY_OF.items():
    _EXPORTED_RECORD_MODELS.setdefault(_entity, []).append(_model)
_EXPORTED_ENTITIES = tuple(_EXPORTED_RECORD_MODELS)
# Job-cost documents and payments, and the documents our exports create, whose changes after
# the export are flagged on their records.
_JOB_COST_READ = [
    *inbound.JOB_COST_ENTITIES,
    inbound.PAYMENT_ENTITY,
    *(entity for entity in _EXPORTED_ENTITIES if entity not in inbound.JOB_COST_ENTITIES),
]
