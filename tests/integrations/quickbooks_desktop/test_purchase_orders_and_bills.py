"""Commitments, change orders and subcontractor invoices through the outbox, over real sockets:
each waits for the Web Connector, the local QuickBooks Desktop carries it out when it runs, and
its answer settles the record once — a lost answer becomes a link, never a second document."""

from datetime import date
from decimal import Decimal

import pytest

from approvals.models import AuditEvent, CostCode, InvoiceStatus, SubcontractorInvoice
from approvals.services import PreconditionsNotMet, record_accept, record_send
from approvals.services.importing import imports_cost_codes
from approvals.states import Action, SyncStatus
from integrations.quickbooks_desktop import purchases
from integrations.quickbooks_desktop.connector import QuickBooksDesktopConnector
from integrations.quickbooks_desktop.models import Exchange, QueuedRequest
from tests.approvals.admin.helpers import run_queued_exports
from tests.factories import make_company, make_cost_code, make_project, make_user
from tests.integrations.quickbooks_desktop import quickbooks as qb
from tests.integrations.quickbooks_desktop.conftest import ENDPOINT, PASSWORD, make_desktop
from tests.integrations.quickbooks_desktop.web_connector import WebConnector, soap_client
from tests.records import ITEMS, new_change_order, new_commitment, new_invoice, people

pytestmark = pytest.mark.django_db(transaction=True)

USERNAME = "riverside-qbwc"
ITEM_NAMES = {
    "Gypsum board": "09-2900 Gypsum board",
    "Painting": "09-9100 Painting",
    "Electrical": "16-100 Electrical",
}


@pytest.fixture
def quickbooks(qbd_sandbox, live_server):
    qbd_sandbox.settings(
        app_url=f"{live_server.url}{ENDPOINT}", username=USERNAME, password=PASSWORD
    )
    return qbd_sandbox


class Books:
    """Riverside Builders with its vendor, job and items in QuickBooks, read by the Web
    Connector's first run, and the records here linked to them."""

    def __init__(self, quickbooks, *, retainage_item: bool = False):
        acme = quickbooks.seed("Customer", Name="Acme Development")
        self.job = quickbooks.seed(
            "Customer", Name="P-200 Riverside Tower", ParentRef={"ListID": acme["ListID"]}
        )
        self.vendor = quickbooks.seed("Vendor", Name="Bolt Electric")
        for name in ITEM_NAMES.values():
            quickbooks.seed(
                "ItemService",
                Name=name,
                SalesOrPurchase={"Desc": name, "AccountRef": {"FullName": "Subcontractors"}},
            )
        if retainage_item:
            quickbooks.seed(
                "ItemOtherCharge",
                Name="Retainage",
                SalesOrPurchase={"AccountRef": {"FullName": "Retainage Payable"}},
            )
        self.desktop = make_desktop(username=USERNAME)
        assert quickbooks.run()["outcome"] == "ok"
        self.pm, self.approver = people()
        self.project = make_project(
            number="P-200", name="Riverside Tower", members=[self.pm], synced=True
        )
        type(self.project).objects.filter(pk=self.project.pk).update(erp_id=self.job["ListID"])
        company = make_company(name="Bolt Electric", synced=True)
        type(company).objects.filter(pk=company.pk).update(erp_id=self.vendor["ListID"])
        self.project.refresh_from_db()
        company.refresh_from_db()
        self.company = company
        self.cost_codes = {
            name: CostCode.objects.get(code=item.split()[0]) for name, item in ITEM_NAMES.items()
        }
        self.commitment = None

    def new_commitment(self, number: str = "SC-2001-007"):
        self.commitment = new_commitment(self.project, self.company, self.cost_codes, number=number)
        return self.commitment


@pytest.fixture
def books(quickbooks):
    return Books(quickbooks)


def fresh(record):
    record.refresh_from_db()
    return record


def handed_off(books, record):
    record_send(record=record, actor=books.pm)
    record_accept(record=record, actor=books.approver)
    assert run_queued_exports() == ["handed off"]
    record = fresh(record)
    assert record.sync_status == SyncStatus.AWAITING_ERP
    return record


def synced_commitment(books, quickbooks):
    commitment = handed_off(books, books.new_commitment())
    assert quickbooks.run()["outcome"] == "ok"
    commitment = fresh(commitment)
    assert commitment.sync_status == SyncStatus.SYNCED
    return commitment


def sent_operations(record) -> list[str]:
    """The qbXML requests sent for `record`, with QuickBooks' status for each."""
    requests = QueuedRequest.objects.filter(
        record_id=record.pk, model_label=record._meta.label_lower
    )
    return [
        f"{exchange.request_xml.split('<QBXMLMsgsRq', 1)[1].split('<', 2)[1].split()[0]}"
        f":{exchange.status_code}"
        for exchange in Exchange.objects.filter(request__in=requests).order_by("pk")
    ]


