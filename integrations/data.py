"""What an ERP's reader hands the approval workflow: plain, typed data, never the ERP's documents.

Every reader (integrations/<erp>/reading.py) turns what its ERP answers into these objects and
yields them in batches. A batch carries an opaque resume token: the workflow stores a batch and
its token together and hands the token back on the next run; how the ERP finds what changed
(change data capture, If-Modified-Since, iterators) is the reader's own business.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from integrations.base import DocumentState


class DocumentKind(StrEnum):
    """The ERP documents the workflow reads back, in its own words."""

    BILL = "bill"
    EXPENSE = "expense"  # a check, cash or card purchase (negative when it is a card credit)
    CREDIT = "credit"  # a vendor credit: lowers the job's cost
    PAYMENT = "payment"  # a bill payment
    PURCHASE_ORDER = "purchase_order"


JOB_COST_KINDS = (DocumentKind.BILL, DocumentKind.EXPENSE, DocumentKind.CREDIT)


@dataclass(frozen=True)
class ImportedVendor:
    erp_id: str
    version: str
    display_name: str
    company_name: str
    tax_id: str
    email: str
    phone: str
    address_line1: str
    city: str
    region: str
    postal_code: str
    country: str
    is_active: bool
    # What the company owes the vendor in the ERP (open bills less unapplied credits), in the
    # vendor's currency; None when the ERP does not say.
    open_balance: Decimal | None = None
    currency: str = ""
    # Whether the ERP holds the party as one the company buys from (Xero keeps customers and
    # suppliers in one contact list; QuickBooks' vendors are all suppliers).
    is_supplier: bool = True


@dataclass(frozen=True)
class ImportedJob:
    """A job (project) in the ERP, under its parent customer."""

    erp_id: str
    version: str
    display_name: str
    fully_qualified_name: str
    parent_erp_id: str
    parent_name: str
    address: str
    is_active: bool


@dataclass(frozen=True)
class ImportedCustomer:
    """A top-level customer: what a project's job may be created under."""

    erp_id: str
    display_name: str
    is_active: bool


@dataclass(frozen=True)
class ImportedCostCode:
    """An ERP item or account usable as a standard cost code."""

    erp_id: str
    version: str
    code: str
    name: str
    is_active: bool


@dataclass(frozen=True)
class JobCostLine:
    """One line of a job-cost document charged to a job; negative when it lowers the cost."""

    line_id: str
    job_erp_id: str
    cost_code_erp_id: str
    account_name: str
    description: str
    amount: Decimal


@dataclass(frozen=True)
class JobCostDocument:
    """A bill, expense or credit as job costing needs it; `lines` are only those on a job
    (none when no line is), so a document edited off every job leaves nothing behind."""

    kind: DocumentKind
    erp_id: str
    date: date | None
    number: str
    vendor_erp_id: str
    vendor_name: str
    lines: tuple[JobCostLine, ...]


@dataclass(frozen=True)
class BillSummary:
    """A bill as a duplicate check needs it: whose, which number, when, how much, what is left."""

    erp_id: str
    vendor_erp_id: str
    number: str
    billed_on: date | None
    total: Decimal
    pre_tax_total: Decimal  # what our invoice's net compares with (the ERP adds the tax)
    balance: Decimal
    is_voided: bool


@dataclass(frozen=True)
class PaymentAllocation:
    """How much of one bill one payment paid."""

    payment_id: str
    bill_id: str
    amount: Decimal
    paid_on: date | None
    method: str


@dataclass(frozen=True)
class ImportedPayment:
    """A bill payment and what it pays (nothing once it is voided)."""

    erp_id: str
    allocations: tuple[PaymentAllocation, ...]


@dataclass(frozen=True)
class Deletion:
    """A document of `kind` the ERP deleted."""

    kind: DocumentKind
    erp_id: str


@dataclass(frozen=True)
class FullListing:
    """After a full read: the ids of every document of `kind` the ERP holds, so what the
    workflow keeps of any other is gone."""

    kind: DocumentKind
    erp_ids: frozenset[str]


@dataclass(frozen=True)
class ExportedDocument:
    """A document of a kind our exports create, changed in the ERP since it was last read.

    `state_of(record)` says what became of it for the record exported as it; the reader judges,
    the workflow only stores the answer.
    """

    kind: DocumentKind
    erp_id: str
    judge: Callable[[Any], DocumentState] = field(repr=False, compare=False)

    def state_of(self, record) -> DocumentState:
        return self.judge(record)


@dataclass(frozen=True)
class Batch[Row]:
    """Rows of one name list (vendors, jobs, cost codes), then the token to resume after them.

    `full_read` says the rows come from reading the whole list rather than its changes;
    `whole_list` that they are every entry the ERP still holds in it, archived ones included
    (an ERP that deletes entries lists nothing for them: what is missing is gone).
    """

    rows: tuple[Row, ...]
    resume_token: str
    full_read: bool = False
    whole_list: bool = False


@dataclass(frozen=True)
class JobCostBatch:
    """Job costs, bills, payments and exported documents changed or deleted, then the token."""

    resume_token: str
    full_read: bool = False
    documents: tuple[JobCostDocument, ...] = ()
    bills: tuple[BillSummary, ...] = ()
    payments: tuple[ImportedPayment, ...] = ()
    exported: tuple[ExportedDocument, ...] = ()
    deletions: tuple[Deletion, ...] = ()
    listings: tuple[FullListing, ...] = ()


class Reader(Protocol):
    """Implemented once per ERP in integrations/<erp>/reading.py; lives for one import.

    Each `*_batches(resume_token)` starts where the token says ("" for the first run, or to read
    everything again) and yields batches until the workflow holds everything the ERP has.
    """

    display_name: str

    def close(self) -> None: ...

    def vendor_batches(self, resume_token: str) -> Iterator[Batch[ImportedVendor]]: ...

    def job_batches(self, resume_token: str) -> Iterator[Batch[ImportedJob | ImportedCustomer]]: ...

    def cost_code_batches(self, resume_token: str) -> Iterator[Batch[ImportedCostCode]]: ...

    def job_cost_batches(self, resume_token: str) -> Iterator[JobCostBatch]: ...

    def exported_record_models(self, kind: DocumentKind) -> list:
        """The record models whose exports create documents of `kind`."""

    def missing_state(self, record) -> DocumentState:
        """What to record when the document `record` was exported as is gone."""

    def create_cost_code(
        self, *, code: str, name: str, expense_account_id: str, idempotency_key: str
    ) -> ImportedCostCode: ...


@dataclass(frozen=True)
class QueuedImport:
    """Where an import stands whose reads wait for the ERP's own agent (QuickBooks Desktop's
    Web Connector): queued since, being read since, and a sentence saying when the agent will
    do them ("the Web Connector last ran 2 hours ago")."""

    waiting_since: datetime | None
    reading_since: datetime | None
    agent_news: str


class AgentImports(Protocol):
    """Implemented by an ERP whose imports cannot run while a worker waits: its agent calls
    us, collects the queued reads and brings the answers (integrations/<erp>/, named by the
    registry entry's `agent_imports`). The answers come in through approvals.inbound."""

    def request(self, kind: str) -> bool:
        """Queue the reads of import `kind` unless they already wait; True when queued."""

    def state(self, kind: str) -> QueuedImport: ...
