"""Xero's imports under the contract: its sandbox over a real socket, faults on its board.

Xero's exports join the contract with its connector (branch xero-connect); until then their
sentences are named in does_not_apply with that reason.
"""

from __future__ import annotations

from integrations.xero.reading import PAGE_SIZE
from tests import records
from tests.factories import make_company, make_cost_code, make_project
from tests.integrations.contract.erp_under_test import (
    EXPORTING_TWICE,
    HAND_OFF,
    INACTIVE_REFERENCE,
    LOST_ANSWER,
    STALE_VERSION,
    TAKEN_NAME,
    Books,
)

EXPORTS_FOLLOW = "Xero's exports join the contract with its connector (branch xero-connect)."
# Stands for "every page after the ones let through" in a fault's count.
ENDLESS = 10_000


class XeroImports:
    does_not_apply = {
        EXPORTING_TWICE: EXPORTS_FOLLOW,
        LOST_ANSWER: EXPORTS_FOLLOW,
        STALE_VERSION: EXPORTS_FOLLOW,
        INACTIVE_REFERENCE: EXPORTS_FOLLOW,
        TAKEN_NAME: EXPORTS_FOLLOW,
        HAND_OFF: "Xero answers while the worker waits; its exports never hand off.",
    }

    def __init__(self, request):
        self.sandbox = request.getfixturevalue("xero_sandbox")
        self.connection = request.getfixturevalue("xero_connection")

    def open_books(self) -> Books:
        pm, approver = records.people()
        cost_codes = {
            name: make_cost_code(code=f"930-{position}00", name=name)
            for position, name in enumerate(records.ITEMS, start=1)
        }
        project = make_project(synced=True, members=[pm])
        vendor = make_company(name="Acme Drywall", synced=True)
        commitment = records.new_commitment(project, vendor, cost_codes, number="SC-1001-004")
        return Books(self.connection, pm, approver, project, vendor, commitment, cost_codes)

    def seed_vendors(self, pages: int) -> None:
        """Enough contacts that a full import reads `pages` pages, the last one not full."""
        held = len(self.sandbox.records("Contact"))
        self.sandbox.seed_contacts(pages * PAGE_SIZE - 1 - held, prefix="Supplier")

    def stop_reads_after(self, pages: int) -> None:
        self.sandbox.inject_fault(
            "http_500", count=ENDLESS, resource="contacts", method="GET", after=pages
        )

    def resume_reads(self) -> None:
        self.sandbox.clear_faults()
        self.sandbox.clear_request_log()

    def reads(self) -> int:
        return sum(
            1
            for entry in self.sandbox.request_log()
            if entry["method"] == "GET" and entry["path"].endswith("/Contacts")
        )