def amounts(lines) -> list[str]:
    return [line["Amount"] for line in lines]


# Purchase orders ---------------------------------------------------------------------------


def test_a_commitment_becomes_one_purchase_order_job_costed_line_by_line(books, quickbooks):
    commitment = handed_off(books, books.new_commitment())
    assert quickbooks.records("PurchaseOrder") == []

    assert quickbooks.run()["outcome"] == "ok"

    commitment = fresh(commitment)
    (order,) = quickbooks.records("PurchaseOrder")
    assert commitment.sync_status == SyncStatus.SYNCED
    assert (commitment.erp_id, commitment.erp_doc_number) == (order["TxnID"], "SC-2001-007")
    assert order["VendorRef"]["ListID"] == books.vendor["ListID"]
    assert order["RefNumber"] == "SC-2001-007"
    assert order["ExternalGUID"].startswith("{")
    assert order["Memo"].startswith("Subcontract SC-2001-007: Framing and drywall")
    lines = order["PurchaseOrderLineRet"]
    assert amounts(lines) == ["48250.00", "23587.50"]
    assert [line["ItemRef"]["FullName"] for line in lines] == [
        "09-2900 Gypsum board",
        "09-9100 Painting",
    ]
    assert {line["CustomerRef"]["FullName"] for line in lines} == {
        "Acme Development:P-200 Riverside Tower"
    }
    assert (lines[1]["Quantity"], lines[1]["Rate"]) == ("1850", "12.75")
    assert [line.erp_line_id for line in commitment.lines.order_by("position")] == [
        line["TxnLineID"] for line in lines
    ]
    assert order["TotalAmount"] == "71837.50"
    assert sent_operations(commitment) == ["PurchaseOrderAddRq:0"]


def test_a_commitment_number_longer_than_quickbooks_holds_is_refused_never_cut(books):
    commitment = books.new_commitment(number="SC-2001-007-B")

    with pytest.raises(PreconditionsNotMet, match="at most 11") as refused:
        record_send(record=commitment, actor=books.pm)

    assert "'SC-2001-007-B' has 13 characters" in str(refused.value)
    assert fresh(commitment).sync_status == SyncStatus.NOT_SENT
    assert not QueuedRequest.objects.filter(record_id=commitment.pk).exists()


def test_a_lost_answer_of_a_purchase_order_becomes_a_link_never_a_second_order(
    books, quickbooks, settings
):
    commitment = handed_off(books, books.new_commitment())
    quickbooks.fault("lost_answer", after=1)

    assert quickbooks.run()["outcome"] == "lost"
    assert fresh(commitment).sync_status == SyncStatus.AWAITING_ERP
    assert len(quickbooks.records("PurchaseOrder")) == 1  # QuickBooks added it
    settings.QBWC_BUSY_SECONDS = 0  # the lost run has been silent long enough

    assert quickbooks.run()["outcome"] == "ok"

    commitment = fresh(commitment)
    (order,) = quickbooks.records("PurchaseOrder")
    assert (commitment.sync_status, commitment.erp_id) == (SyncStatus.SYNCED, order["TxnID"])
    assert commitment.lines.filter(erp_line_id="").count() == 0
    assert sent_operations(commitment) == ["PurchaseOrderAddRq:None", "PurchaseOrderQueryRq:0"]


def test_after_a_lost_answer_an_order_of_that_number_entered_by_hand_is_never_doubled(
    books, quickbooks, settings
):
    commitment = handed_off(books, books.new_commitment())
    quickbooks.fault("lost_answer", after=1)
    assert quickbooks.run()["outcome"] == "lost"
    # QuickBooks had not kept it after all; a bookkeeper typed the order in by hand meanwhile.
    quickbooks.delete(quickbooks.records("PurchaseOrder")[0]["TxnID"])
    quickbooks.seed(
        "PurchaseOrder",
        VendorRef={"ListID": books.vendor["ListID"]},
        RefNumber="SC-2001-007",
        PurchaseOrderLineAdd={"Desc": "Framing", "Amount": "71837.50"},
    )
    settings.QBWC_BUSY_SECONDS = 0

    assert quickbooks.run()["outcome"] == "ok"

    commitment = fresh(commitment)
    assert commitment.sync_status == SyncStatus.EXPORT_FAILED
    assert "already has a purchase order numbered SC-2001-007 for this vendor" in (
        commitment.last_export_error
    )
    assert len(quickbooks.records("PurchaseOrder")) == 1


