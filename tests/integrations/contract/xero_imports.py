"""What the contract's import case asks of Xero's sandbox: enough contacts for pages of reads,
reads that stop after some pages, and a count of the pages read. Mixed into the Xero adapter
(tests/integrations/contract/xero.py), which keeps the sandbox handle as `self.sandbox`."""

from __future__ import annotations

from integrations.xero.reading import PAGE_SIZE

# Stands for "every page after the ones let through" in a fault's count.
ENDLESS = 10_000


class XeroImportReads:
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
