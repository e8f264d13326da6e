"""Xero's fault matrix: the same exports and runner as QuickBooks Online's (matrix.py), on the
Xero sandbox, each cell in an organisation of its own.

Faults are set through the sandbox's control API, scoped to the write (PUT creates, POST
updates) of the record's collection, so the look-up before it is left alone. Every Xero export
looks its document up first (a contact or tracking option by name, a purchase order by number,
a bill by number and contact, a change order by the lines marked with its number), so a retry
after a lost answer finds and links what the lost answer stored.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext
from decimal import Decimal

from integrations import documents
from integrations.models import ERPConnection
from integrations.xero import mapping
from integrations.xero.client import XeroClient
from integrations.xero.sandbox.chaos import FaultRule
from integrations.xero.sandbox.settings import DEFAULT_MAX_ACTIVE_OPTIONS
from money import cents
from tests.factories import make_project
from tests.integrations.xero import scene as xero_scene
from tests.integrations.xero.books import SomeoneInXero
from tests.reliability import matrix, scene
from tests.reliability.matrix import Cell, ErpMatrix, Fault, Row
from tests.xero_connection_plugin import connect_organisation

RECONNECT = "An administrator must reconnect Xero"
BILLED_WINDOW_SECONDS = 0.8  # our update waits this long while someone marks the order billed


def open_books(sandbox, *, pm, approver, tag: int) -> xero_scene.Books:
    """An organisation of its own, connected in place of the previous one, with items for our
    cost codes and our project, contact and subcontract exported to it."""
    # The sandbox's one limit of active options per category: back to Xero's for each cell.
    sandbox.set_max_active_options(DEFAULT_MAX_ACTIVE_OPTIONS)
    tenant_id = sandbox.add_organisation("AU", name=f"Sandbox Construction Pty Ltd {tag}")
    ERPConnection.objects.filter(is_active=True).update(is_active=False)
    connection = connect_organisation(sandbox, tenant_id, f"Sandbox Construction Pty Ltd {tag}")
    return xero_scene.open_books(sandbox, connection, pm=pm, approver=approver, tag=tag)


def new_project(books):
    return make_project(number=f"P-2{books.tag:03d}", name="North Annex", members=[books.pm])


def new_commitment(books):
    commitment = scene.new_commitment(books.project, books.vendor, books.cost_codes)
    # In the organisation's currency, as the scene's subcontract is.
    type(commitment).objects.filter(pk=commitment.pk).update(currency=books.commitment.currency)
    return scene.fresh_record(commitment)


# The record's documents in Xero -----------------------------------------------------------------


def _contacts(cell: Cell) -> list[dict]:
    name = mapping.contact_name(cell.record)
    return [c for c in cell.books.records("Contact") if c["Name"] == name]


def _options(cell: Cell) -> list[dict]:
    name = mapping.option_name(cell.record)
    (category,) = [
        c
        for c in cell.books.records("TrackingCategory")
        if c["TrackingCategoryID"] == cell.books.connection.settings["tracking_category_id"]
    ]
    return [o for o in category["Options"] if o["Name"] == name and o["Status"] != "DELETED"]


def _numbered(kind: str, field: str):
    def find(cell: Cell) -> list[dict]:
        return [
            d
            for d in cell.books.records(kind)
            if d.get(field) == cell.record.number
            and d["Contact"]["ContactID"] == cell.books.vendor.erp_id
            and d["Status"] not in ("DELETED", "VOIDED")
        ]

    return find


def purchase_order_of_books(cell: Cell) -> dict:
    (order,) = [
        o
        for o in cell.books.records("PurchaseOrder")
        if o["PurchaseOrderID"] == cell.books.commitment.erp_id
    ]
    return order


def _change_order_lines(cell: Cell) -> list[dict]:
    return matrix.marked_lines(purchase_order_of_books(cell)["LineItems"], cell.record)


DOCUMENTS = {
    "contact": _contacts,
    "tracking option": _options,
    "purchase order": _numbered("PurchaseOrder", "PurchaseOrderNumber"),
    "change order": _change_order_lines,
    "bill": _numbered("Invoice", "InvoiceNumber"),
}
ID_FIELDS = {
    "contact": "ContactID",
    "tracking option": "TrackingOptionID",
    "purchase order": "PurchaseOrderID",
    "bill": "InvoiceID",
}


class XeroRow(Row):
    def documents(self, cell: Cell) -> list[dict]:
        return DOCUMENTS[self.label](cell)


# `entity` is the collection the export writes, as the sandbox's faults name it.
ROWS = [
    XeroRow("contact", "contacts", lambda books: scene.new_company()),
    XeroRow("tracking option", "trackingcategories", new_project),
    XeroRow("purchase order", "purchaseorders", new_commitment),
    XeroRow("change order", "purchaseorders", scene.new_change_order),
    XeroRow("bill", "invoices", scene.new_invoice),
]


def belongs(cell: Cell, document: dict) -> bool:
    if cell.row.label == "change order":
        return cell.record.erp_id == cell.books.commitment.erp_id
    return str(document[ID_FIELDS[cell.row.label]]) == cell.record.erp_id


def assert_money_to_the_cent(cell: Cell, ours: list[dict]) -> None:
    record, label = cell.record, cell.row.label
    if label == "purchase order":
        assert mapping.lines_total(ours[0]) == Decimal("71837.50")
    elif label == "bill":
        assert mapping.lines_total(ours[0]) == record.totals().net == Decimal("13724.95")
    elif label == "change order":
        order = purchase_order_of_books(cell)
        assert [
            (line["Description"], cents(mapping.as_decimal(line["LineAmount"])))
            for line in order["LineItems"]
        ] == matrix.CHANGED_ORDER_LINES
        assert mapping.lines_total(order) == Decimal("81573.05")


# What Xero does wrong ----------------------------------------------------------------------------


def _write(row: Row) -> str:
    return "POST" if row.label == "change order" else "PUT"


def _write_fault(kind: str, *, seconds: float | None = None, problem: str | None = None):
    def arm(cell: Cell) -> None:
        cell.sandbox.inject_fault(
            kind,
            resource=cell.row.entity,
            method=_write(cell.row),
            count=matrix.FAULTED_TRIES,
            seconds=seconds,
            problem=problem,
        )

    return arm


def _disconnected(cell: Cell) -> None:
    cell.sandbox.expire_access_tokens()
    cell.sandbox.revoke_all_tokens()


class PersonInXero(XeroClient):
    """Someone in Xero's own screens beside our exports: not counted in our share of the
    organisation's limits (and asking nothing of our database, so it can act from a thread)."""

    def _counted(self) -> AbstractContextManager:
        return nullcontext()