def test_an_item_deleted_in_quickbooks_fails_the_order_with_a_sentence(books, quickbooks):
    commitment = handed_off(books, books.new_commitment())
    quickbooks.delete(books.cost_codes["Painting"].erp_id)

    assert quickbooks.run()["outcome"] == "ok"

    commitment = fresh(commitment)
    assert commitment.sync_status == SyncStatus.EXPORT_FAILED
    assert commitment.last_export_error.startswith(
        "The purchase order refers to the item of cost code '09-9100 Painting', which "
        "QuickBooks Desktop does not hold as it was imported"
    )
    assert "(QuickBooks status 3140: " in commitment.last_export_error
    assert quickbooks.records("PurchaseOrder") == []


def test_a_vendor_deleted_in_quickbooks_is_named_in_the_failure(books, quickbooks):
    commitment = handed_off(books, books.new_commitment())
    quickbooks.delete(books.vendor["ListID"])

    assert quickbooks.run()["outcome"] == "ok"

    commitment = fresh(commitment)
    assert commitment.sync_status == SyncStatus.EXPORT_FAILED
    assert commitment.last_export_error.startswith(
        "The purchase order refers to vendor 'Bolt Electric', which QuickBooks Desktop"
    )


# Bills ---------------------------------------------------------------------------------------


def test_an_invoice_becomes_a_bill_linked_line_by_line_with_retainage_held_back(books, quickbooks):
    synced_commitment(books, quickbooks)
    invoice = handed_off(books, new_invoice(books))

    assert quickbooks.run()["outcome"] == "ok"

    invoice = fresh(invoice)
    (bill,) = quickbooks.records("Bill")
    (order,) = quickbooks.records("PurchaseOrder")
    assert (invoice.sync_status, invoice.erp_id) == (SyncStatus.SYNCED, bill["TxnID"])
    lines = bill["ItemLineRet"]
    assert amounts(lines) == ["12062.50", "3187.45", "-1525.00"]
    assert [line["ItemRef"]["FullName"] for line in lines] == [
        "09-2900 Gypsum board",
        "09-9100 Painting",
        "Retainage",
    ]
    assert [line.get("CustomerRef", {}).get("FullName") for line in lines] == [
        "Acme Development:P-200 Riverside Tower",
        "Acme Development:P-200 Riverside Tower",
        None,  # retainage is owed to the subcontractor, not a cost of the job
    ]
    assert bill["AmountDue"] == "13724.95" == str(invoice.totals().net)
    assert [link["TxnID"] for link in bill["LinkedTxn"]] == [order["TxnID"]]
    assert all(line["IsBilled"] == "true" for line in order["PurchaseOrderLineRet"])
    (retainage,) = [item for item in quickbooks.records("ItemOtherCharge")]
    assert retainage["Name"] == "Retainage"
    assert retainage["SalesOrPurchase"]["AccountRef"]["FullName"] == "Retainage Payable"
    assert sent_operations(invoice) == ["ItemQueryRq:500", "ItemOtherChargeAddRq:0", "BillAddRq:0"]
    assert "LinkToTxnID" not in Exchange.objects.order_by("pk").last().request_xml


def test_a_retainage_release_becomes_a_bill_paying_the_retainage_back(quickbooks):
    books = Books(quickbooks, retainage_item=True)
    synced_commitment(books, quickbooks)
    withheld = handed_off(books, new_invoice(books))
    assert quickbooks.run()["outcome"] == "ok"
    assert fresh(withheld).sync_status == SyncStatus.SYNCED
    release = SubcontractorInvoice.objects.create(
        commitment=books.commitment,
        number="INV-2001-R",
        billing_date=date(2026, 9, 30),
        period_start=date(2026, 9, 1),
        period_end=date(2026, 9, 30),
        status=InvoiceStatus.APPROVED,
        is_retainage_release=True,
        retainage_released=Decimal("1525.00"),
    )
    release = handed_off(books, release)

    assert quickbooks.run()["outcome"] == "ok"

    release = fresh(release)
    bill = next(b for b in quickbooks.records("Bill") if b["RefNumber"] == "INV-2001-R")
    assert (release.sync_status, release.erp_id) == (SyncStatus.SYNCED, bill["TxnID"])
    (line,) = bill["ItemLineRet"]
    assert (line["ItemRef"]["FullName"], line["Amount"]) == ("Retainage", "1525.00")
    assert line["Desc"] == "Retainage released on SC-2001-007 Framing and drywall"
    assert bill["AmountDue"] == "1525.00"


