"""Reading lists and changes from QuickBooks Online for the imports, page by page.

Full reads page with STARTPOSITION in Id order (new objects get higher Ids, so a page once read
stays read) and say where the next page starts, which is the checkpoint of a resumable import.
Changes come from one change-data-capture request for every entity asked for.

Judging job-cost lines needs the chart of accounts (which accounts sit on the balance sheet) and,
for item lines, the account each item posts to. A reader lives for one sync and reads each list
once, the first time a job-keyed line needs it, so a sync with nothing changed reads neither.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from integrations.base import DocumentState
from integrations.models import ERPConnection
from integrations.quickbooks_online import drift, inbound
from integrations.quickbooks_online.client import MAX_PAGE_SIZE, QuickBooksClient

# QuickBooks answers change data capture with at most this many objects; a full answer may
# have left some out, so the caller reads everything instead.
CDC_MAX_OBJECTS = 1000
ALL_ACTIVITY = "Active IN (true, false)"


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

    def vendor_pages(self, *, start: int = 1) -> Iterator[Page]:
        for page in self.pages("Vendor", ALL_ACTIVITY, start=start):
            page.rows = [inbound.vendor_from_qbo(row) for row in page.rows]
            yield page

    def job_pages(self, *, start: int = 1) -> Iterator[Page]:
        """Jobs, and the top-level customers a new job may go under."""
        for page in self.pages("Customer", ALL_ACTIVITY, start=start):
            page.rows = self.jobs_and_customers(page.rows)
            yield page

    def jobs_and_customers(self, documents: list[dict]) -> list:
        """JobData of each job and CustomerData of each top-level customer (is_job tells)."""
        rows = []
        for document in documents:
            if inbound.is_job(document):
                rows.append(inbound.job_from_qbo(document))
            elif inbound.is_top_level_customer(document):
                rows.append(inbound.customer_from_qbo(document))
        return rows

    def cost_code_pages(self, *, start: int = 1) -> Iterator[Page]:
        for page in self.pages("Item", ALL_ACTIVITY, start=start):
            page.rows = [
                inbound.cost_code_from_item(row)
                for row in page.rows
                if inbound.is_cost_code_item(row)
            ]
            yield page

    def transaction_pages(self, entity: str, *, start: int = 1) -> Iterator[Page]:
        yield from self.pages(entity, start=start)

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

    def vendor(self, document: dict) -> inbound.VendorData:
        return inbound.vendor_from_qbo(document)

    def create_cost_code(
        self, *, code: str, name: str, expense_account_id: str, request_id: str
    ) -> inbound.CostCodeData:
        payload = inbound.cost_code_item_payload(
            code=code, name=name, expense_account_id=expense_account_id
        )
        return inbound.cost_code_from_item(
            self.client.create("Item", payload, request_id=request_id)
        )

    def expense_accounts(self) -> list[tuple[str, str]]:
        """(id, name) of the accounts a cost code's item may post to."""
        rows = self.client.query_all("Account", "Classification = 'Expense'", order_by="Name")
        return [(str(row["Id"]), row.get("Name", "")) for row in rows]

    def job_cost_lines(self, entity: str, document: dict) -> list[inbound.JobCostLine]:
        detail_types = inbound.job_line_detail_types(document)
        if not detail_types:
            return []
        if self._accounts is None:
            self._accounts = list(self.client.query_all("Account", ALL_ACTIVITY))
        if inbound.ITEM_DETAIL in detail_types and self._items is None:
            self._items = list(self.client.query_all("Item", ALL_ACTIVITY))
        chart = inbound.chart_of_accounts(self._accounts, self._items or [])
        return inbound.job_cost_lines(entity, document, chart)

    def bill(self, document: dict) -> inbound.BillData:
        return inbound.bill_from_qbo(document, voided=drift.is_voided(document))

    def payment_allocations(self, document: dict) -> list[inbound.PaymentAllocation]:
        return inbound.payment_allocations(document)

    # Exported documents changed after their export -----------------------------------------

    def exported_entities(self) -> list[str]:
        """The kinds of document our exports create that a change may drift from the approval."""
        return list(_EXPORTED_RECORD_MODELS)

    def exported_record_models(self, entity: str) -> list:
        return _EXPORTED_RECORD_MODELS.get(entity, [])

    def synced_state(self, record, document: dict | None) -> DocumentState:
        return drift.state_of(record, document)


_EXPORTED_RECORD_MODELS: dict[str, list] = {}
for _model, _entity in drift.ENTITY_OF.items():
    _EXPORTED_RECORD_MODELS.setdefault(_entity, []).append(_model)
