"""Exports through the outbox: an accepted record's request waits for the Web Connector, is
built when the Web Connector collects it, and QuickBooks' answer settles the record's export
attempt through approvals' inbound entry point.

A request may take several exchanges, each built from the answer before it (kept in the
request's body until it is handed over): a change order reads its purchase order (its lines
and current EditSequence) and then modifies it; a bill with retainage makes sure the Retainage
item exists first.

QuickBooks Desktop has no idempotency key. An Add handed over whose answer never came back may
have been carried out, so the request is marked to be looked up first: at the next collection
it becomes a query (by name for a list entry; by number, vendor and our attempt's GUID for a
purchase order or bill), and a found entry links the record instead of adding a second one. A
vendor found by name is linked only when it is clearly ours (the company's details), and so is
one whose name refused our Add (3100): a vendor keyed in by hand for the same business is
linked, another business's is named in the failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone

from approvals import inbound
from approvals.models import (
    Commitment,
    CommitmentChangeOrder,
    Company,
    CostCode,
    ERPCostCode,
    ERPCustomer,
    Project,
    SubcontractorInvoice,
)
from integrations import documents
from integrations.base import ERPError, ExportResult, PermanentERPError
from integrations.quickbooks_desktop import mapping, messages, purchases, qbxml
from integrations.quickbooks_desktop.models import DesktopConnection, QueuedRequest, RequestState
from integrations.quickbooks_desktop.xml import local_name
from money import cents

ADD_OPERATIONS = {
    Company: "VendorAddRq",
    Project: "CustomerAddRq",
    Commitment: "PurchaseOrderAddRq",
    SubcontractorInvoice: "BillAddRq",
    CommitmentChangeOrder: "PurchaseOrderModRq",
}
LIST_QUERIES = {"VendorAddRq": "VendorQueryRq", "CustomerAddRq": "CustomerQueryRq"}
LIST_RETS = {"VendorAddRq": "VendorRet", "CustomerAddRq": "CustomerRet"}
STALE = 3200
# The answer's request stays in the queue: the next exchange carries it on.
QUEUED = "queued"


def customer_name(desktop: DesktopConnection, list_id: str) -> str:
    found = ERPCustomer.objects.filter(erp_connection=desktop.connection, erp_id=list_id).first()
    return found.display_name if found else ""


def full_name_of(record, desktop: DesktopConnection) -> str:
    """The name the record's list entry has (or will have) in QuickBooks."""
    if isinstance(record, Company):
        return mapping.vendor_name(record)
    return mapping.job_full_name(record, customer_name(desktop, record.erp_parent_customer_id))


def purpose_of(record) -> str:
    if isinstance(record, Company):
        return f"add vendor '{mapping.vendor_name(record)}'"
    if isinstance(record, Project):
        return f"add job '{mapping.job_name(record)}'"
    if isinstance(record, Commitment):
        return f"add purchase order {record.number}"
    if isinstance(record, SubcontractorInvoice):
        return f"add bill {record.number}"
    return f"add change order {record.number} to purchase order {record.commitment.number}"