def test_a_retainage_item_quickbooks_will_not_add_fails_the_bill_with_a_sentence(books, quickbooks):
    type(books.desktop).objects.filter(pk=books.desktop.pk).update(
        retainage_account="Retainage Held"
    )
    synced_commitment(books, quickbooks)
    invoice = handed_off(books, new_invoice(books))

    assert quickbooks.run()["outcome"] == "ok"

    invoice = fresh(invoice)
    assert invoice.sync_status == SyncStatus.EXPORT_FAILED
    assert "QuickBooks would not add that item on the account 'Retainage Held'" in (
        invoice.last_export_error
    )
    assert "(QuickBooks status 3140: " in invoice.last_export_error
    assert quickbooks.records("Bill") == []
    assert sent_operations(invoice) == ["ItemQueryRq:500", "ItemOtherChargeAddRq:3140"]


def test_a_retainage_item_quickbooks_holds_is_used_as_it_is(quickbooks):
    books = Books(quickbooks, retainage_item=True)
    synced_commitment(books, quickbooks)
    invoice = handed_off(books, new_invoice(books))

    assert quickbooks.run()["outcome"] == "ok"

    assert fresh(invoice).sync_status == SyncStatus.SYNCED
    assert len(quickbooks.records("ItemOtherCharge")) == 1
    assert sent_operations(invoice) == ["BillAddRq:0"]


def test_a_lost_answer_of_a_bill_becomes_a_link_never_a_second_bill(quickbooks, settings):
    books = Books(quickbooks, retainage_item=True)
    synced_commitment(books, quickbooks)
    invoice = handed_off(books, new_invoice(books))
    quickbooks.fault("lost_answer", after=1)
    assert quickbooks.run()["outcome"] == "lost"
    settings.QBWC_BUSY_SECONDS = 0

    assert quickbooks.run()["outcome"] == "ok"

    (bill,) = quickbooks.records("Bill")
    invoice = fresh(invoice)
    assert (invoice.sync_status, invoice.erp_id) == (SyncStatus.SYNCED, bill["TxnID"])
    assert sent_operations(invoice) == ["BillAddRq:None", "BillQueryRq:0"]


def test_a_bill_linked_to_a_closed_order_syncs_and_the_warning_is_shown(quickbooks):
    books = Books(quickbooks, retainage_item=True)
    synced_commitment(books, quickbooks)
    (order,) = quickbooks.records("PurchaseOrder")
    closed = quickbooks.qbxml(
        '<?xml version="1.0"?><?qbxml version="12.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
        f"<PurchaseOrderModRq><PurchaseOrderMod><TxnID>{order['TxnID']}</TxnID>"
        f"<EditSequence>{order['EditSequence']}</EditSequence>"
        "<IsManuallyClosed>true</IsManuallyClosed></PurchaseOrderMod></PurchaseOrderModRq>"
        "</QBXMLMsgsRq></QBXML>"
    )
    assert 'statusCode="0"' in closed["response"]
    invoice = handed_off(books, new_invoice(books))

    assert quickbooks.run()["outcome"] == "ok"

    invoice = fresh(invoice)
    assert invoice.sync_status == SyncStatus.SYNCED
    assert invoice.erp_problem.startswith(
        "The bill was linked to a purchase order that is closed in QuickBooks Desktop."
    )
    assert "(QuickBooks status 570: " in invoice.erp_problem
    assert len(quickbooks.records("Bill")) == 1


def test_an_invoice_number_longer_than_a_bill_holds_is_refused(books, quickbooks):
    synced_commitment(books, quickbooks)
    invoice = new_invoice(books, number="PAY-APP-2026-05-LOBBY")

    with pytest.raises(PreconditionsNotMet, match="at most 20"):
        record_send(record=invoice, actor=books.pm)

    assert not QueuedRequest.objects.filter(record_id=invoice.pk, model_label__endswith="invoice")


# Change orders -------------------------------------------------------------------------------


def test_a_change_order_appends_its_lines_keeping_every_line_the_order_has(books, quickbooks):
    commitment = synced_commitment(books, quickbooks)
    change_order = new_change_order(books)
    first_line = commitment.lines.get(position=1)
    change_order.lines.create(
        commitment_line=first_line,
        cost_code=first_line.cost_code,
        description="Thicker board",
        amount=Decimal("500.00"),
    )
    change_order.lines.create(
        commitment_line=first_line,
        cost_code=first_line.cost_code,
        description="Less framing",
        amount=Decimal("-120.00"),
    )
    change_order = handed_off(books, change_order)

    assert quickbooks.run()["outcome"] == "ok"

    change_order = fresh(change_order)
    (order,) = quickbooks.records("PurchaseOrder")
    assert (change_order.sync_status, change_order.erp_id) == (SyncStatus.SYNCED, order["TxnID"])
    lines = order["PurchaseOrderLineRet"]
    assert [line["TxnLineID"] for line in lines[:2]] == [
        line.erp_line_id for line in commitment.lines.order_by("position")
    ]
    # The two changes to line 1 are one line, as the approver read it.
    assert amounts(lines) == ["48250.00", "23587.50", "8425.00", "1310.55", "380.00"]
    assert [line["Desc"] for line in lines[2:]] == [
        "CCO 007: Lobby soffits",
        "CCO 007: Soffit lighting rough-in",
        "CCO 007: change to line 1, Thicker board",
    ]
    assert order["TotalAmount"] == "81953.05"
    assert set(change_order.lines.values_list("erp_line_id", flat=True)) == {
        line["TxnLineID"] for line in lines[2:]
    }
    assert sent_operations(change_order) == ["PurchaseOrderQueryRq:0", "PurchaseOrderModRq:0"]
    assert fresh(commitment).erp_version == order["EditSequence"]


