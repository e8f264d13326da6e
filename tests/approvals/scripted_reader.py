"""A reader that answers from an ERP kept in memory, for the import services and pages.

The QuickBooks Online sandbox covers a real ERP's reads (tests/integrations); this one lets a
test say "the ERP holds these vendors, then renames one" in the typed data of
integrations/data.py, with no ERP's wire format. Name lists work like a real reader's: the first
run reads everything in pages, each page's resume token says where the next starts, and the
token of a finished read brings only what changed since. Job costs come from a script: each run
yields the next batches the test put in `books.job_cost_runs`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from itertools import count

from approvals.models import Commitment, SubcontractorInvoice
from approvals.states import ERPDrift
from integrations.base import DocumentState, ERPError, TransientERPError
from integrations.data import (
    Batch,
    DocumentKind,
    ImportedCostCode,
    ImportedCustomer,
    ImportedJob,
    ImportedVendor,
    JobCostBatch,
)

PAGE_SIZE = 1000
EXPORTED_AS = {DocumentKind.BILL: [SubcontractorInvoice], DocumentKind.PURCHASE_ORDER: [Commitment]}


@dataclass
class NameList:
    """One list of the ERP (vendors, jobs and customers, cost codes) and when each row changed."""

    rows: dict[str, object] = field(default_factory=dict)
    changed_at: dict[str, int] = field(default_factory=dict)


@dataclass
class Books:
    """What the scripted ERP holds, and how its reads went."""

    vendors: NameList = field(default_factory=NameList)
    jobs: NameList = field(default_factory=NameList)
    cost_codes: NameList = field(default_factory=NameList)
    job_cost_runs: list[list[JobCostBatch]] = field(default_factory=list)
    """The batches each job-cost run yields, one list per run, consumed in order."""
    tokens: list[str] = field(default_factory=list)
    """The resume token each read started from, in order."""
    pages: int = 0
    """Pages answered since the last `reads_answered_again`."""
    failing_after: int | None = None
    """Pages answered before every read fails, until `reads_answered_again`."""
    held: threading.Event | None = None
    """While set up, each read waits for it before its first page (a slow ERP)."""
    reading: threading.Event = field(default_factory=threading.Event)
    """Set once a read has started."""
    created_cost_codes: dict[str, ImportedCostCode] = field(default_factory=dict)
    """By idempotency key: the cost codes `create_cost_code` made."""
    moment: int = 0
    """The ERP's clock: it ticks at each change."""
    _ids: count = field(default_factory=lambda: count(101))

    def add_vendor(self, display_name: str, **details) -> ImportedVendor:
        values = dict.fromkeys(
            (
                "company_name",
                "tax_id",
                "email",
                "phone",
                "address_line1",
                "city",
                "region",
                "postal_code",
                "country",
            ),
            "",
        )
        vendor = ImportedVendor(
            erp_id=self._new_id(),
            version="0",
            display_name=display_name,
            is_active=True,
            **{**values, **details},
        )
        return self._put(self.vendors, vendor)

    def add_vendors(self, how_many: int, *, prefix: str) -> None:
        for number in range(how_many):
            self.add_vendor(f"{prefix} {number:05d}")

    def add_customer(self, display_name: str) -> ImportedCustomer:
        customer = ImportedCustomer(
            erp_id=self._new_id(), display_name=display_name, is_active=True
        )
        return self._put(self.jobs, customer)

    def add_job(self, display_name: str, *, under: ImportedCustomer, address="") -> ImportedJob:
        job = ImportedJob(
            erp_id=self._new_id(),
            version="0",
            display_name=display_name,
            fully_qualified_name=f"{under.display_name}:{display_name}",
            parent_erp_id=under.erp_id,
            parent_name=under.display_name,
            address=address,
            is_active=True,
        )
        return self._put(self.jobs, job)

    def add_cost_code(self, code: str, name: str) -> ImportedCostCode:
        item = ImportedCostCode(
            erp_id=self._new_id(), version="0", code=code, name=name, is_active=True
        )
        return self._put(self.cost_codes, item)

    def change(self, row, **changes):
        """Someone edits `row` in the ERP: its version moves on, and a read of changes sees it."""
        name_list = next(
            lists
            for lists in (self.vendors, self.jobs, self.cost_codes)
            if row.erp_id in lists.rows
        )
        current = name_list.rows[row.erp_id]
        if hasattr(current, "version"):
            changes["version"] = str(int(current.version) + 1)
        return self._put(name_list, replace(current, **changes))

    def reads_fail_after(self, pages: int) -> None:
        self.failing_after = pages
        self.pages = 0

    def reads_answered_again(self) -> None:
        self.failing_after = None
        self.pages = 0

    def _new_id(self) -> str:
        return str(next(self._ids))

    def _put(self, name_list: NameList, row):
        self.moment += 1
        name_list.rows[row.erp_id] = row
        name_list.changed_at[row.erp_id] = self.moment
        return row


