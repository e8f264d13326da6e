"""The fault matrix: every export x every fault, with what each cell must end in, for each ERP
(an `ErpMatrix`: QuickBooks Online's here, Xero's in matrix_xero.py; test_fault_matrix.py runs
them all the same way).

A row knows how to make its record and find its documents in the ERP; a fault knows how to
set the ERP up to misbehave and what the accountant must end up with. The client makes one
attempt per call, so transient faults hit the write on the first FAULTED_TRIES tries of the
export, and a later try of the worker (with the same requestid after a lost answer) has to
finish the job.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from approvals.models import Project
from integrations.quickbooks_online import mapping
from money import cents
from tests.reliability import scene
from tests.reliability.sandbox_faults import WriteFault, add_fault, api_requests, faults_fired

FAULTED_TRIES = 2
TIMEOUT_SECONDS = 1.0
HELD_SECONDS = 1.5  # how long the sandbox sits on a request before dropping it
STALE_WINDOW_SECONDS = 0.8  # our update waits this long while someone else saves the PO
RECONNECT = "An administrator must reconnect QuickBooks Online"
SOMEONE_ELSES_NOTE = "Soffit change approved by the owner's rep"


@dataclass
class Cell:
    """One run: the sandbox, a company (organisation) of its own and the record under test."""

    sandbox: object
    server: object
    books: object  # the ERP's scene: scene.Books, or the Xero scene's Books
    row: Row
    record: object = None
    background: list[threading.Thread] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    label: str
    entity: str  # the QuickBooks entity its export writes
    make: Callable[[scene.Books], object]
    choices: Callable[[scene.Books], dict] = lambda books: {}
    # Vendors and jobs are created straight away (QuickBooks keeps their names unique), so a
    # retry after a lost answer gets the stored answer back by requestid; purchase orders and
    # bills are looked up first, so the retry finds and links the document instead.
    looks_up_first: bool = True

    def documents(self, cell: Cell) -> list[dict]:
        """The QuickBooks documents a person would take for this record's (or, for a change
        order, the lines it adds to its purchase order)."""
        return DOCUMENTS[self.label](cell)


def _named(entity: str):
    def find(cell: Cell) -> list[dict]:
        name = display_name(cell.record)
        return [d for d in cell.books.entities(entity) if d.get("DisplayName") == name]

    return find


def display_name(record) -> str:
    if isinstance(record, Project):
        return mapping.job_display_name(record)
    return mapping.vendor_display_name(record)


def _numbered(entity: str):
    def find(cell: Cell) -> list[dict]:
        return [
            d
            for d in cell.books.entities(entity)
            if d.get("DocNumber") == cell.record.number
            and d["VendorRef"]["value"] == cell.books.vendor.erp_id
        ]

    return find


def change_order_lines(cell: Cell) -> list[dict]:
    return marked_lines(purchase_order_of_books(cell)["Line"], cell.record)


def marked_lines(lines: list[dict], change_order) -> list[dict]:
    """The lines of a purchase order (any ERP's) that a change order added."""
    marker = mapping.change_order_marker(change_order)
    return [line for line in lines if str(line.get("Description", "")).startswith(marker)]


def purchase_order_of_books(cell: Cell) -> dict:
    (order,) = [
        d for d in cell.books.entities("PurchaseOrder") if d["Id"] == cell.books.commitment.erp_id
    ]
    return order


DOCUMENTS = {
    "vendor": _named("Vendor"),
    "job": _named("Customer"),
    "purchase order": _numbered("PurchaseOrder"),
    "change order": change_order_lines,
    "bill": _numbered("Bill"),
}

ROWS = [
    Row("vendor", "Vendor", lambda books: scene.new_company(), looks_up_first=False),
    Row(
        "job",
        "Customer",
        scene.new_project,
        lambda books: {"parent_customer_id": books.new_owner_id},
        looks_up_first=False,
    ),
    Row(
        "purchase order",
        "PurchaseOrder",
        lambda books: scene.new_commitment(books.project, books.vendor, books.cost_codes),
    ),
    Row("change order", "PurchaseOrder", scene.new_change_order),
    Row("bill", "Bill", scene.new_invoice),
]


# What QuickBooks does wrong --------------------------------------------------------------------


def _write_fault(kind: str, seconds: float | None = None):
    def arm(cell: Cell) -> None:
        rule = WriteFault(kind, entity=cell.row.entity, count=FAULTED_TRIES, seconds=seconds)
        add_fault(cell.server, rule)

    return arm


def expire_access_token(cell: Cell) -> None:
    cell.sandbox.expire_access_tokens()


def _revoke_refresh_token(cell: Cell) -> None:
    cell.sandbox.expire_access_tokens()
    cell.sandbox.revoke_refresh_tokens()


def _purchase_order_changed_meanwhile(cell: Cell) -> None:
    """Someone saves the purchase order in QuickBooks after we read it, before our update lands:
    our update is held in the sandbox while they do."""
    held = add_fault(
        cell.server,
        WriteFault("latency", entity="PurchaseOrder", seconds=STALE_WINDOW_SECONDS),
    )
    connection = cell.books.connection
    order_id = cell.books.commitment.erp_id

    def save_note() -> None:
        if not held.fired.wait(timeout=30):
            return
        with scene.someone_in_quickbooks(connection) as client:
            current = client.read("PurchaseOrder", order_id)
            client.update(
                "PurchaseOrder",
                {
                    "Id": order_id,
                    "SyncToken": current["SyncToken"],
                    "PrivateNote": SOMEONE_ELSES_NOTE,
                },
                request_id=f"someone-{order_id}",
                sparse=True,
            )

    thread = threading.Thread(target=save_note, name="someone-in-quickbooks", daemon=True)
    thread.start()
    cell.background.append(thread)


def _same_name_taken(cell: Cell) -> None:
    """QuickBooks already holds a document with the record's name or number that is not ours."""
    books = cell.books
    if cell.row.label == "vendor":
        books.create_entity(
            "Vendor",
            {
                "DisplayName": "Riverside Drywall LLC",
                "CompanyName": "Riverside Drywall LLC (Washington)",
                "PrimaryEmailAddr": {"Address": "office@riverside-wa.example"},
            },
        )
    elif cell.row.label == "job":
        books.create_entity("Customer", {"DisplayName": display_name(cell.record)})
    elif cell.row.label in ("purchase order", "bill"):
        books.create_entity(
            cell.row.entity,
            {
                "DocNumber": cell.record.number,
                "VendorRef": {"value": books.vendor.erp_id},
                "Line": [scene.item_line(books, "Gypsum board", Decimal("9999.00"))],
            },
        )
    else:
        scene.add_line_by_hand(
            books,
            scene.item_line(
                books,
                "Gypsum board",
                Decimal("8000.00"),
                description=f"{mapping.change_order_marker(cell.record)} soffits, typed by hand",
            ),
        )


def _validation_fault(cell: Cell) -> None:
    """Something QuickBooks checks and we cannot: an inactive reference, or its own rule."""
    books = cell.books
    inactive = {
        "job": ("Customer", books.new_owner_id),
        "purchase order": ("Item", books.cost_codes["Painting"].erp_id),
        "change order": ("Item", books.cost_codes["Electrical"].erp_id),
        "bill": ("Item", books.cost_codes["Gypsum board"].erp_id),
    }
    if cell.row.label == "vendor":
        add_fault(cell.server, WriteFault("xml_error", entity="Vendor"))
    else:
        scene.deactivate(books.connection, *inactive[cell.row.label])


@dataclass(frozen=True)
class Fault:
    label: str
    arm: Callable[[Cell], None]
    synced: bool
    told: str = ""  # part of the final message (failures) or of the message while retrying
    before_send: bool = False
    linked: bool = (
        False  # the retry finds the document the lost answer had made (Row.looks_up_first)
    )
    only: tuple[str, ...] = ()  # rows it applies to; the others are "n/a"
    not_applicable: str = ""
    how: str = ""  # how the cell makes QuickBooks misbehave, for the report


def lost_answer_faults(write_fault: Callable[[str], Callable], erp_name: str) -> list[Fault]:
    """The faults after which the ERP holds the document but we never read its answer: the
    retry must find and link it (every ERP's)."""
    return [
        Fault(
            "connection dropped after the document was stored",
            write_fault("drop_after_commit"),
            True,
            f"could not reach {erp_name}",
            linked=True,
            how="the write is stored, then the connection is closed before any answer, twice",
        ),
        Fault(
            "malformed body after the document was stored",
            write_fault("malformed_body"),
            True,
            "answer we could not read",
            linked=True,
            how="the write is stored, then answered 200 with half a JSON body, twice",
        ),
    ]


def expired_token_fault(expire: Callable[[Cell], None], erp_name: str) -> Fault:
    return Fault(
        "expired access token",
        expire,
        True,
        how=f"{erp_name} expires the access token early: the write is answered 401, the "
        "client refreshes the token once and sends it again",
    )


FAULTS = [
    Fault(
        "HTTP 500",
        _write_fault("http_500"),
        True,
        "problem on its side (HTTP 500)",
        how="the write is answered 500 (SystemFault) without being stored, on the first two tries",
    ),
    Fault(
        "HTTP 503",
        _write_fault("http_503"),
        True,
        "problem on its side (HTTP 503)",
        how="the write is answered 503 with an HTML page, without being stored, on the first "
        "two tries",
    ),
    Fault(
        "429, wait and retry",
        _write_fault("throttle"),
        True,
        "too many requests",
        how="the write is answered 429 with QuickBooks' XML ThrottleExceeded body on the first "
        "two tries; each is run again when QuickBooks said, without counting as a try",
    ),
    Fault(
        "timeout before any response",
        _write_fault("timeout", seconds=HELD_SECONDS),
        True,
        "did not answer in time",
        how="the sandbox holds the write past the client's read timeout and drops it unstored",
    ),
    *lost_answer_faults(_write_fault, "QuickBooks Online"),
    expired_token_fault(expire_access_token, "QuickBooks"),
    Fault(
        "revoked refresh token",
        _revoke_refresh_token,
        False,
        RECONNECT,
        how="the access token has expired and the refresh token was revoked (the company "
        "disconnected the app): the refresh is refused with invalid_grant",
    ),
    Fault(
        "stale SyncToken",
        _purchase_order_changed_meanwhile,
        True,
        only=("change order",),
        not_applicable=(
            "a create has no SyncToken: the document does not exist before our write, so "
            "nobody can change it between our read and our write"
        ),
        how="after we read the purchase order, someone saves it in QuickBooks (a note) while "
        "our update is on its way: QuickBooks refuses ours as stale (5010), we read it again "
        "and add the change order once, keeping their note",
    ),
    Fault(
        "duplicate name or number",
        _same_name_taken,
        False,
        before_send=True,
        how="QuickBooks already holds a vendor or customer of that name with other details, a "
        "purchase order of that number for the vendor with another total, a bill of that "
        "number whose lines differ (job, item or amount), or lines "
        "typed by hand under the change order's number with other amounts",
    ),
    Fault(
        "validation fault",
        _validation_fault,
        False,
        how="vendor: QuickBooks answers 400 with an XML ValidationFault (6000); the others: "
        "the parent customer or an item on the record was made inactive in QuickBooks (610 for "
        "the job's parent, 2500 Invalid Reference Id on a transaction)",
    ),
]

FAILURE_MESSAGES = {
    ("duplicate name or number", "vendor"): (
        "QuickBooks Online already has a vendor named 'Riverside Drywall LLC' whose details "
        "differ from this company's."
    ),
    ("duplicate name or number", "job"): (
        "QuickBooks Online already has a customer named 'P-2{tag:03d} North Annex' that is not "
        "a job of the chosen customer."
    ),
    ("duplicate name or number", "purchase order"): (
        "QuickBooks Online holds purchase order SC-2001-007"
    ),
    ("duplicate name or number", "change order"): (
        "already has 1 line(s) marked as change order 007, totalling 8,000.00"
    ),
    ("duplicate name or number", "bill"): "QuickBooks Online already has bill INV-2001 from",
    ("validation fault", "vendor"): (
        "QuickBooks refused this record: The request could not be processed."
    ),
    ("validation fault", "job"): "missing or inactive",
    ("validation fault", "purchase order"): "missing or inactive",
    ("validation fault", "change order"): "missing or inactive",
    ("validation fault", "bill"): "missing or inactive",
}


def foreign_documents(fault: Fault, row: Row) -> int:
    """Documents QuickBooks held before the export that must still be there, untouched."""
    return 1 if fault.label == "duplicate name or number" else 0


# What the runner asks of QuickBooks Online ----------------------------------------------------


def belongs(cell: Cell, document: dict) -> bool:
    if cell.row.label == "change order":
        return cell.record.erp_id == cell.books.commitment.erp_id
    return document["Id"] == cell.record.erp_id


def assert_money_to_the_cent(cell: Cell, ours: list[dict]) -> None:
    record, label = cell.record, cell.row.label
    if label == "purchase order":
        assert mapping.as_decimal(ours[0]["TotalAmt"]) == Decimal("71837.50")
    elif label == "bill":
        assert mapping.as_decimal(ours[0]["TotalAmt"]) == record.totals().net
        assert record.totals().net == Decimal("13724.95")
    elif label == "change order":
        order = purchase_order_of_books(cell)
        assert [
            (line["Description"], cents(mapping.as_decimal(line["Amount"])))
            for line in order["Line"]
            if line.get("DetailType") == "ItemBasedExpenseLineDetail"
        ] == CHANGED_ORDER_LINES
        assert mapping.as_decimal(order["TotalAmt"]) == Decimal("81573.05")


# The subcontract's purchase order once change order 007 is on it, in every ERP.
CHANGED_ORDER_LINES = [
    ("Metal studs and gypsum board", Decimal("48250.00")),
    ("Prime and paint", Decimal("23587.50")),
    ("CCO 007: Lobby soffits", Decimal("8425.00")),
    ("CCO 007: Soffit lighting rough-in", Decimal("1310.55")),
]


def after_checks(cell: Cell, fault: Fault, log: list[dict]) -> None:
    """What a fault leaves besides the record's documents."""
    if fault.label == "stale SyncToken":
        assert purchase_order_of_books(cell)["PrivateNote"] == SOMEONE_ELSES_NOTE
        assert [entry["status"] for entry in api_requests(log)].count(400) == 1
    if fault.label == "expired access token":
        assert_token_refreshed_once(cell, api_requests(log))


def assert_token_refreshed_once(cell: Cell, requests: list[dict]) -> None:
    assert [entry["status"] for entry in requests].count(401) == 1
    old_token = cell.books.connection.access_token
    cell.books.connection.refresh_from_db()
    assert cell.books.connection.access_token != old_token


@dataclass(frozen=True)
class ErpMatrix:
    """One ERP's fault matrix and what the runner reads of its sandbox."""

    name: str
    sandbox_fixture: str
    server_fixture: str
    settings_fixture: str  # export retries and the ERP's rate window made fast
    rows: list[Row]
    faults: list[Fault]
    failure_messages: dict[tuple[str, str], str]
    open_books: Callable[..., object]  # (sandbox, *, pm, approver, tag) -> the cell's books
    belongs: Callable[[Cell, dict], bool]
    assert_money_to_the_cent: Callable[[Cell, list[dict]], None]
    after_checks: Callable[[Cell, Fault, list[dict]], None]
    api_requests: Callable[[list[dict]], list[dict]] = api_requests
    faults_fired: Callable[[list[dict]], Counter] = faults_fired

    @property
    def cells(self) -> list[tuple[Row, Fault]]:
        return [
            (row, fault)
            for row in self.rows
            for fault in self.faults
            if not fault.only or row.label in fault.only
        ]

    @property
    def not_applicable(self) -> list[tuple[Row, Fault]]:
        return [
            (row, fault)
            for row in self.rows
            for fault in self.faults
            if fault.only and row.label not in fault.only
        ]

    def expected_message(self, fault: Fault, row: Row, books) -> str:
        return self.failure_messages.get((fault.label, row.label), fault.told).format(tag=books.tag)


QUICKBOOKS_ONLINE = ErpMatrix(
    name="QuickBooks Online",
    sandbox_fixture="qbo_sandbox",
    server_fixture="qbo_sandbox_server",
    settings_fixture="fast_exports",
    rows=ROWS,
    faults=FAULTS,
    failure_messages=FAILURE_MESSAGES,
    open_books=scene.open_books,
    belongs=belongs,
    assert_money_to_the_cent=assert_money_to_the_cent,
    after_checks=after_checks,
)
CELLS = QUICKBOOKS_ONLINE.cells
NOT_APPLICABLE = QUICKBOOKS_ONLINE.not_applicable