def edit_order_memo(quickbooks, memo: str) -> None:
    """A bookkeeper changes the purchase order in QuickBooks (its EditSequence changes)."""
    (order,) = quickbooks.records("PurchaseOrder")
    changed = quickbooks.qbxml(
        '<?xml version="1.0"?><?qbxml version="12.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
        f"<PurchaseOrderModRq><PurchaseOrderMod><TxnID>{order['TxnID']}</TxnID>"
        f"<EditSequence>{order['EditSequence']}</EditSequence><Memo>{memo}</Memo>"
        "</PurchaseOrderMod></PurchaseOrderModRq></QBXMLMsgsRq></QBXML>"
    )
    assert 'statusCode="0"' in changed["response"]


def test_a_purchase_order_changed_in_between_is_read_again_and_the_change_reapplied_once(
    books, quickbooks, settings
):
    synced_commitment(books, quickbooks)
    change_order = handed_off(books, new_change_order(books))
    quickbooks.fault("interrupt", after=1)  # the run stops once the order was read
    assert quickbooks.run()["outcome"] == "interrupted"
    edit_order_memo(quickbooks, "Checked by Dana")
    settings.QBWC_BUSY_SECONDS = 0

    assert quickbooks.run()["outcome"] == "ok"

    change_order = fresh(change_order)
    (order,) = quickbooks.records("PurchaseOrder")
    assert change_order.sync_status == SyncStatus.SYNCED
    assert order["Memo"] == "Checked by Dana"
    assert amounts(order["PurchaseOrderLineRet"]) == [
        "48250.00",
        "23587.50",
        "8425.00",
        "1310.55",
    ]
    assert sent_operations(change_order) == [
        "PurchaseOrderQueryRq:0",
        "PurchaseOrderModRq:3200",
        "PurchaseOrderQueryRq:0",
        "PurchaseOrderModRq:0",
    ]


def test_a_purchase_order_changed_again_after_the_re_read_fails_with_a_sentence(
    books, quickbooks, settings
):
    synced_commitment(books, quickbooks)
    change_order = handed_off(books, new_change_order(books))
    settings.QBWC_BUSY_SECONDS = 0
    quickbooks.fault("interrupt", after=1)
    assert quickbooks.run()["outcome"] == "interrupted"
    edit_order_memo(quickbooks, "Checked by Dana")
    quickbooks.fault("interrupt", after=2)  # stale, read again, and stopped before the change
    assert quickbooks.run()["outcome"] == "interrupted"
    edit_order_memo(quickbooks, "Checked again by Lee")

    assert quickbooks.run()["outcome"] == "ok"

    change_order = fresh(change_order)
    assert change_order.sync_status == SyncStatus.EXPORT_FAILED
    assert change_order.last_export_error.startswith(
        "Someone kept changing the purchase order in QuickBooks Desktop"
    )
    assert "(QuickBooks status 3200: " in change_order.last_export_error
    assert len(quickbooks.records("PurchaseOrder")[0]["PurchaseOrderLineRet"]) == 2


def test_a_lost_answer_of_a_change_order_finds_its_lines_and_links(books, quickbooks, settings):
    synced_commitment(books, quickbooks)
    change_order = handed_off(books, new_change_order(books))
    quickbooks.fault("lost_answer", after=2)
    assert quickbooks.run()["outcome"] == "lost"
    settings.QBWC_BUSY_SECONDS = 0

    assert quickbooks.run()["outcome"] == "ok"

    change_order = fresh(change_order)
    (order,) = quickbooks.records("PurchaseOrder")
    assert change_order.sync_status == SyncStatus.SYNCED
    assert len(order["PurchaseOrderLineRet"]) == 4
    assert sent_operations(change_order) == [
        "PurchaseOrderQueryRq:0",
        "PurchaseOrderModRq:None",
        "PurchaseOrderQueryRq:0",
    ]


