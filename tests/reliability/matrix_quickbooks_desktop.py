"""The QuickBooks Desktop fault matrix: every export x every fault the Web Connector meets.

QuickBooks Desktop is reached only when the Web Connector runs, so a cell accepts its record
(it waits in `awaiting_erp`), makes the local QuickBooks Desktop misbehave through its control
API, and lets the Web Connector run until the record settles. A row knows how to make its record
and find its documents in the company file; a fault knows how to make QuickBooks misbehave and
what the accountant must end up with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from integrations.quickbooks_desktop.models import DesktopConnection, QueuedRequest
from tests.factories import make_project
from tests.records import new_change_order, new_company, new_invoice

ONE_DAY = timedelta(days=1)
JOB = "Acme Development:P-101 North Annex"
VENDOR = "Hillcrest Glazing"


@dataclass
class Cell:
    quickbooks: object  # the control API of the local QuickBooks Desktop
    books: object  # tests.integrations.quickbooks_desktop.test_purchase_orders_and_bills.Books
    row: Row
    record: object = None
    runs: list[str] = field(default_factory=list)  # the outcome of each Web Connector run
    told_while_waiting: list[str] = field(default_factory=list)

    def run(self) -> str:
        outcome = self.quickbooks.run()["outcome"]
        self.runs.append(outcome)
        return outcome


@dataclass(frozen=True)
class Row:
    label: str
    make: Callable[[Cell], object]
    documents: Callable[[Cell], list[dict]]  # for a change order, the lines it adds
    choices: Callable[[Cell], dict] = lambda cell: {}
    add_at: int = 1  # which request of the run adds the document (a change order reads first)


def _new_job(cell: Cell):
    return make_project(number="P-101", name="North Annex", members=[cell.books.pm])


def _order(cell: Cell) -> list[dict]:
    return [
        order
        for order in cell.quickbooks.records("PurchaseOrder")
        if order["RefNumber"] == cell.books.commitment.number
    ]


def _synced_commitment_then(make):
    def made(cell: Cell):
        from tests.integrations.quickbooks_desktop.test_purchase_orders_and_bills import (
            synced_commitment,
        )

        synced_commitment(cell.books, cell.quickbooks)
        return make(cell.books)

    return made


def _change_order_lines(cell: Cell) -> list[dict]:
    (order,) = _order(cell)
    return [line for line in order["PurchaseOrderLineRet"] if line["Desc"].startswith("CCO 007:")]


ROWS = [
    Row(
        "vendor",
        lambda cell: new_company(VENDOR),
        lambda cell: [v for v in cell.quickbooks.records("Vendor") if v["Name"] == VENDOR],
    ),
    Row(
        "job",
        _new_job,
        lambda cell: [c for c in cell.quickbooks.records("Customer") if c["FullName"] == JOB],
        choices=lambda cell: {"parent_customer_id": cell.books.job["ParentRef"]["ListID"]},
    ),
    Row("purchase order", lambda cell: cell.books.new_commitment(), _order),
    Row(
        "change order",
        _synced_commitment_then(new_change_order),
        _change_order_lines,
        add_at=2,
    ),
    Row(
        "bill",
        _synced_commitment_then(new_invoice),
        lambda cell: [b for b in cell.quickbooks.records("Bill") if b["RefNumber"] == "INV-2001"],
    ),
]


# What QuickBooks Desktop and the Web Connector do wrong ----------------------------------------


def _answer_lost(cell: Cell) -> None:
    cell.quickbooks.fault("lost_answer", after=cell.row.add_at)
    assert cell.run() == "lost"


def _quickbooks_closed(cell: Cell) -> None:
    cell.quickbooks.fault("quickbooks_closed", count=1)
    assert cell.run() == "connection_error"


def _purchase_order_changed_meanwhile(cell: Cell) -> None:
    """The run stops once our change order has read the purchase order; a bookkeeper then
    edits the order in QuickBooks, so the EditSequence our change carries is stale (3200)."""
    from tests.integrations.quickbooks_desktop.test_purchase_orders_and_bills import (
        edit_order_memo,
    )

    cell.quickbooks.fault("interrupt", after=1)
    assert cell.run() == "interrupted"
    edit_order_memo(cell.quickbooks, "Checked by Dana")


def _name_in_use(cell: Cell) -> None:
    if cell.row.label == "vendor":
        cell.quickbooks.seed("Customer", Name=VENDOR)
    else:
        parent = cell.books.job["ParentRef"]["ListID"]
        cell.quickbooks.seed("Customer", Name="P-101 North Annex", ParentRef={"ListID": parent})


def _reference_deleted(cell: Cell) -> None:
    """Something the record refers to was deleted in QuickBooks after our last list read."""
    books = cell.books
    if cell.row.label == "job":
        cell.quickbooks.delete(books.job["ListID"])
        cell.quickbooks.delete(books.job["ParentRef"]["ListID"])
    elif cell.row.label == "bill":
        (retainage,) = cell.quickbooks.records("ItemOtherCharge")
        cell.quickbooks.delete(retainage["ListID"])
    else:
        name = "Painting" if cell.row.label == "purchase order" else "Electrical"
        cell.quickbooks.delete(books.cost_codes[name].erp_id)


def _absent_for_a_day(cell: Cell) -> None:
    """The Web Connector's computer is off: no run happens. A day later it is back; the clock of
    everything the service remembers is set back a day, as if that day had passed."""
    desktop = DesktopConnection.objects.filter(pk=cell.books.desktop.pk)
    last_contact = desktop.get().last_contact_at
    cell.quickbooks.fault("absent", seconds=ONE_DAY.total_seconds())
    assert cell.run() == "absent"
    assert cell.run() == "absent"
    assert desktop.get().last_contact_at == last_contact  # nothing reached us meanwhile
    desktop.update(last_contact_at=timezone.now() - ONE_DAY)
    for request in QueuedRequest.objects.filter(finished_at__isnull=False):
        QueuedRequest.objects.filter(pk=request.pk).update(
            finished_at=request.finished_at - ONE_DAY
        )
    cell.quickbooks.call("DELETE", "faults")


@dataclass(frozen=True)
class Fault:
    label: str
    play: Callable[[Cell], None]
    synced: bool
    told: dict[str, str] = field(default_factory=dict)  # row -> part of the failure message
    before_accept: bool = False
    linked: bool = False  # the next run finds the document the lost answer had made
    only: tuple[str, ...] = ()
    not_applicable: str = ""
    how: str = ""


FAULTS = [
    Fault(
        "answer lost after stored",
        _answer_lost,
        True,
        linked=True,
        how="QuickBooks stores the add (or the change), then the Web Connector's connection "
        "drops before the answer reaches us; the next run looks the document up by its "
        "attempt id first",
    ),
    Fault(
        "QuickBooks closed",
        _quickbooks_closed,
        True,
        how="the Web Connector cannot open QuickBooks (connectionError 0x80040408) on its "
        "first run; the request stays queued for the next",
    ),
    Fault(
        "stale EditSequence (3200)",
        _purchase_order_changed_meanwhile,
        True,
        only=("change order",),
        not_applicable="an add carries no EditSequence: the document does not exist before "
        "our request, so nobody can change it in between",
        how="the run stops after our change order read the purchase order, a bookkeeper edits "
        "the order's memo, and our change is refused as stale (3200): it is read again and "
        "applied once, keeping the memo",
    ),
    Fault(
        "name in use (3100)",
        _name_in_use,
        False,
        told={
            "vendor": "Customers (and their jobs), vendors, employees and other names share "
            "one list",
            "job": "The customer chosen already has a job of that name in QuickBooks Desktop.",
        },
        before_accept=True,
        only=("vendor", "job"),
        not_applicable="a transaction has no name in QuickBooks' shared list of names "
        "(its number is checked by the look-up after a lost answer instead)",
        how="QuickBooks already holds a customer named like the vendor, or a job of that name "
        "under the customer chosen",
    ),
    Fault(
        "bad reference (3140)",
        _reference_deleted,
        False,
        told={
            "job": "QuickBooks status 3140",
            "purchase order": "QuickBooks status 3140",
            "change order": "QuickBooks status 3140",
            "bill": "QuickBooks status 3140",
        },
        only=("job", "purchase order", "change order", "bill"),
        not_applicable="a vendor refers to nothing else in QuickBooks",
        how="after the record was handed off, the customer chosen for the job, an item of the "
        "purchase order or change order, or the bill's Retainage item is deleted in QuickBooks",
    ),
    Fault(
        "Web Connector absent for a day",
        _absent_for_a_day,
        True,
        how="the Web Connector's computer is off (no run, and 'run now' does nothing); when it "
        "is back a day later, its first run reads the lists that fell due and sends the record",
    ),
]

CELLS = [
    (row, fault) for row in ROWS for fault in FAULTS if not fault.only or row.label in fault.only
]
NOT_APPLICABLE = [
    (row, fault) for row in ROWS for fault in FAULTS if fault.only and row.label not in fault.only
]
