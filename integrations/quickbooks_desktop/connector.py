"""QuickBooks Desktop as the workflow's connector: a company becomes a vendor, a project a job
under the customer chosen at accept. Nothing is sent while the worker waits: exporting hands
the request to the outbox, the Web Connector collects it when it next runs, and QuickBooks'
answer settles the record (integrations/quickbooks_desktop/exports.py).

Commitments, change orders, invoices and cost codes cannot go to QuickBooks Desktop yet; they
are refused at accept with a sentence saying so, never half sent.
"""

from __future__ import annotations

from approvals.inbound import record_title
from approvals.models import Company, ERPCustomer, Project, SyncKind
from integrations.base import (
    AgentActivity,
    ApprovedDocument,
    ExportResult,
    HandedOff,
    PermanentERPError,
)
from integrations.describe import DocumentDescription, Reference
from integrations.models import ERPConnection, ERPKind
from integrations.questions import NOTHING_ASKED, AcceptQuestion, AcceptQuestions
from integrations.quickbooks_desktop import activity, cancelling, exports, mapping

DISPLAY_NAME = "QuickBooks Desktop"


class ExportRefused(PermanentERPError):
    """The record cannot go to QuickBooks Desktop as it stands; nothing was queued."""


class QuickBooksDesktopConnector:
    kind = ERPKind.QUICKBOOKS_DESKTOP
    display_name = DISPLAY_NAME

    def __init__(self, connection: ERPConnection):
        self.connection = connection

    @property
    def desktop(self):
        return self.connection.desktop

    # Checks -----------------------------------------------------------------------------

    def export_problems(self, record) -> list[str]:
        if isinstance(record, Company):
            return mapping.vendor_problems(record)
        if isinstance(record, Project):
            return mapping.name_problems("project", mapping.job_name(record))
        return [
            f"{record_title(record).capitalize()} cannot go to QuickBooks Desktop yet: only "
            "companies (as vendors) and projects (as jobs) are sent to QuickBooks Desktop for "
            "now. Enter it in QuickBooks directly, or leave it until this installation sends "
            "it."
        ]

    # Exports ----------------------------------------------------------------------------

    def export(self, record, *, idempotency_key: str) -> HandedOff:
        record = type(record).objects.get(pk=record.pk)
        problems = self.export_problems(record)
        if problems:
            raise ExportRefused(" ".join(problems), code="export_problems")
        request = exports.hand_off(self.desktop, record, key=idempotency_key)
        return HandedOff(
            reference=f"Q{request.pk}",
            request_payload=self.approved_document(record).document,
        )

    def find_exported(self, record, approved: ApprovedDocument | None) -> ExportResult | None:
        """QuickBooks Desktop cannot be asked while the worker waits. Nothing is looked up
        here: an Add whose answer was lost is looked up by name when the Web Connector next
        collects it, before it is ever added again."""
        return None

    # The Web Connector, for people waiting on it (integrations.base.CollectedByAgent) ------

    def hand_off_note(self) -> str:
        return activity.hand_off_note(self.desktop)

    def agent_activity(self) -> AgentActivity:
        return activity.activity(self.desktop)

    def hand_off_cancel(self, record, *, by: str) -> None:
        cancelling.hand_off_cancel(self.desktop, record, by=by)

    # What an accept approves ------------------------------------------------------------

    def approved_document(self, record) -> ApprovedDocument:
        if isinstance(record, Company):
            document = {"Name": mapping.vendor_name(record)}
            document.update(_vendor_details(record))
            return ApprovedDocument(document=document, identity={"FullName": document["Name"]})
        if isinstance(record, Project):
            document = {
                "Name": mapping.job_name(record),
                "ParentRef": {"ListID": record.erp_parent_customer_id},
            }
            return ApprovedDocument(
                document=document,
                identity={"FullName": exports.full_name_of(record, self.desktop)},
            )
        return ApprovedDocument(document={}, identity={})

    # What an accept asks ----------------------------------------------------------------

    def accept_questions(self, model) -> AcceptQuestions:
        if model is Project:
            return AcceptQuestions(
                choices=(self._parent_customer_question(),), link_or_create=True, link_noun="job"
            )
        if model is Company:
            return AcceptQuestions(link_or_create=True, link_noun="vendor")
        return NOTHING_ASKED

    def _parent_customer_question(self) -> AcceptQuestion:
        customers = ERPCustomer.objects.filter(
            erp_connection=self.connection, is_active=True
        ).values_list("erp_id", "display_name")
        return AcceptQuestion(
            name="parent_customer_id",
            field="erp_parent_customer_id",
            label="Customer the job belongs to",
            choices=tuple(customers),
            required=True,
            help="The project becomes a job under this customer in QuickBooks Desktop.",
            empty_choice="— choose a customer —",
            missing="Please choose the customer this job belongs to.",
            none_to_choose=(
                "No customers of QuickBooks Desktop were read yet, so there is none to put the "
                "job under. Let the Web Connector run (it reads the customers), then accept."
            ),
            imported_with=SyncKind.JOBS,
            imported_noun="Customers",
        )

    # What the decision pages show -------------------------------------------------------

    def describe(self, record) -> DocumentDescription:
        if isinstance(record, Company):
            return DocumentDescription(
                kind="vendor",
                erp_name=DISPLAY_NAME,
                name=mapping.vendor_name(record),
                details=tuple(
                    (label, value)
                    for label, value in (
                        ("Legal name", record.legal_name.strip()),
                        ("Email", record.email.strip()),
                        ("Phone", record.phone.strip()),
                        ("Tax id", f"ends in {record.tax_id[-4:]}" if record.tax_id else ""),
                    )
                    if value
                ),
            )
        if isinstance(record, Project):
            parent_id = record.erp_parent_customer_id
            customer = exports.customer_name(self.desktop, parent_id) if parent_id else ""
            return DocumentDescription(
                kind="job",
                erp_name=DISPLAY_NAME,
                name=mapping.job_name(record),
                party_label="Customer",
                party=Reference(customer or f"customer {parent_id}", parent_id)
                if parent_id
                else None,
            )
        return DocumentDescription(kind="nothing sent", erp_name=DISPLAY_NAME, name="")


def _vendor_details(company) -> dict:
    legal = company.legal_name.strip()
    details = {
        "CompanyName": legal or company.name.strip(),
        "Phone": company.phone.strip(),
        "Email": company.email.strip(),
        "VendorTaxIdent": company.tax_id.strip(),
    }
    return {key: value for key, value in details.items() if value}
