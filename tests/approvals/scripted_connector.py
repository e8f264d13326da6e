"""A connector that answers from a script, for the export runner's retry and failure paths.

The QuickBooks sandbox covers real exchanges; this one lets a test say "the ERP throttled
twice, then answered" without depending on any ERP's wire format. It asks its own questions at
accept (a contact group for companies, nothing for a project but link or create), so tests
using it show the workflow asks what the connector declares, not what one ERP needs. It also
updates vendors and knows the date its books are closed through, both from the script.
"""

from decimal import Decimal

from approvals.models import Commitment, Company, Project
from approvals.services.workflow.edits import exported_values
from approvals.services.workflow.records import noun
from integrations.base import ApprovedDocument, ExportResult, VendorUpdateResult
from integrations.describe import DescribedLine, DocumentDescription
from integrations.questions import NOTHING_ASKED, AcceptQuestion, AcceptQuestions

# Each entry is an exception to raise, or the ExportResult or VendorUpdateResult to return,
# consumed in order by exports and vendor updates alike.
SCRIPT: list = []
CALLS: list[dict] = []
# What find_exported answers: an ExportResult (the last attempt's document), an exception, or None.
FOUND: list = []
# What each find_exported looked for: the ApprovedDocument it was given.
LOOKED_UP: list = []
CONTACT_GROUPS = (("trades", "Trades"), ("suppliers", "Suppliers"))
# The date its books are closed through, when one is set here (else they are open).
CLOSED_THROUGH: list = []
# What it would refuse in any record it is asked to check (nothing unless a test says so).
PROBLEMS: list[str] = []


class ScriptedConnector:
    kind = "xero"
    display_name = "Scripted ERP"

    def __init__(self, connection):
        self.connection = connection

    def export_problems(self, record) -> list[str]:
        return list(PROBLEMS)

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

    def describe(self, record) -> DocumentDescription:
        # The record's values as people read them, and a commitment's lines, stand in for the
        # description of an ERP document here.
        lines = tuple(
            DescribedLine(
                description=line.description, amount=line.amount, cost_code=str(line.cost_code)
            )
            for line in (record.lines.all() if isinstance(record, Commitment) else ())
        )
        details = {label: value for label, value in exported_values(record).items() if value}
        return DocumentDescription(
            kind=noun(record),
            erp_name=self.display_name,
            name=str(record),
            details=tuple(details.items()),
            lines=lines,
            total=sum((line.amount for line in lines), Decimal("0.00")) if lines else None,
        )

    def accept_questions(self, model) -> AcceptQuestions:
        if model is Company:
            group = AcceptQuestion(
                name="vendor_type",
                field="vendor_type",
                label="Contact group",
                choices=CONTACT_GROUPS,
                missing="Put the contact in a group.",
            )
            return AcceptQuestions(choices=(group,), link_or_create=True, link_noun="contact")
        if model is Project:
            return AcceptQuestions(link_or_create=True, link_noun="tracking option")
        return NOTHING_ASKED

    def find_exported(self, record, approved):
        LOOKED_UP.append(approved)
        outcome = FOUND.pop(0) if FOUND else None
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def vendor_update(self, company, *, new_values: dict, request_key: str) -> VendorUpdateResult:
        CALLS.append({"record": company, "new_values": new_values, "request_key": request_key})
        outcome = SCRIPT.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def books_closed_through(self):
        return CLOSED_THROUGH[-1] if CLOSED_THROUGH else None
