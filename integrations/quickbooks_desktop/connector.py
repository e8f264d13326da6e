"""QuickBooks Desktop as the workflow's connector: a company becomes a vendor, a project a job
under the customer chosen at accept, a commitment a purchase order, a change order lines
appended to it, a subcontractor invoice a bill linked to its lines. Nothing is sent while the
worker waits: exporting hands the request to the outbox, the Web Connector collects it when it
next runs, and QuickBooks' answer settles the record (integrations/quickbooks_desktop/
exports.py).
"""

from __future__ import annotations

from approvals.models import (
    ChangeOrderStatus,
    Commitment,
    CommitmentChangeOrder,
    Company,
    Project,
    SubcontractorInvoice,
)
from integrations import documents
from integrations.base import (
    AgentActivity,
    ApprovedDocument,
    ExportResult,
    HandedOff,
    PermanentERPError,
)
from integrations.describe import DocumentDescription, Reference
from integrations.models import ERPConnection, ERPKind
from integrations.questions import (
    NOTHING_ASKED,
    AcceptQuestion,
    AcceptQuestions,
    parent_customer_question,
)
from integrations.quickbooks_desktop import (
    activity,
    cancelling,
    cost_codes,
    describing,
    exports,
    mapping,
    purchases,
)
from money import cents

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
        if isinstance(record, Commitment):
            return purchases.number_problems(
                "commitment", "purchase order", record.number, purchases.MAX_ORDER_NUMBER
            )
        if isinstance(record, SubcontractorInvoice):
            return _bill_problems(record)
        return []

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

    def cost_code_hand_off(self, *, code: str, name: str, expense_account_id: str) -> str:
        return cost_codes.hand_off(
            self.desktop, code=code, name=name, account_list_id=expense_account_id
        )

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
        if isinstance(record, CommitmentChangeOrder):
            order_id = record.commitment.erp_id
            document = {
                "TxnID": order_id,
                "PurchaseOrderLineMod": purchases.change_order_lines(record),
            }
            identity = {"TxnID": order_id, "Marker": documents.change_order_marker(record)}
            return ApprovedDocument(document=document, identity=identity)
        if isinstance(record, Commitment):
            document = purchases.purchase_order(record)
        else:
            document = purchases.bill(record)
        return ApprovedDocument(
            document=document,
            identity={"VendorRef": document["VendorRef"], "RefNumber": document["RefNumber"]},
        )

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
        return parent_customer_question(
            self.connection,
            erp_name=self.display_name,
            how_to_read="Let the Web Connector run (it reads the customers)",
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
        if isinstance(record, Commitment):
            codes = [line.cost_code for line in record.lines.all()]
            return describing.purchase_order(
                purchases.purchase_order(record), _names(record, codes)
            )
        if isinstance(record, CommitmentChangeOrder):
            return _describe_change_order(record)
        return _describe_bill(record)


def _vendor_details(company) -> dict:
    legal = company.legal_name.strip()
    details = {
        "CompanyName": legal or company.name.strip(),
        "Phone": company.phone.strip(),
        "Email": company.email.strip(),
        "VendorTaxIdent": company.tax_id.strip(),
    }
    return {key: value for key, value in details.items() if value}


def _bill_problems(invoice) -> list[str]:
    problems = purchases.number_problems(
        "invoice", "bill", invoice.number, purchases.MAX_BILL_NUMBER
    )
    if invoice.is_retainage_release and not cents(invoice.retainage_released):
        problems.append("This retainage release does not say how much retainage is released.")
    billed = [line for line in invoice.lines.all() if cents(line.gross_amount)]
    if not billed and not invoice.is_retainage_release:
        problems.append("The invoice bills nothing; QuickBooks Desktop needs at least one line.")
    return problems


def _names(commitment, cost_codes) -> describing.Names:
    return describing.Names(
        vendor=commitment.vendor, project=commitment.project, cost_codes=cost_codes
    )


def _describe_change_order(change_order) -> DocumentDescription:
    """The change order's lines after the purchase order as exported from here: the
    commitment's lines, then those of its change orders synced earlier."""
    commitment = change_order.commitment
    earlier = (
        CommitmentChangeOrder.objects.filter(
            commitment=commitment, status=ChangeOrderStatus.APPROVED
        )
        .exclude(erp_id="")
        .exclude(pk=change_order.pk)
        .order_by("erp_synced_at", "pk")
        .prefetch_related("lines__cost_code", "lines__commitment_line")
    )
    before = purchases.purchase_order(commitment)["PurchaseOrderLineAdd"]
    for synced in earlier:
        before += purchases.change_order_lines(synced)
    codes = [line.cost_code for line in commitment.lines.all()]
    codes += [line.cost_code for other in [*earlier, change_order] for line in other.lines.all()]
    return describing.change_order(
        purchases.change_order_lines(change_order),
        before,
        number=commitment.number,
        names=_names(commitment, codes),
    )


def _describe_bill(invoice) -> DocumentDescription:
    commitment = invoice.commitment
    totals = invoice.totals()
    codes = [line.schedule_line.cost_code for line in invoice.lines.all()]
    return describing.bill(
        purchases.bill(invoice),
        _names(commitment, codes),
        withheld=totals.withheld,
        released=totals.released,
        purchase_order=Reference(commitment.number, commitment.erp_id),
    )