def hand_off(desktop: DesktopConnection, record, *, key: str) -> QueuedRequest:
    """The request of the record's current export attempt, queued once per attempt: handing
    the same attempt off again returns the request already queued."""
    existing = desktop.requests.filter(export_key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return QueuedRequest.objects.create(
                desktop=desktop,
                purpose=purpose_of(record),
                operation=ADD_OPERATIONS[type(record)],
                body="",
                model_label=record._meta.label_lower,
                record_id=record.pk,
                export_attempt=record.export_attempt,
                export_key=key,
            )
    except IntegrityError:
        return desktop.requests.get(export_key=key)


def record_of(request: QueuedRequest):
    model = apps.get_model(request.model_label)
    return model.objects.filter(pk=request.record_id).first()


def body_for(request: QueuedRequest) -> str:
    """The qbXML request to hand over now, built from the record as it stands (it is locked
    while it waits) and what QuickBooks answered so far; "" when the request was settled
    instead (its record is gone, or the document would not add up)."""
    record = record_of(request)
    if record is None:
        _fail_request(request, "The record of this request no longer exists.")
        return ""
    if request.body:
        body, request.body = request.body, ""
        request.save(update_fields=["body"])
        return body
    # After a lost answer the look-up comes first: the document that attempt may have added
    # is linked, never added again, whatever changed since.
    changed = (
        ""
        if request.look_up_first
        else inbound.changed_since_approved(record, connection=request.desktop.connection)
    )
    if changed:
        settled(request, PermanentERPError(changed, code="changed_since_approved"))
        return ""
    try:
        return _KINDS[type(record)].next_body(request, record)
    except TotalMismatch as mismatch:
        settled(request, PermanentERPError(str(mismatch), code="total_mismatch"))
        return ""


def settle(request: QueuedRequest, answer: qbxml.Answer, request_xml: str) -> str:
    """QuickBooks' answer to one exchange of an export request: the record synced (the
    document added, or found after a lost answer), failed in an accountant's words, or the
    request left in the queue for its next exchange."""
    record = record_of(request)
    if record is None:
        _fail_request(request, "The record of this request no longer exists.")
        return "failed"
    try:
        outcome = _KINDS[type(record)].answered(request, record, answer, request_xml)
    except TotalMismatch as mismatch:
        outcome = PermanentERPError(str(mismatch), code="total_mismatch")
    if outcome == QUEUED:
        return QUEUED
    return settled(request, outcome)


def settled(request: QueuedRequest, outcome: ExportResult | ERPError) -> str:
    """Finish the request with `outcome` and settle its record's export attempt."""
    request.state = RequestState.FAILED if isinstance(outcome, ERPError) else RequestState.DONE
    request.problem = outcome.message if isinstance(outcome, ERPError) else ""
    request.finished_at = timezone.now()
    request.session = None
    request.body = ""
    request.save(update_fields=["state", "problem", "finished_at", "session", "body"])
    return inbound.export_settled(
        model_label=request.model_label,
        record_id=request.record_id,
        export_attempt=request.export_attempt,
        outcome=outcome,
    )


def _fail_request(request: QueuedRequest, problem: str) -> None:
    request.state = RequestState.FAILED
    request.problem = problem
    request.finished_at = timezone.now()
    request.save(update_fields=["state", "problem", "finished_at"])


def _next(request: QueuedRequest, body: str = "", *, look_up_first: bool | None = None) -> str:
    """Leave the request queued for its next exchange, with `body` prepared for it."""
    request.body = body
    fields = ["body"]
    if look_up_first is not None:
        request.look_up_first = look_up_first
        fields.append("look_up_first")
    request.save(update_fields=fields)
    return QUEUED


def _adding(request: QueuedRequest, body: str) -> str:
    """`body`, an Add about to be handed over: from now on it is looked up before it is ever
    added again."""
    request.look_up_first = True
    request.save(update_fields=["look_up_first"])
    return body


def _refused(record, answer: qbxml.Answer) -> PermanentERPError:
    return PermanentERPError(
        messages.refused(record, answer, _reference_named(record, answer)),
        code=str(answer.status_code),
        response_body={"statusCode": answer.status_code, "message": answer.status_message},
    )


def _reference_named(record, answer: qbxml.Answer) -> str:
    """How the accountant knows the vendor, job or item a 3140 names: by our record linked to
    it (QuickBooks names it by the ListID we sent); "" when it names nothing of ours."""
    named = messages.invalid_reference(answer)
    if named is None:
        return ""
    kind, value = named
    connection = record.handed_off_to or record.erp_connection
    linked = {"erp_connection": connection, "erp_id": value}
    if kind == "Vendor":
        company = Company.objects.filter(**linked).first()
        return f"vendor '{company.name}'" if company else f"vendor {value}"
    if kind == "Customer":
        project = Project.objects.filter(**linked).first()
        return f"job '{mapping.job_name(project)}'" if project else f"customer or job {value}"
    if kind == "Item":
        cost_code = CostCode.objects.filter(**linked).first()
        return f"the item of cost code '{cost_code}'" if cost_code else f"item '{value}'"
    return f"{kind.lower()} '{value}'"


def _ret(answer: qbxml.Answer, tag: str):
    return next((ret for ret in answer.rets if local_name(ret) == tag), None)


class TotalMismatch(Exception):
    """The document built does not add up to what was approved: it is never sent."""


def _ensure_total(document_total: Decimal, expected: Decimal, what: str) -> None:
    if cents(document_total) != cents(expected):
        raise TotalMismatch(
            f"The QuickBooks Desktop {what} would total {cents(document_total):,.2f}, but the "
            f"record totals {cents(expected):,.2f}, so nothing was sent. Please report this "
            "problem."
        )


# List entries: vendors and jobs --------------------------------------------------------------


class _ListEntry:
    def next_body(self, request: QueuedRequest, record) -> str:
        if request.look_up_first:
            return mapping.query_by_full_name(
                LIST_QUERIES[request.operation], full_name_of(record, request.desktop)
            )
        if isinstance(record, Company):
            guid = purchases.attempt_guid(request.export_key)
            return _adding(request, mapping.vendor_add(record, guid=guid))
        return _adding(request, mapping.job_add(record, record.erp_parent_customer_id))

    def answered(self, request, record, answer: qbxml.Answer, request_xml: str):
        ret = _ret(answer, LIST_RETS[request.operation])
        looked_up = answer.operation == LIST_QUERIES[request.operation].removesuffix("Rq") + "Rs"
        if not looked_up and _vendor_name_taken(record, answer):
            # Whose the name is decides: a vendor clearly ours is linked, not refused.
            return _next(request, look_up_first=True)
        taken = _name_taken(request) if looked_up else None
        if looked_up and not answer.failed and ret is None:
            if taken is not None:
                return _refused(record, taken)
            return _next(request, look_up_first=False)
        linked_elsewhere = _linked_elsewhere(request, record, ret) if looked_up else None
        if linked_elsewhere is not None:
            return PermanentERPError(
                messages.linked_elsewhere(
                    record, linked_elsewhere, qbxml.ret_text(ret, "FullName")
                ),
                code=str(answer.status_code),
            )
        if answer.failed or ret is None:
            return _refused(record, answer)
        if looked_up and isinstance(record, Company):
            refusal = _not_ours(request, record, ret, taken)
            if refusal:
                return PermanentERPError(refusal, code="name_taken")
        return ExportResult(
            erp_id=qbxml.ret_text(ret, "ListID"),
            version=qbxml.ret_text(ret, "EditSequence"),
            linked_existing=looked_up,
            request_payload={"qbXML": request_xml},
            response_payload={
                "ListID": qbxml.ret_text(ret, "ListID"),
                "EditSequence": qbxml.ret_text(ret, "EditSequence"),
                "FullName": qbxml.ret_text(ret, "FullName"),
            },
        )


def _vendor_name_taken(record, answer: qbxml.Answer) -> bool:
    return (
        isinstance(record, Company) and answer.failed and answer.status_code == messages.NAME_IN_USE
    )


def _name_taken(request: QueuedRequest) -> qbxml.Answer | None:
    """QuickBooks' refusal of this request's Add because its name is taken, if it came (an
    exchange's status is saved after its answer is settled, so only earlier ones count)."""
    exchange = request.exchanges.filter(status_code=messages.NAME_IN_USE).order_by("-pk").first()
    if exchange is None:
        return None
    return qbxml.answer_to(exchange.response_xml, exchange.qbxml_request_id)


def _not_ours(request: QueuedRequest, company, ret, taken: qbxml.Answer | None) -> str:
    """Why the vendor a look-up by name found is not linked to `company` ("" when it is
    ours: added by this attempt, whose GUID it keeps, or clearly the company's, keyed in with
    its details). The same rule holds after a lost answer and after a name refused as taken."""
    if qbxml.ret_text(ret, "ExternalGUID").upper() == purchases.attempt_guid(request.export_key):
        return ""
    full_name = qbxml.ret_text(ret, "FullName") or qbxml.ret_text(ret, "Name")
    if not mapping.same_vendor(company, ret):
        return messages.vendor_of_another_business(full_name, taken)
    if qbxml.ret_text(ret, "IsActive") == "false":
        return messages.vendor_inactive(full_name, taken)
    return ""


def _linked_elsewhere(request: QueuedRequest, record, ret):
    """Another record here already linked to the entry a look-up found. QuickBooks compares
    names without case, so a second record named like a synced one finds that one's entry:
    it is not ours to link (and one entry never stands for two records)."""
    if ret is None:
        return None
    erp_id = qbxml.ret_text(ret, "ListID") or qbxml.ret_text(ret, "TxnID")
    return (
        type(record)
        .objects.filter(erp_connection=request.desktop.connection, erp_id=erp_id)
        .exclude(pk=record.pk)
        .first()
    )


# Purchase orders and bills ------------------------------------------------------------------


@dataclass(frozen=True)
class _Added:
    """A purchase order or bill added once: looked up by number, vendor and our GUID after a
    lost answer."""

    operation: str
    query: str
    ret_tag: str
    line_tag: str

    def document(self, record) -> dict:
        if isinstance(record, Commitment):
            document = purchases.purchase_order(record)
            expected = sum((cents(line.amount) for line in record.lines.all()), Decimal(0))
            _ensure_total(purchases.lines_total(document), expected, "purchase order")
        else:
            document = purchases.bill(record)
            _ensure_total(purchases.lines_total(document), record.totals().net, "bill")
        return document

    def next_body(self, request: QueuedRequest, record) -> str:
        document = self.document(record)
        if request.look_up_first:
            return purchases.query_by_number(self.query, document["RefNumber"])
        if self._needs_retainage_item(request, document):
            return purchases.retainage_item_query()
        return self._add(request, document)

    def _add(self, request: QueuedRequest, document: dict) -> str:
        guid = purchases.attempt_guid(request.export_key)
        return _adding(request, purchases.request(self.operation, document, guid=guid))

    def _needs_retainage_item(self, request: QueuedRequest, document: dict) -> bool:
        if self.operation != "BillAddRq" or not purchases.needs_retainage_item(document):
            return False
        known = ERPCostCode.objects.filter(
            erp_connection=request.desktop.connection,
            code__iexact=purchases.RETAINAGE_ITEM,
            is_active=True,
        )
        return not known.exists()

    def answered(self, request, record, answer: qbxml.Answer, request_xml: str):
        operation = answer.operation.removesuffix("Rs") + "Rq"
        if operation == "ItemQueryRq":
            if answer.rets:
                return _next(request, self._add(request, self.document(record)))
            if answer.failed:
                return _refused(record, answer)
            account = request.desktop.retainage_account
            return _next(request, purchases.retainage_item_add(account))
        if operation == "ItemOtherChargeAddRq":
            if answer.failed and answer.status_code != messages.NAME_IN_USE:
                return PermanentERPError(
                    messages.retainage_item_refused(request.desktop.retainage_account, answer),
                    code=str(answer.status_code),
                )
            return _next(request, self._add(request, self.document(record)))
        if operation == self.query:
            return self._looked_up(request, record, answer)
        ret = _ret(answer, self.ret_tag)
        if answer.failed or ret is None:
            return _refused(record, answer)
        return self._result(record, ret, answer, request_xml, linked=False)

    def _looked_up(self, request, record, answer: qbxml.Answer):
        guid = purchases.attempt_guid(request.export_key)
        vendor_id = _vendor_of(record).erp_id
        rets = [ret for ret in answer.rets if local_name(ret) == self.ret_tag]
        ours = [ret for ret in rets if qbxml.ret_text(ret, "ExternalGUID").upper() == guid]
        if ours:
            return self._result(record, ours[0], answer, "", linked=True)
        if answer.failed:
            return _refused(record, answer)
        others = [ret for ret in rets if qbxml.ret_text(ret, "VendorRef", "ListID") == vendor_id]
        if others:
            return PermanentERPError(
                messages.numbered_elsewhere(record, qbxml.ret_text(others[0], "TxnID")),
                code="number_taken",
            )
        return _next(request, look_up_first=False)

    def _result(self, record, ret, answer: qbxml.Answer, request_xml: str, *, linked: bool):
        lines = [line for line in ret if local_name(line) == self.line_tag]
        line_ids = {}
        if isinstance(record, Commitment):
            ours = list(record.lines.all())
            if len(ours) == len(lines):
                line_ids = {
                    line.pk: qbxml.ret_text(element, "TxnLineID")
                    for line, element in zip(ours, lines, strict=True)
                }
        warning = messages.warning(answer)
        unlinked = (
            purchases.unlinked_lines(record) if isinstance(record, SubcontractorInvoice) else []
        )
        return _transaction_result(
            ret,
            answer,
            request_xml,
            linked=linked,
            line_ids=line_ids,
            problems=(warning, messages.unlinked_bill_lines(unlinked)),
        )


def _vendor_of(record):
    return record.vendor if isinstance(record, Commitment) else record.commitment.vendor


def _transaction_result(
    ret, answer: qbxml.Answer, request_xml: str, *, linked: bool, line_ids: dict, problems
) -> ExportResult:
    """What adding or changing a purchase order or bill left in QuickBooks; `problems` are
    what approvers must know of it (a warning, lines left unlinked), "" when none."""
    return ExportResult(
        erp_id=qbxml.ret_text(ret, "TxnID"),
        version=qbxml.ret_text(ret, "EditSequence"),
        doc_number=qbxml.ret_text(ret, "RefNumber"),
        linked_existing=linked,
        line_ids=line_ids,
        request_payload={"qbXML": request_xml} if request_xml else None,
        response_payload={
            "TxnID": qbxml.ret_text(ret, "TxnID"),
            "EditSequence": qbxml.ret_text(ret, "EditSequence"),
            "RefNumber": qbxml.ret_text(ret, "RefNumber"),
            "statusCode": answer.status_code,
            "statusMessage": answer.status_message,
        },
        problem=" ".join(problem for problem in problems if problem),
    )


# Change orders: lines appended to the purchase order ----------------------------------------


class _ChangeOrder:
    """Read the purchase order (its lines and current EditSequence), then modify it keeping
    every line it has and appending the change order's. A read that finds the change order's
    lines already there (its answer was lost) links instead. A stale EditSequence (someone
    changed the order in between) reads it again and re-applies, once."""

    def next_body(self, request: QueuedRequest, change_order) -> str:
        return purchases.order_query(change_order.commitment.erp_id)

    def answered(self, request, change_order, answer: qbxml.Answer, request_xml: str):
        order = _ret(answer, "PurchaseOrderRet")
        if answer.operation == "PurchaseOrderQueryRs":
            if answer.failed or order is None:
                return _refused(change_order, answer)
            applied = _applied_lines(change_order, order)
            if applied:
                # Lines of this change order already there are linked only when they are what
                # was approved (its own lost answer); others, from an earlier export or changed
                # by hand, are never taken for the approved change, nor added to.
                found = _lines_total(applied)
                if found != _change_order_total(change_order):
                    return PermanentERPError(
                        messages.already_on_order(change_order, found), code="already_on_order"
                    )
                return _change_result(change_order, order, applied, answer, "", linked=True)
            document = purchases.change_order(
                change_order,
                txn_id=qbxml.ret_text(order, "TxnID"),
                edit_sequence=qbxml.ret_text(order, "EditSequence"),
                kept_line_ids=[qbxml.ret_text(line, "TxnLineID") for line in _order_lines(order)],
            )
            added = purchases.lines_total(document)
            _ensure_total(added, _change_order_total(change_order), "change order")
            if _order_total(order) + added < 0:
                return PermanentERPError(
                    messages.below_zero(change_order, _order_total(order) + added),
                    code="negative_total",
                )
            return _next(request, purchases.request("PurchaseOrderModRq", document))
        if answer.failed and answer.status_code == STALE and not _stale_before(request):
            return _next(request)
        if answer.failed or order is None:
            return _refused(change_order, answer)
        applied = _applied_lines(change_order, order)
        return _change_result(change_order, order, applied, answer, request_xml, linked=False)


def _order_lines(order) -> list:
    return [line for line in order if local_name(line) == "PurchaseOrderLineRet"]


def _order_total(order) -> Decimal:
    return _lines_total(_order_lines(order))


def _lines_total(lines) -> Decimal:
    return sum((cents(qbxml.ret_text(line, "Amount") or "0") for line in lines), Decimal("0.00"))


def _change_order_total(change_order) -> Decimal:
    return sum((cents(line.amount) for line in change_order.lines.all()), Decimal("0.00"))


def _applied_lines(change_order, order) -> list:
    marker = documents.change_order_marker(change_order)
    return [line for line in _order_lines(order) if qbxml.ret_text(line, "Desc").startswith(marker)]


def _stale_before(request: QueuedRequest) -> bool:
    """Whether an earlier exchange of this request was already refused as stale (the current
    exchange's status is saved after its answer is settled)."""
    return request.exchanges.filter(status_code=STALE).exists()


def _change_result(change_order, order, applied, answer, request_xml: str, *, linked: bool):
    groups = documents.change_order_groups(change_order)
    line_ids = {}
    if len(groups) == len(applied):
        for group, line in zip(groups, applied, strict=True):
            for change_line in group:
                line_ids[change_line.pk] = qbxml.ret_text(line, "TxnLineID")
    total = _lines_total(applied)
    differs = total != _change_order_total(change_order)
    return _transaction_result(
        order,
        answer,
        request_xml,
        linked=linked,
        line_ids=line_ids,
        problems=(
            messages.warning(answer),
            messages.applied_differently(change_order, total) if differs else "",
        ),
    )


_KINDS = {
    Company: _ListEntry(),
    Project: _ListEntry(),
    Commitment: _Added(
        "PurchaseOrderAddRq", "PurchaseOrderQueryRq", "PurchaseOrderRet", "PurchaseOrderLineRet"
    ),
    SubcontractorInvoice: _Added("BillAddRq", "BillQueryRq", "BillRet", "ItemLineRet"),
    CommitmentChangeOrder: _ChangeOrder(),
}