def test_lines_of_the_change_order_already_on_the_order_with_other_amounts_are_never_linked(
    books, quickbooks
):
    """Lines marked with the change order's number already stand on the purchase order (an
    earlier export of it, or typed by hand) but not for the approved amounts: the export
    fails with a sentence and the order is left as it was, neither linked nor added to."""
    synced_commitment(books, quickbooks)
    change_order = handed_off(books, new_change_order(books))
    (order,) = quickbooks.records("PurchaseOrder")
    kept = "".join(
        f"<PurchaseOrderLineMod><TxnLineID>{line['TxnLineID']}</TxnLineID></PurchaseOrderLineMod>"
        for line in order["PurchaseOrderLineRet"]
    )
    typed = quickbooks.qbxml(
        '<?xml version="1.0"?><?qbxml version="12.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
        f"<PurchaseOrderModRq><PurchaseOrderMod><TxnID>{order['TxnID']}</TxnID>"
        f"<EditSequence>{order['EditSequence']}</EditSequence>{kept}"
        "<PurchaseOrderLineMod><TxnLineID>-1</TxnLineID>"
        f"<ItemRef><ListID>{books.cost_codes['Gypsum board'].erp_id}</ListID></ItemRef>"
        "<Desc>CCO 007: Lobby soffits</Desc><Amount>9999.00</Amount></PurchaseOrderLineMod>"
        "</PurchaseOrderMod></PurchaseOrderModRq></QBXMLMsgsRq></QBXML>"
    )
    assert 'statusCode="0"' in typed["response"]

    assert quickbooks.run()["outcome"] == "ok"

    change_order = fresh(change_order)
    assert change_order.sync_status == SyncStatus.EXPORT_FAILED
    assert change_order.last_export_error.startswith(
        "Purchase order SC-2001-007 in QuickBooks Desktop already has lines of change order 007 "
        "totalling 9,999.00, not the 9,735.55 approved"
    )
    (order,) = quickbooks.records("PurchaseOrder")
    assert amounts(order["PurchaseOrderLineRet"]) == ["48250.00", "23587.50", "9999.00"]
    assert sent_operations(change_order) == ["PurchaseOrderQueryRq:0"]


def test_what_an_accept_approves_is_what_is_sent(books):
    commitment = books.new_commitment()
    connector = QuickBooksDesktopConnector(books.desktop.connection)

    approved = connector.approved_document(commitment)
    described = connector.describe(commitment)

    assert purchases.lines_total(approved.document) == described.total == Decimal("71837.50")
    assert approved.identity == {
        "VendorRef": {"ListID": books.vendor["ListID"]},
        "RefNumber": "SC-2001-007",
    }
    assert [line.cost_code for line in described.lines] == [
        str(books.cost_codes[name]) for name in ITEMS[:2]
    ]
    assert {line.job.erp_id for line in described.lines} == {books.job["ListID"]}


# Cost codes ----------------------------------------------------------------------------------


def export_cost_code(books, cost_code, account_name: str = "Subcontractors"):
    account = books.desktop.accounts.get(full_name=account_name)
    return imports_cost_codes.cost_code_export(
        cost_code=cost_code,
        actor=make_user(role="administrator"),
        connection=books.desktop.connection,
        expense_account_id=account.list_id,
    )


def test_a_cost_code_becomes_a_service_item_on_the_expense_account_chosen(books, quickbooks):
    ceilings = make_cost_code(code="09-5100", name="Acoustic ceilings", standard=False)

    export_cost_code(books, ceilings)
    assert fresh(ceilings).erp_id == ""  # it waits for the Web Connector

    assert quickbooks.run()["outcome"] == "ok"

    (item,) = [
        i for i in quickbooks.records("ItemService") if i["Name"] == "09-5100 Acoustic ceilings"
    ]
    assert item["SalesAndPurchase"]["ExpenseAccountRef"]["FullName"] == "Subcontractors"
    ceilings = fresh(ceilings)
    assert (ceilings.erp_id, ceilings.code, ceilings.name) == (
        item["ListID"],
        "09-5100",
        "Acoustic ceilings",
    )
    assert CostCode.objects.filter(code="09-5100").count() == 1


def test_a_lost_answer_of_a_cost_code_item_links_the_item_never_adds_a_second(
    books, quickbooks, settings
):
    ceilings = make_cost_code(code="09-5100", name="Acoustic ceilings", standard=False)
    export_cost_code(books, ceilings)
    quickbooks.fault("lost_answer", after=1)
    assert quickbooks.run()["outcome"] == "lost"
    settings.QBWC_BUSY_SECONDS = 0

    assert quickbooks.run()["outcome"] == "ok"

    items = [i for i in quickbooks.records("ItemService") if i["Name"].startswith("09-5100")]
    assert len(items) == 1
    assert fresh(ceilings).erp_id == items[0]["ListID"]
    (request,) = QueuedRequest.objects.filter(operation="ItemServiceAddRq")
    assert "already has an item of that name" in request.problem
    assert CostCode.objects.filter(code="09-5100").count() == 1


