"""Exports through the outbox: an accepted record's request waits for the Web Connector, is
built when the Web Connector collects it, and QuickBooks' answer settles the record's export
attempt through approvals' inbound entry point.

QuickBooks Desktop has no idempotency key. An Add handed over whose answer never came back may
have been carried out, so the request is marked to be looked up first: at the next collection
it becomes a query by name, and a found entry links the record instead of adding a second one.
"""

from __future__ import annotations

from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone

from approvals import inbound
from approvals.models import Company, ERPCustomer, Project
from integrations.base import ERPError, ExportResult, PermanentERPError
from integrations.quickbooks_desktop import mapping, messages, qbxml
from integrations.quickbooks_desktop.models import DesktopConnection, QueuedRequest, RequestState
from integrations.quickbooks_desktop.xml import local_name

ADD_OPERATIONS = {Company: "VendorAddRq", Project: "CustomerAddRq"}
QUERY_OPERATIONS = {"VendorAddRq": "VendorQueryRq", "CustomerAddRq": "CustomerQueryRq"}
RET_TAGS = {"VendorAddRq": "VendorRet", "CustomerAddRq": "CustomerRet"}


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
    return f"add job '{mapping.job_name(record)}'"


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
    """The qbXML request to hand over now: a query by name when an Add of this request went
    unanswered, else the Add built from the record as it stands (it is locked while it waits).
    Marks the request to be looked up first from the moment an Add is handed over."""
    record = record_of(request)
    if record is None:
        return ""
    desktop = request.desktop
    if request.look_up_first:
        return mapping.query_by_full_name(
            QUERY_OPERATIONS[request.operation], full_name_of(record, desktop)
        )
    request.look_up_first = True
    request.save(update_fields=["look_up_first"])
    if isinstance(record, Company):
        return mapping.vendor_add(record)
    return mapping.job_add(record, record.erp_parent_customer_id)


def settle(request: QueuedRequest, answer: qbxml.Answer, request_xml: str) -> str:
    """QuickBooks' answer to an export request: the record synced (the entry added, or found
    after a lost answer), failed in an accountant's words, or, when a look-up found nothing,
    the request back in the queue to be added."""
    record = record_of(request)
    ret = next((r for r in answer.rets if local_name(r) == RET_TAGS[request.operation]), None)
    looked_up = answer.operation == QUERY_OPERATIONS[request.operation].removesuffix("Rq") + "Rs"
    if looked_up and not answer.failed and ret is None:
        request.look_up_first = False
        request.save(update_fields=["look_up_first"])
        return "queued"
    linked_elsewhere = _linked_elsewhere(request, record, ret) if looked_up else None
    if answer.failed or ret is None or linked_elsewhere is not None:
        outcome: ExportResult | ERPError = PermanentERPError(
            messages.linked_elsewhere(record, linked_elsewhere, qbxml.ret_text(ret, "FullName"))
            if linked_elsewhere is not None
            else messages.refused(record, answer),
            code=str(answer.status_code),
            response_body={"statusCode": answer.status_code, "message": answer.status_message},
        )
        request.state = RequestState.FAILED
        request.problem = outcome.message
    else:
        outcome = ExportResult(
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
        request.state = RequestState.DONE
        request.problem = ""
    request.finished_at = timezone.now()
    request.session = None
    request.save(update_fields=["state", "problem", "finished_at", "session"])
    return inbound.export_settled(
        model_label=request.model_label,
        record_id=request.record_id,
        export_attempt=request.export_attempt,
        outcome=outcome,
    )


def _linked_elsewhere(request: QueuedRequest, record, ret):
    """Another record here already linked to the entry a look-up found by name. QuickBooks
    compares names without case, so a second record named like a synced one finds that one's
    entry: it is not ours to link (and one entry never stands for two records)."""
    if ret is None or record is None:
        return None
    return (
        type(record)
        .objects.filter(
            erp_connection=request.desktop.connection, erp_id=qbxml.ret_text(ret, "ListID")
        )
        .exclude(pk=record.pk)
        .first()
    )
