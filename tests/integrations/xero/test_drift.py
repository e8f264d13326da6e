"""A purchase order and the change orders exported onto it, then changed in Xero alone: the
job-cost sync flags what changed, on the commitment and on the change order, in Xero's words."""

from decimal import Decimal

import pytest

from approvals.services.importing.job_costs import job_costs_sync
from approvals.states import ERPDrift
from integrations.xero.connector import XeroConnector
from tests.integrations.xero import scene
from tests.integrations.xero.books import SomeoneInXero
from tests.records import fresh_record, new_change_order, people

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(xero_sandbox, xero_connection):
    pm, approver = people()
    books = scene.open_books(xero_sandbox, xero_connection, pm=pm, approver=approver)
    books.change_order = new_change_order(books)
    scene.exported(XeroConnector(xero_connection), books.change_order)
    return books


def order_in_xero(books) -> dict:
    (order,) = books.records("PurchaseOrder")
    return order


def keyed_in(order: dict, amounts: dict[str, str]) -> list[dict]:
    """Every line of the order kept by its LineItemID, the lines whose description starts with
    a key of `amounts` retyped to that amount, as someone in Xero would."""
    lines = []
    for line in order["LineItems"]:
        kept = {"LineItemID": line["LineItemID"]}
        for start, amount in amounts.items():
            if line["Description"].startswith(start):
                kept.update(Quantity=Decimal(1), UnitAmount=Decimal(amount))
        lines.append(kept)
    return lines


def drift_of(record) -> tuple:
    record = fresh_record(record)
    return record.erp_drift, record.erp_drift_note


def test_a_purchase_order_as_its_commitment_and_change_order_made_it_shows_no_drift(books):
    job_costs_sync(connection=books.connection)

    assert drift_of(books.commitment) == (ERPDrift.NONE, "")
    assert drift_of(books.change_order) == (ERPDrift.NONE, "")


def test_a_change_order_line_retyped_in_xero_is_flagged_on_the_change_order_and_its_order(
    books,
):
    order = order_in_xero(books)
    SomeoneInXero(books.connection).set_purchase_order(
        order["PurchaseOrderID"], LineItems=keyed_in(order, {"CCO 007: Lobby soffits": "9425.00"})
    )

    job_costs_sync(connection=books.connection)

    assert drift_of(books.change_order) == (
        ERPDrift.EDITED,
        "The lines of change order 007 on purchase order SC-1001-004 were changed in Xero: they "
        "come to 10,735.55 where 9,735.55 was approved.",
    )
    assert drift_of(books.commitment) == (
        ERPDrift.EDITED,
        "Purchase order SC-1001-004 was changed in Xero: it comes to 82,573.05 where 81,573.05 "
        "was approved.",
    )


def test_an_amount_moved_from_a_change_order_line_to_another_line_is_flagged_same_total(books):
    order = order_in_xero(books)
    first = order["LineItems"][0]
    moved = {
        first["Description"]: str(Decimal(str(first["LineAmount"])) + 100),
        "CCO 007: Lobby soffits": "8325.00",
    }
    SomeoneInXero(books.connection).set_purchase_order(
        order["PurchaseOrderID"], LineItems=keyed_in(order, moved)
    )

    job_costs_sync(connection=books.connection)

    assert drift_of(books.commitment) == (
        ERPDrift.EDITED,
        "Purchase order SC-1001-004 was changed in Xero: its lines were changed (tracking "
        "option, item or amount per line; same total).",
    )
    assert drift_of(books.change_order)[0] == ERPDrift.EDITED


def test_a_change_orders_lines_removed_in_xero_are_flagged_on_the_change_order(books):
    order = order_in_xero(books)
    kept = [
        {"LineItemID": line["LineItemID"]}
        for line in order["LineItems"]
        if not line["Description"].startswith("CCO 007:")
    ]
    SomeoneInXero(books.connection).set_purchase_order(order["PurchaseOrderID"], LineItems=kept)

    job_costs_sync(connection=books.connection)

    assert drift_of(books.change_order) == (
        ERPDrift.DELETED,
        "The lines of change order 007 were removed from purchase order SC-1001-004 in Xero.",
    )
    assert drift_of(books.commitment)[0] == ERPDrift.EDITED