class HeldUpdate(FaultRule):
    """Latency on our next update of a purchase order; says when it began."""

    def __init__(self, seconds: float):
        super().__init__(kind="latency", resource="purchaseorders", method="POST", seconds=seconds)
        self.fired = threading.Event()

    def matches(self, method: str, resource: str) -> bool:
        if super().matches(method, resource):
            self.fired.set()
            return True
        return False


def _billed_meanwhile(cell: Cell) -> None:
    """Someone marks the purchase order as billed in Xero after we read it, while our update
    is on its way: Xero refuses ours."""
    held = HeldUpdate(BILLED_WINDOW_SECONDS)
    cell.server.sandbox.faults.add(held)
    connection = cell.books.connection
    order_id = cell.books.commitment.erp_id

    def mark_billed() -> None:
        if not held.fired.wait(timeout=30):
            return
        with PersonInXero(connection) as client:
            client.update(
                f"PurchaseOrders/{order_id}",
                {"PurchaseOrders": [{"PurchaseOrderID": order_id, "Status": "BILLED"}]},
                idempotency_key=f"someone-billed-{order_id}",
            )

    thread = threading.Thread(target=mark_billed, name="someone-in-xero", daemon=True)
    thread.start()
    cell.background.append(thread)


def _same_name_taken(cell: Cell) -> None:
    """Xero already holds a document with the record's name or number that is not ours."""
    books, someone = cell.books, SomeoneInXero(cell.books.connection)
    label = cell.row.label
    if label == "contact":
        someone.contact("Riverside Drywall LLC", EmailAddress="office@riverside-wa.example")
    elif label == "tracking option":
        someone.archive_option(someone.option(mapping.option_name(cell.record)))
    elif label == "purchase order":
        someone.purchase_order(
            {
                "PurchaseOrderNumber": cell.record.number,
                "Contact": {"ContactID": books.vendor.erp_id},
                "Status": "AUTHORISED",
                "LineItems": [_line_by_hand(books, Decimal("9999.00"))],
            }
        )
    elif label == "bill":
        someone.bill(
            books.vendor.erp_id, cell.record.number, [_line_by_hand(books, Decimal("9999.00"))]
        )
    else:
        order = purchase_order_of_books(cell)
        typed = _line_by_hand(
            books,
            Decimal("8000.00"),
            description=f"{documents.change_order_marker(cell.record)} soffits, typed by hand",
        )
        someone.set_purchase_order(
            order["PurchaseOrderID"],
            LineItems=[*({"LineItemID": x["LineItemID"]} for x in order["LineItems"]), typed],
        )


def _line_by_hand(books, amount: Decimal, *, description: str = "Gypsum board") -> dict:
    return SomeoneInXero(books.connection).line(
        str(amount), option=books.project.erp_id, item_code=books.cost_codes["Gypsum board"].code
    ) | {"Description": description}


def _validation_fault(cell: Cell) -> None:
    """Something Xero checks and we cannot: its own rule, or a reference archived in Xero."""
    books, someone = cell.books, SomeoneInXero(cell.books.connection)
    label = cell.row.label
    if label == "tracking option":
        category_id = books.connection.settings["tracking_category_id"]
        (category,) = [
            c for c in books.records("TrackingCategory") if c["TrackingCategoryID"] == category_id
        ]
        active = [o for o in category["Options"] if o["Status"] == "ACTIVE"]
        cell.sandbox.set_max_active_options(len(active))
    elif label in ("purchase order", "bill"):
        someone.archive_contact(books.vendor.erp_id)
    else:
        someone.archive_option(books.project.erp_id)