BOOKS = Books()


class ScriptedReader:
    display_name = "Scripted ERP"

    def __init__(self, connection):
        self.connection = connection

    def close(self) -> None:
        pass

    def vendor_batches(self, resume_token: str):
        yield from self._name_list(BOOKS.vendors, resume_token)

    def job_batches(self, resume_token: str):
        yield from self._name_list(BOOKS.jobs, resume_token)

    def cost_code_batches(self, resume_token: str):
        # The list is short: read whole every time, so deactivations show.
        yield from self._name_list(BOOKS.cost_codes, "")

    def job_cost_batches(self, resume_token: str):
        BOOKS.tokens.append(resume_token)
        self._wait_if_held()
        run = BOOKS.job_cost_runs.pop(0) if BOOKS.job_cost_runs else []
        yield from run or [JobCostBatch(resume_token=resume_token)]

    def exported_record_models(self, kind: DocumentKind) -> list:
        return EXPORTED_AS.get(kind, [])

    def missing_state(self, record) -> DocumentState:
        return DocumentState(drift=ERPDrift.DELETED, note="Deleted in the scripted ERP.")

    def create_cost_code(
        self, *, code: str, name: str, expense_account_id: str, idempotency_key: str
    ) -> ImportedCostCode:
        if idempotency_key not in BOOKS.created_cost_codes:
            BOOKS.created_cost_codes[idempotency_key] = BOOKS.add_cost_code(code, name)
        return BOOKS.created_cost_codes[idempotency_key]

    def _name_list(self, name_list: NameList, resume_token: str):
        """A token "since:N" reads the rows changed after moment N; "full:N:P" goes on with a
        full read begun at moment N from page P; "" starts a full read."""
        BOOKS.tokens.append(resume_token)
        self._wait_if_held()
        kind, *point = resume_token.split(":") if resume_token else ("full",)
        started = int(point[0]) if point else BOOKS.moment
        first_page = int(point[1]) if len(point) > 1 else 0
        order = sorted(name_list.rows, key=lambda erp_id: name_list.changed_at[erp_id])
        if kind == "since":
            self._answer_page()
            changed = [erp_id for erp_id in order if name_list.changed_at[erp_id] > started]
            yield Batch(
                rows=tuple(name_list.rows[erp_id] for erp_id in changed),
                resume_token=f"since:{BOOKS.moment}",
            )
            return
        pages = [order[at : at + PAGE_SIZE] for at in range(0, len(order), PAGE_SIZE)] or [[]]
        for number in range(first_page, len(pages)):
            self._answer_page()
            last = number == len(pages) - 1
            yield Batch(
                rows=tuple(name_list.rows[erp_id] for erp_id in pages[number]),
                resume_token=f"since:{started}" if last else f"full:{started}:{number + 1}",
                full_read=True,
            )

    def _answer_page(self) -> None:
        if BOOKS.failing_after is not None and BOOKS.pages >= BOOKS.failing_after:
            raise TransientERPError("The scripted ERP stopped answering.")
        BOOKS.pages += 1

    def _wait_if_held(self) -> None:
        BOOKS.reading.set()
        if BOOKS.held is not None and not BOOKS.held.wait(timeout=30):
            raise ERPError("The scripted ERP was held longer than a test runs.")


def reset() -> Books:
    """A new, empty ERP for the next test."""
    global BOOKS
    BOOKS = Books()
    return BOOKS