def test_a_cost_code_item_name_longer_than_quickbooks_holds_is_refused_never_cut(books):
    long_named = make_cost_code(
        code="09-5100", name="Acoustic ceiling tiles and grid", standard=False
    )

    with pytest.raises(PreconditionsNotMet, match="at most 31") as refused:
        export_cost_code(books, long_named)

    assert "'09-5100 Acoustic ceiling tiles and grid', 39 characters" in str(refused.value)
    assert not QueuedRequest.objects.filter(operation="ItemServiceAddRq").exists()


def test_a_cost_code_name_holding_a_control_character_is_refused_with_a_sentence(books):
    pasted = make_cost_code(code="09-5100", name="Acoustic\x01ceilings", standard=False)

    with pytest.raises(PreconditionsNotMet, match="control character"):
        export_cost_code(books, pasted)

    assert not QueuedRequest.objects.filter(operation="ItemServiceAddRq").exists()


def test_a_cost_code_on_an_account_that_is_not_an_expense_account_is_refused(books):
    ceilings = make_cost_code(code="09-5100", name="Acoustic ceilings", standard=False)

    with pytest.raises(PreconditionsNotMet, match="Choose one of the expense"):
        export_cost_code(books, ceilings, account_name="Retainage Payable")

    assert not QueuedRequest.objects.filter(operation="ItemServiceAddRq").exists()


# Several requests per message ----------------------------------------------------------------


def test_requests_waiting_together_go_in_one_message_each_answered_on_its_own(books, quickbooks):
    first = handed_off(books, books.new_commitment(number="SC-2001-007"))
    second = handed_off(books, books.new_commitment(number="SC-2001-008"))

    assert quickbooks.run()["outcome"] == "ok"

    assert fresh(first).sync_status == fresh(second).sync_status == SyncStatus.SYNCED
    exchanges = Exchange.objects.filter(request__record_id__in=[first.pk, second.pk])
    assert exchanges.count() == 2
    assert exchanges.values("request_xml").distinct().count() == 1  # one message
    assert {order["RefNumber"] for order in quickbooks.records("PurchaseOrder")} == {
        "SC-2001-007",
        "SC-2001-008",
    }


def test_requests_after_an_error_in_a_message_stay_queued_and_go_next_unchanged(books, quickbooks):
    failing = handed_off(books, books.new_commitment(number="SC-2001-007"))
    quickbooks.delete(books.cost_codes["Painting"].erp_id)
    other = new_commitment(books.project, books.company, books.cost_codes, number="SC-2001-008")
    other.lines.filter(position=2).update(cost_code=books.cost_codes["Electrical"])
    other = handed_off(books, other)

    assert quickbooks.run()["outcome"] == "ok"

    assert fresh(failing).sync_status == SyncStatus.EXPORT_FAILED
    other = fresh(other)
    (order,) = quickbooks.records("PurchaseOrder")
    assert (other.sync_status, other.erp_id) == (SyncStatus.SYNCED, order["TxnID"])
    not_carried_out, carried_out = Exchange.objects.filter(request__record_id=other.pk).order_by(
        "pk"
    )
    assert not_carried_out.status_code is None
    assert not_carried_out.status_message.startswith("Not carried out")
    assert (
        not_carried_out.request_xml
        == Exchange.objects.get(request__record_id=failing.pk).request_xml
    )
    # The very request it was handed the first time: the same document, the same attempt.
    sent = carried_out.request_xml
    assert "<RefNumber>SC-2001-008</RefNumber>" in sent and "SC-2001-007" not in sent
    assert order["ExternalGUID"] in sent
    assert sent_operations(other) == ["PurchaseOrderAddRq:None", "PurchaseOrderAddRq:0"]


def test_the_decision_page_reads_the_change_and_the_bill_as_they_are_sent(books, quickbooks):
    commitment = synced_commitment(books, quickbooks)
    connector = QuickBooksDesktopConnector(books.desktop.connection)
    change_order = new_change_order(books)
    invoice = new_invoice(books)

    change = connector.describe(change_order)
    bill = connector.describe(invoice)

    assert (change.before_total, change.total, change.after_total) == (
        Decimal("71837.50"),
        Decimal("9735.55"),
        Decimal("81573.05"),
    )
    assert [line.description for line in change.lines] == [
        "CCO 007: Lobby soffits",
        "CCO 007: Soffit lighting rough-in",
    ]
    assert change.number == commitment.number
    assert (bill.total, bill.retainage_withheld) == (Decimal("13724.95"), Decimal("1525.00"))
    assert [line.item_or_account.name for line in bill.lines][-1] == "Retainage"
    assert bill.lines[-1].job is None
    approved = connector.approved_document(invoice).document
    assert purchases.lines_total(approved) == bill.total == invoice.totals().net
    assert [line["LinkToTxn"]["TxnLineID"] for line in approved["ItemLineAdd"][:2]] == [
        line.erp_line_id for line in commitment.lines.order_by("position")
    ]