FAULTS = [
    Fault(
        "HTTP 500",
        _write_fault("http_500"),
        True,
        "problem on its side (HTTP 500)",
        how="the write is answered 500 (UnknownErrorException) without being stored, on the "
        "first two tries",
    ),
    Fault(
        "HTTP 503",
        _write_fault("http_503"),
        True,
        "problem on its side (HTTP 503)",
        how="the write is answered 503 (offline for maintenance, plain text), without being "
        "stored, on the first two tries",
    ),
    Fault(
        "429, wait and retry",
        _write_fault("throttle", problem="concurrent"),
        True,
        "too many calls",
        how="the write is answered 429 for the concurrent limit on the first two tries; each "
        "is run again a second later, without counting as a try",
    ),
    Fault(
        "timeout before any response",
        _write_fault("timeout", seconds=matrix.HELD_SECONDS),
        True,
        "did not answer in time",
        how="the sandbox holds the write past the client's read timeout and drops it unstored",
    ),
    *matrix.lost_answer_faults(_write_fault, "Xero"),
    matrix.expired_token_fault(matrix.expire_access_token, "Xero"),
    Fault(
        "disconnected in Xero",
        _disconnected,
        False,
        RECONNECT,
        how="the access token has expired and the app was disconnected in Xero (every grant "
        "revoked): the refresh is refused with invalid_grant",
    ),
    Fault(
        "purchase order billed meanwhile",
        _billed_meanwhile,
        False,
        "is marked as billed in Xero",
        only=("change order",),
        not_applicable="a create changes no purchase order that someone could bill meanwhile",
        how="after we read the purchase order, someone marks it as billed in Xero while our "
        "update is on its way: Xero refuses ours (400 ValidationException), we read it again "
        "and say what to do",
    ),
    Fault(
        "duplicate name or number",
        _same_name_taken,
        False,
        before_send=True,
        how="Xero already holds a contact of that name with other details, an archived "
        "tracking option of that name, a purchase order or bill of that number for the "
        "contact with other lines, or lines typed by hand under the change order's number "
        "with other amounts",
    ),
    Fault(
        "validation fault",
        _validation_fault,
        False,
        only=("tracking option", "purchase order", "change order", "bill"),
        not_applicable="Xero checks nothing of a new contact that we do not check first (a "
        "name, at most 255 characters, not another active contact's: the duplicate row)",
        how="tracking option: the category already has as many active options as Xero allows; "
        "purchase order and bill: the contact was archived in Xero; change order: the "
        "project's tracking option was archived in Xero",
    ),
]

FAILURE_MESSAGES = {
    ("duplicate name or number", "contact"): (
        "Xero already has a contact named 'Riverside Drywall LLC' whose details differ from "
        "this company's."
    ),
    ("duplicate name or number", "tracking option"): "but it is archived. Restore it in Xero",
    ("duplicate name or number", "purchase order"): (
        "Xero already has a purchase order numbered SC-2001-007 that is not this commitment"
    ),
    ("duplicate name or number", "change order"): (
        "already has 1 line(s) marked as change order 007, totalling 8,000.00"
    ),
    ("duplicate name or number", "bill"): "Xero already has a bill INV-2001 from contact",
    ("validation fault", "tracking option"): "as many active options as Xero allows",
    ("validation fault", "purchase order"): "contact 'Acme Drywall' is archived (inactive)",
    ("validation fault", "change order"): "is archived (inactive)",
    ("validation fault", "bill"): "contact 'Acme Drywall' is archived (inactive)",
}


def after_checks(cell: Cell, fault: Fault, log: list[dict]) -> None:
    if fault.label == "purchase order billed meanwhile":
        order = purchase_order_of_books(cell)
        assert (order["Status"], len(order["LineItems"])) == ("BILLED", 2)
        assert [entry["status"] for entry in api_requests(log)].count(400) == 1
    if fault.label == "expired access token":
        matrix.assert_token_refreshed_once(cell, api_requests(log))


def api_requests(request_log: list[dict]) -> list[dict]:
    """The accounting API requests of a request log (not OAuth, not connections)."""
    return [entry for entry in request_log if "/api.xro/2.0/" in entry["path"]]


XERO = ErpMatrix(
    name="Xero",
    sandbox_fixture="xero_sandbox",
    server_fixture="xero_sandbox_server",
    settings_fixture="fast_xero_exports",
    rows=ROWS,
    faults=FAULTS,
    failure_messages=FAILURE_MESSAGES,
    open_books=open_books,
    belongs=belongs,
    assert_money_to_the_cent=assert_money_to_the_cent,
    after_checks=after_checks,
    api_requests=api_requests,
)
