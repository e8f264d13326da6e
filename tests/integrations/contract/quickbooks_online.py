"""QuickBooks Online under the contract: its sandbox over a real socket, faults on its board."""

from __future__ import annotations

import threading

from approvals.models import Commitment, CommitmentChangeOrder, Company, SubcontractorInvoice
from integrations.quickbooks_online import mapping
from integrations.quickbooks_online.client import MAX_PAGE_SIZE
from integrations.quickbooks_online.sandbox.chaos import FaultRule
from tests.integrations.contract.erp_under_test import HAND_OFF, Books
from tests.reliability import scene
from tests.reliability.sandbox_faults import ENDLESS, WriteFault, add_fault

TAG = 930
STALE_WINDOW_SECONDS = 0.8  # our update waits this long while someone else saves the order
THEIR_NOTE = "Soffit change approved by the owner's rep"
_WRITTEN = {
    Company: "Vendor",
    Commitment: "PurchaseOrder",
    CommitmentChangeOrder: "PurchaseOrder",
    SubcontractorInvoice: "Bill",
}


class ReadsStopAfter(FaultRule):
    """`kind` on every query after the first `pages` (one page of a list per query)."""

    def __init__(self, kind: str, *, pages: int):
        super().__init__(kind=kind, count=ENDLESS, entity="query")
        self.pages_left = pages
        self._lock = threading.Lock()

    def matches(self, method: str, resources: tuple[str, ...]) -> bool:
        if not super().matches(method, resources):
            return False
        with self._lock:
            if self.pages_left:
                self.pages_left -= 1
                return False
            return True


class QuickBooksOnline:
    does_not_apply = {
        HAND_OFF: "QuickBooks Online answers while the worker waits; its exports never hand off.",
    }

    def __init__(self, request):
        request.getfixturevalue("qbo_settings")
        self.sandbox = request.getfixturevalue("qbo_sandbox")
        self.server = request.getfixturevalue("qbo_sandbox_server")
        self.books: scene.Books | None = None
        self.background: list[threading.Thread] = []
        request.addfinalizer(self._join_background)

    def open_books(self) -> Books:
        pm, approver = scene.people()
        self.books = scene.open_books(self.sandbox, pm=pm, approver=approver, tag=TAG)
        b = self.books
        return Books(
            b.connection, b.pm, b.approver, b.project, b.vendor, b.commitment, b.cost_codes
        )

    def documents(self, record) -> list[str]:
        books = self._opened()
        if isinstance(record, Company):
            name = mapping.vendor_display_name(record)
            return [v["Id"] for v in books.entities("Vendor") if v["DisplayName"] == name]
        if isinstance(record, CommitmentChangeOrder):
            marker = mapping.change_order_marker(record)
            return [
                line["Id"]
                for line in self._order_of(record.commitment)["Line"]
                if str(line.get("Description", "")).startswith(marker)
            ]
        vendor_id = (
            record.vendor if isinstance(record, Commitment) else record.commitment.vendor
        ).erp_id
        return [
            document["Id"]
            for document in books.entities(_WRITTEN[type(record)])
            if document.get("DocNumber") == record.number
            and document["VendorRef"]["value"] == vendor_id
        ]

    def agent_answers(self) -> list[str]:
        return []

    def lose_next_answer(self, record) -> None:
        add_fault(self.server, WriteFault("drop_after_commit", entity=_WRITTEN[type(record)]))

    def save_while_we_write(self, record) -> None:
        """Our update of the purchase order is held in the sandbox while someone saves it."""
        held = add_fault(
            self.server,
            WriteFault("latency", entity="PurchaseOrder", seconds=STALE_WINDOW_SECONDS),
        )
        connection, order_id = self._opened().connection, record.commitment.erp_id

        def save_note() -> None:
            if not held.fired.wait(timeout=30):
                return
            with scene.someone_in_quickbooks(connection) as client:
                current = client.read("PurchaseOrder", order_id)
                client.update(
                    "PurchaseOrder",
                    {"Id": order_id, "SyncToken": current["SyncToken"], "PrivateNote": THEIR_NOTE},
                    request_id=f"someone-{order_id}",
                    sparse=True,
                )

        thread = threading.Thread(target=save_note, name="someone-in-quickbooks", daemon=True)
        thread.start()
        self.background.append(thread)

    def their_save_kept(self, record) -> bool:
        self._join_background()
        return self._order_of(record.commitment).get("PrivateNote") == THEIR_NOTE

    def deactivate(self, record) -> None:
        scene.deactivate(self._opened().connection, "Vendor", record.erp_id)

    def key_in_by_hand(self, company: Company, *, same_business: bool) -> None:
        if same_business:
            payload = mapping.vendor_payload(company, track_1099=False)
        else:
            payload = {
                "DisplayName": mapping.vendor_display_name(company),
                "CompanyName": "Another business altogether",
                "PrimaryEmailAddr": {"Address": "office@another-business.example"},
            }
        self._opened().create_entity("Vendor", payload)

    def batch_requests(self) -> int:
        return sum(
            1
            for entry in self.sandbox.request_log()
            if entry["method"] == "POST" and entry["path"].endswith("/batch")
        )

    def lose_next_batch_answer(self, *, stored: int) -> None:
        self.sandbox.inject_fault("drop_mid_batch", entity="batch", items=stored)

    def seed_vendors(self, pages: int) -> None:
        """Enough vendors that a full import reads `pages` pages, the last one not full."""
        books = self._opened()
        held = len(books.entities("Vendor"))
        self.sandbox.seed_vendors(
            pages * MAX_PAGE_SIZE - 1 - held, prefix="Supplier", realm_id=books.realm_id
        )

    def stop_reads_after(self, pages: int) -> None:
        add_fault(self.server, ReadsStopAfter("http_500", pages=pages))

    def resume_reads(self) -> None:
        self.sandbox.clear_faults()
        self.sandbox.clear_request_log()

    def reads(self) -> int:
        return sum(1 for entry in self.sandbox.request_log() if entry["path"].endswith("/query"))

    def _opened(self) -> scene.Books:
        assert self.books is not None, "open_books first"
        return self.books

    def _order_of(self, commitment: Commitment) -> dict:
        (order,) = [
            d for d in self._opened().entities("PurchaseOrder") if d["Id"] == commitment.erp_id
        ]
        return order

    def _join_background(self) -> None:
        for thread in self.background:
            thread.join(timeout=30)
        self.background.clear()