# What waits in the outbox is what was approved -----------------------------------------------


def test_a_cost_code_relinked_while_the_order_waits_is_never_sent_unapproved(books, quickbooks):
    commitment = handed_off(books, books.new_commitment())
    plaster = quickbooks.seed(
        "ItemService",
        Name="09-2950 Plaster",
        SalesOrPurchase={"Desc": "Plaster", "AccountRef": {"FullName": "Subcontractors"}},
    )
    # While the order waits for the Web Connector, Painting is re-linked to another item.
    painting = books.cost_codes["Painting"]
    CostCode.objects.filter(pk=painting.pk).update(erp_id=plaster["ListID"])

    quickbooks.run()

    commitment = fresh(commitment)
    assert quickbooks.records("PurchaseOrder") == []
    assert commitment.sync_status == SyncStatus.EXPORT_FAILED
    assert commitment.last_export_error.startswith("This commitment changed after it was approved")


def test_a_control_character_pasted_in_a_line_is_sent_as_a_space_and_blocks_nothing(
    books, quickbooks
):
    pasted = books.new_commitment("SC-2001-008")
    pasted.lines.filter(position=1).update(description="Metal studs\x0cand gypsum board")
    pasted = handed_off(books, pasted)
    # Accepted after it: it must not wait behind an order QuickBooks cannot be sent.
    commitment = handed_off(books, books.new_commitment())

    assert quickbooks.run()["outcome"] == "ok"

    assert fresh(pasted).sync_status == fresh(commitment).sync_status == SyncStatus.SYNCED
    order = next(o for o in quickbooks.records("PurchaseOrder") if o["RefNumber"] == "SC-2001-008")
    assert order["PurchaseOrderLineRet"][0]["Desc"] == "Metal studs and gypsum board"


def test_orders_after_the_first_of_a_message_quickbooks_failed_midway_are_looked_up_first(
    books, quickbooks, live_server
):
    first = handed_off(books, books.new_commitment("SC-2001-007"))
    second = handed_off(books, books.new_commitment("SC-2001-008"))
    web_connector = WebConnector(soap_client(live_server.url), qb.QuickBooks(lists={}))
    run = web_connector.log_in(USERNAME, PASSWORD)
    message = web_connector.ask(run, first=True)
    assert message.count("<PurchaseOrderAdd>") == 2
    # QuickBooks carries both out, then fails before its answer reaches the Web Connector,
    # which reports the error alone (an HRESULT, no answer).
    quickbooks.qbxml(message)
    percent = web_connector.service.receiveResponseXML(
        run.ticket, "", "0x80040422", "QuickBooks stopped responding."
    )
    assert percent == -1
    web_connector.service.closeConnection(run.ticket)

    assert quickbooks.run()["outcome"] == "ok"

    assert fresh(first).sync_status == fresh(second).sync_status == SyncStatus.SYNCED
    numbers = sorted(order["RefNumber"] for order in quickbooks.records("PurchaseOrder"))
    assert numbers == ["SC-2001-007", "SC-2001-008"]


def test_an_answer_the_web_connector_delivers_twice_settles_the_order_once(
    books, quickbooks, live_server
):
    commitment = handed_off(books, books.new_commitment())
    web_connector = WebConnector(soap_client(live_server.url), qb.QuickBooks(lists={}))
    run = web_connector.log_in(USERNAME, PASSWORD)
    response = quickbooks.qbxml(web_connector.ask(run, first=True))["response"]

    assert web_connector.service.receiveResponseXML(run.ticket, response, "", "") == 100
    assert web_connector.service.receiveResponseXML(run.ticket, response, "", "") == -1
    web_connector.service.closeConnection(run.ticket)
    assert quickbooks.run()["outcome"] == "none"  # nothing waits any more

    commitment = fresh(commitment)
    (order,) = quickbooks.records("PurchaseOrder")
    assert (commitment.sync_status, commitment.erp_id) == (SyncStatus.SYNCED, order["TxnID"])
    trail = AuditEvent.objects.filter(object_id=commitment.pk, action=Action.EXPORT_SUCCEEDED)
    assert trail.count() == 1
