"""A connector that answers from a script, for the export runner's retry and failure paths.

The QuickBooks sandbox covers real exchanges; this one lets a test say "the ERP throttled
twice, then answered" without depending on any ERP's wire format.
"""

from approvals.services.edits import exported_values
from integrations.base import ApprovedDocument, ExportResult

# Each entry is an exception to raise or an ExportResult to return, consumed in order.
SCRIPT: list = []
CALLS: list[dict] = []
# What find_exported answers: an ExportResult (the last attempt's document), an exception, or None.
FOUND: list = []


class ScriptedConnector:
    kind = "xero"
    display_name = "Scripted ERP"

    def __init__(self, connection):
        self.connection = connection

    def export_problems(self, record) -> list[str]:
        return []

    def export(self, record, *, idempotency_key: str) -> ExportResult:
        CALLS.append({"record": record, "idempotency_key": idempotency_key})
        outcome = SCRIPT.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def approved_document(self, record) -> ApprovedDocument:
        # What people see of the record stands in for an ERP document here.
        return ApprovedDocument(
            document=exported_values(record),
            identity={"record": f"{record._meta.label}:{record.pk}"},
        )

    def find_exported(self, record, approved):
        outcome = FOUND.pop(0) if FOUND else None
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
