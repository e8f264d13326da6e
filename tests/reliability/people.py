"""People acting between an export's tries: the rows of the fault matrix that faults of the
network alone never reach. Each scenario plays a project manager and an accountant through the
public surface (the project manager's pages, the approval services the admin calls) while the
real export worker talks to the QuickBooks sandbox, and ends with exactly one document per
record, or none, and a history that tells what happened.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from approvals.models import AuditEvent, CostCode, SubcontractorInvoice
from approvals.services import (
    PreconditionsNotMet,
    StaleState,
    record_accept,
    record_reject,
    record_resend,
    record_retrieve,
    record_retry,
    record_send,
)
from approvals.states import SyncStatus, event_label
from integrations.quickbooks_online import mapping
from tests.factories import make_user
from tests.html_forms import form_values
from tests.reliability import matrix, scene
from tests.reliability.sandbox_faults import FaultAfter, WriteFault, add_fault
from tests.reliability.worker import run_exports_until_settled, run_look_up_of

EDIT_URLS = {"Company": "approvals:company_edit", "SubcontractorInvoice": "approvals:invoice_edit"}
FIRST_FIELD = {"Company": "name", "SubcontractorInvoice": "number"}


@dataclass
class PeopleOutcome:
    scenario: str
    export: str
    status: str
    documents: int
    history: list[str]
    told: str


@dataclass(frozen=True)
class Scenario:
    label: str
    export: str
    how: str
    run: Callable[[matrix.Cell], tuple[object, str]]  # the record, and what a person was told


def browser_of(user) -> Client:
    client = Client()
    client.force_login(scene.fresh(user))
    return client


def edit_page(client: Client, record) -> dict:
    name = type(record).__name__
    page = client.get(reverse(EDIT_URLS[name], args=[record.pk]))
    return form_values(page.content.decode(), containing=FIRST_FIELD[name])


def post_edit(client: Client, record, values: dict) -> str:
    response = client.post(reverse(EDIT_URLS[type(record).__name__], args=[record.pk]), values)
    assert response.status_code == 200, "an edit of a record with the ERP was saved"
    refusals = re.findall(r"[A-Z][^<>]*cannot be changed:[^<>]*", response.content.decode())
    assert refusals, "the edit page did not say why nothing was saved"
    return html.unescape(refusals[0]).strip()


def lose_the_answer_then_fail(cell: matrix.Cell, entity: str) -> None:
    """The create is stored and its answer lost on the first try; every request after that
    meets a server error until the export gives up. One lost write only: the client makes one
    attempt per call, and a second try that reached QuickBooks would find the bill by its
    number and link it, so the export would never fail and nobody would act around it."""
    write = WriteFault("drop_after_commit", entity=entity, count=1)
    add_fault(cell.server, FaultAfter("http_503", after=write))
    add_fault(cell.server, write)
    run_exports_until_settled(cell.record)
    cell.sandbox.clear_faults()
    assert cell.record.sync_status == SyncStatus.EXPORT_FAILED, cell.record.last_export_error


def _accepted(cell: matrix.Cell) -> None:
    books = cell.books
    record_send(record=cell.record, actor=books.pm)
    record_accept(record=cell.record, actor=books.approver)


def lost_then_edited_then_retried(entity: str, make, field: str, value: str):
    def run(cell: matrix.Cell) -> tuple[object, str]:
        books = cell.books
        cell.record = make(books)
        pm = browser_of(books.pm)
        left_open = edit_page(pm, cell.record)
        _accepted(cell)
        lose_the_answer_then_fail(cell, entity)
        told = post_edit(pm, cell.record, {**left_open, field: value})
        record_retry(record=scene.fresh_record(cell.record), actor=books.approver)
        run_exports_until_settled(cell.record)
        return cell.record, told

    return run


def lost_then_retrieved(entity: str, make):
    def run(cell: matrix.Cell) -> tuple[object, str]:
        books = cell.books
        cell.record = make(books)
        _accepted(cell)
        lose_the_answer_then_fail(cell, entity)
        try:
            record_retrieve(record=scene.fresh_record(cell.record), actor=books.pm)
        except PreconditionsNotMet as refusal:
            told = refusal.message
        else:
            raise AssertionError("retrieved before the look-up said what the ERP holds")
        run_look_up_of(cell.record)
        return cell.record, told

    return run


def edited_between_review_and_accept(cell: matrix.Cell) -> tuple[object, str]:
    books = cell.books
    invoice = cell.record = scene.new_invoice(books, number="INV-4001")
    record_send(record=invoice, actor=books.pm)
    reviewed = scene.fresh_record(invoice).review_version  # the accountant opens the page
    pm = browser_of(books.pm)
    record_retrieve(record=scene.fresh_record(invoice), actor=books.pm)
    edited = {**edit_page(pm, invoice), "lines-0-work_completed": "20000.00"}
    assert pm.post(reverse("approvals:invoice_edit", args=[invoice.pk]), edited).status_code == 302
    record_send(record=scene.fresh_record(invoice), actor=books.pm)
    try:
        record_accept(
            record=scene.fresh_record(invoice), actor=books.approver, review_version=reviewed
        )
    except StaleState as refusal:
        told = refusal.message
    else:
        raise AssertionError("an accept page older than the edit accepted the invoice")
    # Reviewed again: what is accepted now is the edited invoice, and only it reaches the books.
    fresh = scene.fresh_record(invoice)
    record_accept(record=fresh, actor=books.approver, review_version=fresh.review_version)
    run_exports_until_settled(invoice)
    (bill,) = numbered(cell, "Bill")
    assert mapping.as_decimal(bill["TotalAmt"]) == fresh.totals().net
    assert fresh.totals().net == Decimal("21662.45")
    return invoice, told


def shared_company_edited_after_failure(cell: matrix.Cell) -> tuple[object, str]:
    books = cell.books
    company = cell.record = scene.new_company("Hillcrest Glazing")
    other_pm = make_user(role="project_manager", username=f"olga{books.tag}", first_name="Olga")
    left_open = edit_page(browser_of(other_pm), company)
    add_fault(cell.server, WriteFault("xml_error", entity="Vendor"))
    _accepted(cell)
    run_exports_until_settled(company)
    assert company.sync_status == SyncStatus.EXPORT_FAILED
    changed = {**left_open, "email": "pay-me@elsewhere.example", "tax_id": "99-9999999"}
    told = post_edit(browser_of(other_pm), company, changed)
    record_retry(record=scene.fresh_record(company), actor=books.approver)
    run_exports_until_settled(company)
    (vendor,) = named(cell, "Vendor", "Hillcrest Glazing")
    assert vendor["PrimaryEmailAddr"]["Address"] == "billing@riverside-drywall.example"
    assert "TaxIdentifier" not in vendor
    return company, told


def cost_code_relinked_before_export(cell: matrix.Cell) -> tuple[object, str]:
    books = cell.books
    commitment = cell.record = scene.new_commitment(
        books.project, books.vendor, books.cost_codes, number="SC-4005"
    )
    _accepted(cell)
    expense = next(
        account["Id"]
        for account in books.entities("Account")
        if account["AccountType"] == "Cost of Goods Sold"
    )
    coatings = books.create_entity(
        "Item",
        {"Name": "Coatings", "Type": "NonInventory", "ExpenseAccountRef": {"value": expense}},
    )
    CostCode.objects.filter(pk=books.cost_codes["Painting"].pk).update(erp_id=coatings["Id"])
    run_exports_until_settled(commitment)
    told = commitment.last_export_error
    assert commitment.sync_status == SyncStatus.EXPORT_FAILED, told
    assert numbered(cell, "PurchaseOrder") == []
    # The accountant sends it back; corrected (the cost code stays relinked), it is approved anew.
    run_look_up_of(commitment)
    record_reject(
        record=scene.fresh_record(commitment),
        actor=books.approver,
        reason="Line 2's cost code now points at another QuickBooks item; check it.",
    )
    record_resend(record=scene.fresh_record(commitment), actor=books.pm)
    record_accept(record=scene.fresh_record(commitment), actor=books.approver)
    run_exports_until_settled(commitment)
    (order,) = numbered(cell, "PurchaseOrder")
    items = [line["ItemBasedExpenseLineDetail"]["ItemRef"]["value"] for line in order["Line"]]
    assert items[1] == coatings["Id"]
    return commitment, told


def numbered(cell: matrix.Cell, entity: str) -> list[dict]:
    return [
        d
        for d in cell.books.entities(entity)
        if d.get("DocNumber") == cell.record.number
        and d["VendorRef"]["value"] == cell.books.vendor.erp_id
    ]


def named(cell: matrix.Cell, entity: str, name: str) -> list[dict]:
    return [d for d in cell.books.entities(entity) if d.get("DisplayName") == name]


def documents_of(cell: matrix.Cell) -> list[dict]:
    record = cell.record
    if isinstance(record, SubcontractorInvoice):
        return numbered(cell, "Bill")
    if type(record).__name__ == "Commitment":
        return numbered(cell, "PurchaseOrder")
    return named(cell, "Vendor", record.name)


def history(record) -> list[str]:
    events = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk
    ).order_by("created_at", "pk")
    return [event_label(event.action) for event in events]


def _new_bill(books):
    return scene.new_invoice(books, number=f"INV-4{uuid.uuid4().hex[:3]}")


SCENARIOS = [
    Scenario(
        "answer lost, failed, edited, retried",
        "bill",
        "the bill is stored but the answer of the first try is lost and every later "
        "request meets a 503 until the export fails; the project manager posts a new number "
        "from an edit page left open since before the send; the accountant retries",
        lost_then_edited_then_retried("Bill", _new_bill, "number", "INV-4999"),
    ),
    Scenario(
        "answer lost, failed, edited, retried",
        "vendor",
        "the same with a vendor, renamed from a page left open",
        lost_then_edited_then_retried(
            "Vendor", lambda books: scene.new_company("Summit Steel"), "name", "Summit Steel Inc"
        ),
    ),
    Scenario(
        "edited between review and accept",
        "bill",
        "the accountant opens the accept page; the project manager retrieves the invoice, "
        "bills more work and sends it again; the accountant accepts from the old page",
        edited_between_review_and_accept,
    ),
    Scenario(
        "retrieved after a lost answer",
        "bill",
        "the bill is stored, the answer lost and the export failed as above; the project "
        "manager retrieves the invoice to correct it before the worker's look-up has run",
        lost_then_retrieved("Bill", _new_bill),
    ),
    Scenario(
        "retrieved after a lost answer",
        "vendor",
        "the same with a vendor",
        lost_then_retrieved("Vendor", lambda books: scene.new_company("Cascade Electric")),
    ),
    Scenario(
        "second project manager edits a shared company after a failure",
        "vendor",
        "the vendor export fails (ValidationFault); a project manager of another project posts "
        "a new email and tax id from an edit page opened before the send; the accountant retries",
        shared_company_edited_after_failure,
    ),
    Scenario(
        "linked cost code changed between accept and export",
        "purchase order",
        "after the accept, the cost code of line 2 is relinked to another QuickBooks item "
        "before the worker runs; then the accountant rejects, the project manager resends and "
        "the accountant accepts again",
        cost_code_relinked_before_export,
    ),
]
