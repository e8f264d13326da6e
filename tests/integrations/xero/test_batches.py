"""Xero on the batched export path, over the sandbox's socket: up to 50 documents in one PUT
with summarizeErrors=false, each stored or refused on its own, looked up first in one call for
the whole batch; a lost answer ends in one document per record."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from approvals.models import Commitment, CommitmentChangeOrder, Company, CostCode, Project
from approvals.services import record_send, records_accept_bulk
from approvals.states import SyncStatus
from integrations import rate_limits
from integrations.base import ExportResult
from integrations.models import RateCall
from integrations.xero import mapping
from integrations.xero.client import XeroClient
from integrations.xero.connector import ExportRefused, XeroConnector
from integrations.xero.organisation import remember_organisation
from tests.integrations.xero import scene
from tests.integrations.xero.books import SomeoneInXero
from tests.integrations.xero.test_connector import run_queued_exports
from tests.records import fresh_record, new_commitment, new_invoice, people

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _retries_due_at_once(settings):
    settings.EXPORT_MAX_TRIES = 3
    settings.EXPORT_RETRY_BASE_SECONDS = 0
    settings.EXPORT_RETRY_MAX_SECONDS = 0


@pytest.fixture
def books(xero_sandbox, xero_connection):
    pm, approver = people()
    return scene.open_books(xero_sandbox, xero_connection, pm=pm, approver=approver)


def live_bills(books) -> list[dict]:
    return [b for b in books.records("Invoice") if b["Status"] not in ("DELETED", "VOIDED")]


def calls(xero_sandbox, method: str, resource: str) -> list[dict]:
    return [
        entry
        for entry in xero_sandbox.request_log()
        if entry["method"] == method and entry["path"].endswith(f"/api.xro/2.0/{resource}")
    ]


def test_the_batch_sizes_xero_takes(xero_connection):
    connector = XeroConnector(xero_connection)
    for model in (Company, Commitment):
        assert connector.export_batch_size(model) == 50
    # One option per request; a change order updates its order as Xero holds it now.
    assert connector.export_batch_size(Project) == 1
    assert connector.export_batch_size(CommitmentChangeOrder) == 1


def test_bills_of_a_batch_are_looked_up_in_one_call_created_in_one_each_on_its_own(
    books, xero_sandbox
):
    invoices = [new_invoice(books, number=f"INV-30{n}") for n in range(4)]
    early = invoices[2]
    early.billing_date = early.period_end = date(2026, 3, 31)
    early.period_start = date(2026, 3, 1)
    early.save()
    connector = XeroConnector(books.connection)
    # INV-301 is in Xero already (a lost answer whose key Xero forgot, say).
    with XeroClient(books.connection) as client:
        existing = client.create(
            "Invoices",
            {"Invoices": [mapping.bill_payload(fresh_record(invoices[1]), connector.books)]},
            idempotency_key="lost-answer",
            unitdp=4,
        )["Invoices"][0]
        remember_organisation(books.connection, client)
    # Locked in Xero after our last read of the organisation: Xero refuses INV-302 alone.
    xero_sandbox.set_lock_dates(PeriodLockDate="2026-04-30")
    xero_sandbox.clear_request_log()

    created, linked, refused, last = XeroConnector(books.connection).export_batch(
        invoices, idempotency_keys=[f"invoice-{invoice.pk}-1" for invoice in invoices]
    )

    bills = {bill["InvoiceNumber"]: bill for bill in live_bills(books)}
    assert sorted(bills) == ["INV-300", "INV-301", "INV-303"]
    assert (created.erp_id, created.linked_existing) == (bills["INV-300"]["InvoiceID"], False)
    assert (linked.erp_id, linked.linked_existing) == (existing["InvoiceID"], True)
    assert last.erp_id == bills["INV-303"]["InvoiceID"]
    assert isinstance(refused, ExportRefused) and not refused.transient
    assert "lock date" in refused.message
    assert "choose a later one" in refused.message
    # One look-up and one write of the two bills still to create. The items are as this
    # worker read them minutes ago at most (exporting the purchase order, here), checked
    # against what Xero stores on each line.
    assert len(calls(xero_sandbox, "GET", "Invoices")) == 1
    assert calls(xero_sandbox, "GET", "Items") == []
    (write,) = calls(xero_sandbox, "PUT", "Invoices")
    assert "summarizeErrors=false" in write["query"]
    log = xero_sandbox.request_log()
    assert [entry["method"] for entry in log[:2]] == ["GET", "PUT"]
    # Then only the refused bill's explanation: is its contact or tracking option gone?
    assert [entry["path"].split("/")[3] for entry in log[2:]] == [
        "Contacts",
        "TrackingCategories",
    ]


def test_a_batch_with_room_for_its_look_up_but_not_its_create_asks_xero_nothing(
    books, xero_sandbox, settings
):
    settings.ERP_RATE_LIMIT_MAX_WAIT_SECONDS = 0
    invoices = [new_invoice(books, number=f"INV-50{n}") for n in range(2)]
    # One call left this minute by our count: a look-up would go, then its create could not.
    counted = RateCall.objects.filter(
        connection=books.connection, counts_until__gt=timezone.now()
    ).count()
    settings.XERO = {**settings.XERO, "REQUESTS_PER_MINUTE": counted + 1}
    connector = XeroConnector(books.connection)
    xero_sandbox.clear_request_log()

    outcomes = connector.export_batch(
        invoices, idempotency_keys=[f"invoice-{invoice.pk}-1" for invoice in invoices]
    )

    assert [type(outcome) for outcome in outcomes] == [rate_limits.BudgetExhausted] * 2
    assert all(0 < outcome.retry_after <= 60 for outcome in outcomes)
    assert xero_sandbox.request_log() == []
    assert live_bills(books) == []


def test_two_invoices_of_one_number_in_a_batch_make_one_bill_the_second_looked_up_after(books):
    first = new_invoice(books, number="INV-400")
    second = new_invoice(books, number="INV-400")
    for invoice in (first, second):
        invoice.lines.update(work_completed=1000, retainage_withheld=0)

    created, refused = XeroConnector(books.connection).export_batch(
        [first, second], idempotency_keys=[f"invoice-{first.pk}-1", f"invoice-{second.pk}-1"]
    )

    (bill,) = live_bills(books)
    assert created.erp_id == bill["InvoiceID"]
    # Even with the same lines: that bill is the first invoice's, never both.
    assert isinstance(refused, ExportRefused)
    assert "already has a bill INV-400" in refused.message


def test_a_lost_batch_answer_after_xero_stored_some_ends_in_one_bill_per_invoice(
    books, xero_sandbox
):
    invoices = [new_invoice(books, number=f"INV-50{n}") for n in range(6)]
    for n, invoice in enumerate(invoices):
        # Each of its own amount, all six within the lines' balances.
        invoice.lines.update(work_completed=1000 + n, retainage_withheld=100)
    for invoice in invoices:
        record_send(record=invoice, actor=books.pm)
    outcomes = records_accept_bulk(records=invoices, actor=books.approver)
    assert all(outcome.ok for outcome in outcomes)
    # Xero stored two of the six, then the connection broke before any answer came.
    xero_sandbox.inject_fault("drop_after_commit", resource="invoices", method="PUT", elements=2)

    run_queued_exports()

    bills = live_bills(books)
    assert sorted(bill["InvoiceNumber"] for bill in bills) == [i.number for i in invoices]
    by_number = {bill["InvoiceNumber"]: bill for bill in bills}
    for invoice in map(fresh_record, invoices):
        assert invoice.sync_status == SyncStatus.SYNCED
        assert invoice.erp_id == by_number[invoice.number]["InvoiceID"]
        assert by_number[invoice.number]["SubTotal"] == invoice.totals().net


def commitments_of(books, count: int) -> list[Commitment]:
    commitments = [
        new_commitment(books.project, books.vendor, books.cost_codes, number=f"SC-60{n}")
        for n in range(count)
    ]
    Commitment.objects.filter(pk__in=[c.pk for c in commitments]).update(currency="AUD")
    return [fresh_record(commitment) for commitment in commitments]


def live_orders(books) -> list[dict]:
    return [o for o in books.records("PurchaseOrder") if o["Status"] != "DELETED"]


def test_a_lost_batch_answer_for_purchase_orders_ends_in_one_order_per_commitment(
    books, xero_sandbox
):
    commitments = commitments_of(books, 6)
    # Posted last year, exported today: its order is dated far outside today's.
    Commitment.objects.filter(pk=commitments[0].pk).update(posting_date=date(2025, 6, 30))
    for commitment in commitments:
        record_send(record=commitment, actor=books.pm)
    outcomes = records_accept_bulk(records=commitments, actor=books.approver)
    assert all(outcome.ok for outcome in outcomes)
    # Xero stored two of the six (the one posted last year first), then the answer was lost.
    xero_sandbox.inject_fault(
        "drop_after_commit", resource="purchaseorders", method="PUT", elements=2
    )
    xero_sandbox.clear_request_log()

    run_queued_exports()

    orders = [o for o in live_orders(books) if o["PurchaseOrderNumber"].startswith("SC-60")]
    assert sorted(o["PurchaseOrderNumber"] for o in orders) == [c.number for c in commitments]
    by_number = {order["PurchaseOrderNumber"]: order for order in orders}
    for commitment in map(fresh_record, commitments):
        assert commitment.sync_status == SyncStatus.SYNCED, commitment.last_export_error
        assert commitment.erp_id == by_number[commitment.number]["PurchaseOrderID"]
    assert by_number["SC-600"]["DateString"].startswith("2025-06-30")
    assert len(calls(xero_sandbox, "PUT", "PurchaseOrders")) == 2


def test_an_order_a_lost_answer_left_days_ago_is_found_by_a_later_batch(books, xero_sandbox):
    earlier, fresh = commitments_of(books, 2)
    # Accepted four days ago; its first try's order, sent without a date, was dated by Xero
    # the day after, and its answer was lost.
    four_days_ago = timezone.now() - timedelta(days=4)
    Commitment.objects.filter(pk=earlier.pk).update(decided_at=four_days_ago)
    connector = XeroConnector(books.connection)
    stored_then = {
        **mapping.purchase_order_payload(earlier, connector.books),
        "Date": (timezone.localdate() - timedelta(days=3)).isoformat(),
    }
    with XeroClient(books.connection) as client:
        stored = client.create(
            "PurchaseOrders", {"PurchaseOrders": [stored_then]}, idempotency_key="days-ago"
        )["PurchaseOrders"][0]
    xero_sandbox.clear_request_log()

    found, created = XeroConnector(books.connection).export_batch(
        [fresh_record(earlier), fresh],
        idempotency_keys=[f"commitment-{earlier.pk}-2", f"commitment-{fresh.pk}-1"],
    )

    assert (found.erp_id, found.linked_existing) == (stored["PurchaseOrderID"], True)
    assert not created.linked_existing
    numbers = sorted(o["PurchaseOrderNumber"] for o in live_orders(books))
    assert numbers == sorted(["SC-1001-004", "SC-600", "SC-601"])
    # One read of the days the two orders can carry, one create.
    assert len(calls(xero_sandbox, "GET", "PurchaseOrders")) == 1
    assert len(calls(xero_sandbox, "PUT", "PurchaseOrders")) == 1


def invoices_billing(books, numbers: list[str]):
    invoices = [new_invoice(books, number=number) for number in numbers]
    for n, invoice in enumerate(invoices):
        invoice.lines.update(work_completed=100 + n, retainage_withheld=0)
    return [fresh_record(invoice) for invoice in invoices]


def batch_of(books, invoices) -> list:
    return XeroConnector(books.connection).export_batch(
        invoices, idempotency_keys=[f"invoice-{invoice.pk}-1" for invoice in invoices]
    )


def test_an_item_deleted_in_xero_since_this_worker_read_the_items_fails_with_a_sentence(books):
    # A first batch: this worker has read the items (and keeps them five minutes).
    batch_of(books, invoices_billing(books, ["INV-700"]))
    painting = books.cost_codes["Painting"]
    SomeoneInXero(books.connection).delete_item(painting.erp_id)
    later = invoices_billing(books, ["INV-701", "INV-702"])

    refused = batch_of(books, later)

    assert [bill["InvoiceNumber"] for bill in live_bills(books)] == ["INV-700"]
    for error in refused:
        assert isinstance(error, ExportRefused)
        assert error.message == (
            "Xero refused it: Item code '09-200' is not valid. In Xero, the item of cost code "
            f"'{painting}' no longer exists. Import the cost codes again (or link each cost "
            "code to another item), then export again."
        )
    # The worker read the items again: its next batch is refused before anything is sent.
    (again,) = batch_of(books, [fresh_record(later[0])])
    assert "is linked to a Xero item (id" in again.message
    assert "that Xero no longer holds" in again.message


def test_an_items_code_given_to_another_item_since_the_last_read_never_bills_that_item(books):
    batch_of(books, invoices_billing(books, ["INV-710"]))
    painting = books.cost_codes["Painting"]
    someone = SomeoneInXero(books.connection)
    someone.change_item(painting.erp_id, Code="09-200-OLD")
    other = someone.item("09-200", "Hoarding hire")
    (invoice,) = invoices_billing(books, ["INV-711"])

    (error,) = batch_of(books, [invoice])

    assert error.code == "wrong_item"
    assert error.message.startswith(
        "Xero stored bill INV-711 with item 'Hoarding hire' (coded '09-200') where cost code "
        f"'{painting}' is linked to another item: the items were changed in Xero since we last "
        "read them. Delete bill INV-711 in Xero"
    )
    (stored,) = [b for b in live_bills(books) if b["InvoiceNumber"] == "INV-711"]
    assert other in {line["Item"]["ItemID"] for line in stored["LineItems"] if "Item" in line}
    # A retry never links the bill that books the other item.
    with pytest.raises(ExportRefused, match="coded '09-200-OLD', not '09-200'"):
        XeroConnector(books.connection).export(invoice, idempotency_key="retry")
    assert XeroConnector(books.connection).find_exported(invoice, None) is None


def test_contacts_of_a_batch_are_looked_up_by_name_in_one_call(books, xero_sandbox):
    companies = [
        Company.objects.create(name=name, email=f"ap@{name.split()[0].lower()}.example")
        for name in ("Birch Electric", 'Cedar "Quoted" Plumbing', "Elm <script> Paving")
    ]
    with XeroClient(books.connection) as client:
        made = client.create(
            "Contacts",
            {"Contacts": [mapping.contact_payload(companies[0])]},
            idempotency_key="by-hand-birch",
        )["Contacts"][0]
    xero_sandbox.clear_request_log()

    linked, *created = XeroConnector(books.connection).export_batch(
        companies, idempotency_keys=[f"company-{c.pk}-1" for c in companies]
    )

    assert (linked.erp_id, linked.linked_existing) == (made["ContactID"], True)
    names = {c["ContactID"]: c["Name"] for c in books.records("Contact")}
    assert [names[result.erp_id] for result in created] == [c.name for c in companies[1:]]
    assert len(calls(xero_sandbox, "GET", "Contacts")) == 1
    assert len(calls(xero_sandbox, "PUT", "Contacts")) == 1


def test_a_cost_code_linked_to_an_item_made_after_the_worker_last_read_the_items_goes_out(
    books,
):
    connector = XeroConnector(books.connection)
    # The worker reads Xero's items with a batch, and keeps that read for its next ones.
    first = [new_invoice(books, number=f"INV-70{n}") for n in range(2)]
    connector.export_batch(first, idempotency_keys=[f"invoice-{i.pk}-1" for i in first])
    # Then the bookkeeper makes an item in Xero, and a cost code here is linked to it.
    with XeroClient(books.connection) as client:
        item = client.create(
            "Items",
            {
                "Items": [
                    mapping.cost_code_item_payload(
                        code="09-900", name="Waterproofing", account_code="320"
                    )
                ]
            },
            idempotency_key="waterproofing-item",
        )["Items"][0]
    waterproofing = CostCode.objects.create(
        code="09-900", name="Waterproofing", erp_id=item["ItemID"], erp_connection=books.connection
    )
    orders = [
        new_commitment(
            books.project,
            books.vendor,
            {**books.cost_codes, "Painting": waterproofing},
            number=f"SC-70{n}",
        )
        for n in range(2)
    ]
    Commitment.objects.filter(pk__in=[order.pk for order in orders]).update(currency="AUD")

    outcomes = XeroConnector(books.connection).export_batch(
        [fresh_record(order) for order in orders],
        idempotency_keys=[f"commitment-{order.pk}-1" for order in orders],
    )

    assert [type(outcome) for outcome in outcomes] == [ExportResult] * 2, outcomes
    created = {o["PurchaseOrderNumber"]: o for o in live_orders(books)}
    for order in orders:
        codes = [line["ItemCode"] for line in created[order.number]["LineItems"]]
        assert "09-900" in codes


def test_an_export_alone_after_an_item_was_recoded_never_bills_the_other_item(books):
    (first,) = invoices_billing(books, ["INV-720"])
    XeroConnector(books.connection).export(first, idempotency_key="first")  # items read
    # The bookkeeper moves the painting item's code to another item in Xero.
    painting = books.cost_codes["Painting"]
    someone = SomeoneInXero(books.connection)
    someone.change_item(painting.erp_id, Code="09-200-OLD")
    someone.item("09-200", "Hoarding hire")
    (invoice,) = invoices_billing(books, ["INV-721"])

    with pytest.raises(ExportRefused) as refused:
        XeroConnector(books.connection).export(invoice, idempotency_key="single")

    assert "is linked to the Xero item coded '09-200-OLD'" in refused.value.message
    assert [b for b in live_bills(books) if b["InvoiceNumber"] == "INV-721"] == []
