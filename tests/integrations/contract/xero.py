"""Xero under the contract: its sandbox over a real socket, faults through its control API.

Records here are in the organisation's currency (Australian dollars), as an installation
exporting to an Australian organisation keeps them: the connector refuses any other."""

from __future__ import annotations

import threading
import time
from contextlib import AbstractContextManager, nullcontext

from approvals.models import Commitment, CommitmentChangeOrder, Company, SubcontractorInvoice
from integrations import documents
from integrations.xero import mapping
from integrations.xero.client import XeroClient
from tests.integrations.contract.erp_under_test import HAND_OFF, Books
from tests.integrations.contract.xero_imports import XeroImportReads
from tests.integrations.xero import scene
from tests.reliability.scene import people

STALE_WINDOW_SECONDS = 0.8  # our update waits this long while someone else saves the order
THEIR_NOTE = "Soffit change approved by the owner's rep"
_RESOURCES = {
    Company: "contacts",
    Commitment: "purchaseorders",
    CommitmentChangeOrder: "purchaseorders",
    SubcontractorInvoice: "invoices",
}


class Xero(XeroImportReads):
    does_not_apply = {
        HAND_OFF: "Xero answers while the worker waits; its exports never hand off.",
    }

    def __init__(self, request):
        monkeypatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setattr(Commitment._meta.get_field("currency"), "default", "AUD")
        self.sandbox = request.getfixturevalue("xero_sandbox")
        self.connection = request.getfixturevalue("xero_connection")
        self.books: scene.Books | None = None
        self.background: list[threading.Thread] = []
        request.addfinalizer(self._join_background)

    def open_books(self) -> Books:
        pm, approver = people()
        self.books = scene.open_books(self.sandbox, self.connection, pm=pm, approver=approver)
        b = self.books
        return Books(
            b.connection, b.pm, b.approver, b.project, b.vendor, b.commitment, b.cost_codes
        )

    def documents(self, record) -> list[str]:
        books = self._opened()
        if isinstance(record, Company):
            name = mapping.contact_name(record).casefold()
            return [
                c["ContactID"]
                for c in books.records("Contact")
                if c["Name"].casefold() == name and c.get("ContactStatus") == "ACTIVE"
            ]
        if isinstance(record, CommitmentChangeOrder):
            marker = documents.change_order_marker(record)
            return [
                line["LineItemID"]
                for line in self._order_of(record.commitment)["LineItems"]
                if str(line.get("Description", "")).startswith(marker)
            ]
        vendor_id = (
            record.vendor if isinstance(record, Commitment) else record.commitment.vendor
        ).erp_id
        if isinstance(record, Commitment):
            return [
                order["PurchaseOrderID"]
                for order in books.records("PurchaseOrder")
                if order["PurchaseOrderNumber"] == record.number
                and order["Contact"]["ContactID"] == vendor_id
                and order["Status"] != "DELETED"
            ]
        return [
            bill["InvoiceID"]
            for bill in books.records("Invoice")
            if bill["InvoiceNumber"] == record.number
            and bill["Contact"]["ContactID"] == vendor_id
            and bill["Status"] not in ("DELETED", "VOIDED")
        ]

    def agent_answers(self) -> list[str]:
        return []

    def lose_next_answer(self, record) -> None:
        self.sandbox.inject_fault(
            "drop_after_commit", resource=_RESOURCES[type(record)], method="PUT"
        )

    def batch_requests(self) -> int:
        """Writes of many elements each stored or refused on its own (summarizeErrors=false)."""
        return sum(
            1
            for entry in self.sandbox.request_log()
            if entry["method"] == "PUT" and "summarizeErrors=false" in entry["query"]
        )

    def lose_next_batch_answer(self, *, stored: int) -> None:
        self.sandbox.inject_fault("drop_after_commit", method="PUT", elements=stored)

    def save_while_we_write(self, record) -> None:
        """Our update of the purchase order is held in Xero while someone saves its delivery
        instructions (Xero keeps the fields an update does not send)."""
        self.sandbox.inject_fault(
            "latency", resource="purchaseorders", method="POST", seconds=STALE_WINDOW_SECONDS
        )
        connection, order_id = self._opened().connection, record.commitment.erp_id
        sandbox = self.sandbox

        def save_note() -> None:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if any(
                    entry["method"] == "POST" and "PurchaseOrders" in entry["path"]
                    for entry in sandbox.request_log()
                ):
                    break
                time.sleep(0.05)
            with PersonInXero(connection) as client:
                client.update(
                    f"PurchaseOrders/{order_id}",
                    {
                        "PurchaseOrders": [
                            {"PurchaseOrderID": order_id, "DeliveryInstructions": THEIR_NOTE}
                        ]
                    },
                    idempotency_key=f"someone-{order_id}",
                )

        thread = threading.Thread(target=save_note, name="someone-in-xero", daemon=True)
        thread.start()
        self.background.append(thread)

    def their_save_kept(self, record) -> bool:
        self._join_background()
        return self._order_of(record.commitment).get("DeliveryInstructions") == THEIR_NOTE

    def deactivate(self, record) -> None:
        with XeroClient(self._opened().connection) as client:
            client.update(
                f"Contacts/{record.erp_id}",
                {"Contacts": [{"ContactID": record.erp_id, "ContactStatus": "ARCHIVED"}]},
                idempotency_key=f"archive-{record.erp_id}",
            )

    def key_in_by_hand(self, company: Company, *, same_business: bool) -> None:
        if same_business:
            payload = mapping.contact_payload(company)
        else:
            payload = {
                "Name": mapping.contact_name(company),
                "EmailAddress": "office@another-business.example",
            }
        with XeroClient(self._opened().connection) as client:
            client.create("Contacts", {"Contacts": [payload]}, idempotency_key="by-hand")

    def _opened(self) -> scene.Books:
        assert self.books is not None, "open_books first"
        return self.books

    def _order_of(self, commitment: Commitment) -> dict:
        (order,) = [
            o
            for o in self._opened().records("PurchaseOrder")
            if o["PurchaseOrderID"] == commitment.erp_id
        ]
        return order

    def _join_background(self) -> None:
        for thread in self.background:
            thread.join(timeout=30)
        self.background.clear()


class PersonInXero(XeroClient):
    """A person working in Xero's own screens, beside our exports: not our app, so not counted
    in our share of the organisation's limits (and asking nothing of our database, so it can act
    from another thread while a test's transaction is open)."""

    def _counted(self) -> AbstractContextManager:
        return nullcontext()

    def _held_back(self, seconds: float) -> None:
        pass

    def _heed(self, headers) -> None:
        pass
