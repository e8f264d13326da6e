"""QuickBooks Desktop under the contract: the local QuickBooks Desktop over a real socket, its
Web Connector's visit played in this process through the service's own calls (authenticate,
sendRequestXML, receiveResponseXML, closeConnection), each request handed to QuickBooks' request
processor through the sandbox's control API, as the Web Connector hands it over. What someone
does in QuickBooks beside it (a memo saved, a vendor made inactive or keyed in) goes to the same
request processor.

The visit runs in the test's own transaction: the contract's cases run without a live server.
What each answer did is what the outbox's settling returned (synced, failed or ignored).
"""

from __future__ import annotations

from django.contrib.auth.hashers import make_password

from approvals.models import (
    Commitment,
    CommitmentChangeOrder,
    Company,
    CostCode,
    CostType,
    SubcontractorInvoice,
)
from approvals.states import SyncStatus
from integrations import documents as changes
from integrations.models import ERPKind
from integrations.quickbooks_desktop import cost_codes, exports, mapping, purchases, qbxml, service
from integrations.quickbooks_desktop.models import DesktopConnection, Exchange, QueuedRequest
from tests import records
from tests.factories import make_erp_connection, make_project
from tests.integrations.contract.erp_under_test import IMPORT
from tests.integrations.contract.erp_under_test import Books as ContractBooks
from tests.integrations.contract.hand_off_erp import twice_at_once

USERNAME = "contract-qbwc"
PASSWORD = "contract password"
ADDRESS = "192.0.2.10"
VISIT_LIMIT = 50  # calls in one visit: more means the service never says it is done
EXPENSE_ACCOUNT = "Subcontractors"
THEIR_NOTE = "Soffit change approved by the owner's rep"
SOMEONE = "someone-in-quickbooks"
_TRANSACTIONS = {Commitment: "PurchaseOrder", SubcontractorInvoice: "Bill"}


class QuickBooksDesktop:
    does_not_apply = {
        IMPORT: "its lists are read by queries queued for the Web Connector (erp_sync only "
        "queues them), and QuickBooks forgets an iterator when the session that opened it ends "
        "(reference §2.5): a read a run did not finish starts again from its first page at the "
        "next run, storing nothing twice but not resuming where it stopped (proved in "
        "tests/integrations/quickbooks_desktop/test_imports_through_the_web_connector.py::"
        "test_large_reads_come_in_pages_and_a_run_ending_mid_read_restarts_it_from_the_start).",
    }
    erp_name = "QuickBooks Desktop"
    connector_name = "QuickBooks Desktop"

    def __init__(self, request):
        self.sandbox = request.getfixturevalue("qbd_sandbox")
        # A visit whose answer was lost leaves its run open; the next one starts at once.
        request.getfixturevalue("settings").QBWC_BUSY_SECONDS = 0
        self.outcomes: list[str] = []
        self.answers_to_lose = 0
        self.saves_between: list[str] = []  # purchase orders someone saves before our change
        self.clashes: list[str] = []
        settle = exports.settle

        def settle_and_note(request, answer, request_xml):
            outcome = settle(request, answer, request_xml)
            if outcome != "queued":
                self.outcomes.append(outcome)
            return outcome

        request.getfixturevalue("monkeypatch").setattr(exports, "settle", settle_and_note)

    def open_books(self) -> ContractBooks:
        """Riverside Builders' company file: a service item per cost code on an expense
        account, our job under its customer, our vendor, and our subcontract as a purchase
        order; each linked here as an export of it leaves it."""
        connection = make_erp_connection(
            kind=ERPKind.QUICKBOOKS_DESKTOP, company_name="Riverside Builders"
        )
        DesktopConnection.objects.create(
            connection=connection, username=USERNAME, password_hash=make_password(PASSWORD)
        )
        pm, approver = records.people()
        cost_codes_by_name = {}
        for position, name in enumerate(records.ITEMS, start=1):
            code = f"930-{position}00"
            item = self.sandbox.seed(
                "ItemService",
                Name=cost_codes.item_name(code, name),
                SalesAndPurchase={
                    "PurchaseDesc": name,
                    "ExpenseAccountRef": {"FullName": EXPENSE_ACCOUNT},
                },
            )
            cost_codes_by_name[name] = CostCode.objects.create(
                code=code,
                name=name,
                cost_type=CostType.SUBCONTRACT,
                erp_connection=connection,
                erp_id=item["ListID"],
                erp_version=item["EditSequence"],
            )
        customer = self.sandbox.seed("Customer", Name="Acme Development")
        project = make_project(synced=True, members=[pm])
        job = self.sandbox.seed(
            "Customer", Name=mapping.job_name(project), ParentRef={"ListID": customer["ListID"]}
        )
        _linked(project, connection, job["ListID"], job["EditSequence"])
        vendor = Company.objects.create(
            name="Acme Drywall", legal_name="Acme Drywall & Framing LLC", email="ap@acme.example"
        )
        in_books = self.sandbox.seed(
            "Vendor", Name=vendor.name, CompanyName=vendor.legal_name, Email=vendor.email
        )
        _linked(vendor, connection, in_books["ListID"], in_books["EditSequence"])
        commitment = records.new_commitment(
            project, vendor, cost_codes_by_name, number="SC-1001-004"
        )
        added = self._in_quickbooks(
            purchases.request(
                "PurchaseOrderAddRq",
                purchases.purchase_order(commitment),
                guid=purchases.attempt_guid(f"exported-{commitment.pk}"),
            )
        )
        order = self._order_of_id(qbxml.ret_text(added.rets[0], "TxnID"))
        _linked(commitment, connection, order["TxnID"], order["EditSequence"])
        for line, added in zip(
            commitment.lines.order_by("position"), order["PurchaseOrderLineRet"], strict=True
        ):
            type(line).objects.filter(pk=line.pk).update(erp_line_id=added["TxnLineID"])
        return ContractBooks(
            connection, pm, approver, project, vendor, commitment, cost_codes_by_name
        )

    # What QuickBooks holds ---------------------------------------------------------------

    def documents(self, record) -> list[str]:
        if isinstance(record, Company):
            name = " ".join(record.name.split()).casefold()
            return [
                vendor["ListID"]
                for vendor in self.sandbox.records("Vendor")
                if vendor["Name"].casefold() == name
            ]
        if isinstance(record, CommitmentChangeOrder):
            marker = changes.change_order_marker(record)
            return [
                line["TxnLineID"]
                for line in self._order_of(record.commitment)["PurchaseOrderLineRet"]
                if line.get("Desc", "").startswith(marker)
            ]
        vendor = record.vendor if isinstance(record, Commitment) else record.commitment.vendor
        return [
            document["TxnID"]
            for document in self.sandbox.records(_TRANSACTIONS[type(record)])
            if document.get("RefNumber") == record.number
            and document["VendorRef"]["ListID"] == vendor.erp_id
        ]

    def _order_of(self, commitment: Commitment) -> dict:
        return self._order_of_id(commitment.erp_id)

    def _order_of_id(self, txn_id: str) -> dict:
        (order,) = [o for o in self.sandbox.records("PurchaseOrder") if o["TxnID"] == txn_id]
        return order

    # Someone working in QuickBooks -------------------------------------------------------

    def _in_quickbooks(self, body: str) -> qbxml.Answer:
        """A request made in QuickBooks beside the Web Connector (as another application on
        the accountant's computer would)."""
        response = self.sandbox.qbxml(qbxml.message(body, request_id=SOMEONE))["response"]
        answer = qbxml.answer_to(response, SOMEONE)
        assert not answer.failed, answer.status_message
        return answer

    def save_while_we_write(self, record) -> None:
        """Someone saves the purchase order's memo after our change order read the order,
        before our change reaches QuickBooks."""
        self.saves_between.append(record.commitment.erp_id)

    def _someone_saves(self, request_xml: str) -> None:
        for order_id in list(self.saves_between):
            if "<PurchaseOrderModRq" in request_xml and f"<TxnID>{order_id}</TxnID>" in request_xml:
                self.saves_between.remove(order_id)
                current = self._order_of_id(order_id)
                self._in_quickbooks(
                    "<PurchaseOrderModRq><PurchaseOrderMod>"
                    f"<TxnID>{order_id}</TxnID><EditSequence>{current['EditSequence']}"
                    f"</EditSequence><Memo>{THEIR_NOTE}</Memo>"
                    "</PurchaseOrderMod></PurchaseOrderModRq>"
                )

    def their_save_kept(self, record) -> bool:
        return self._order_of(record.commitment).get("Memo") == THEIR_NOTE

    def deactivate(self, record) -> None:
        (vendor,) = [v for v in self.sandbox.records("Vendor") if v["ListID"] == record.erp_id]
        self._in_quickbooks(
            f"<VendorModRq><VendorMod><ListID>{vendor['ListID']}</ListID>"
            f"<EditSequence>{vendor['EditSequence']}</EditSequence><IsActive>false</IsActive>"
            "</VendorMod></VendorModRq>"
        )

    def key_in_by_hand(self, company: Company, *, same_business: bool) -> None:
        if same_business:
            self._in_quickbooks(mapping.vendor_add(company))
        else:
            self.sandbox.seed(
                "Vendor",
                Name=mapping.vendor_name(company),
                CompanyName="Another business altogether",
                Email="office@another-business.example",
            )

    # The Web Connector's visit -----------------------------------------------------------

    def agent_answers(self) -> list[str]:
        self.outcomes = []
        self._visit(self._lost)
        for clash in self.clashes:  # the bookkeeper renames what stood in the way
            self.sandbox.delete(clash)
        self.clashes = []
        return self.outcomes

    def _visit(self, intercept=None) -> None:
        """One run of the Web Connector. `intercept(request_xml, response)` is given each
        export QuickBooks carried out before its answer is delivered; True ends the run there,
        the answer undelivered."""
        ticket, instruction = service.authenticate(USERNAME, PASSWORD, address=ADDRESS)[:2]
        if instruction != service.USE_OPEN_COMPANY:
            return
        for _ in range(VISIT_LIMIT):
            request_xml = service.send_request_xml(ticket, "", "", "US", 12, 0)
            if not request_xml:
                if service.get_last_error(ticket) == service.PAUSE:
                    continue
                break
            self._someone_saves(request_xml)
            response = self.sandbox.qbxml(request_xml)["response"]
            if intercept and _is_export(request_xml) and intercept(request_xml, response):
                return
            percent = service.receive_response_xml(ticket, response, "", "")
            if percent < 0 or percent >= service.DONE:
                break
        service.close_connection(ticket)

    def _lost(self, request_xml: str, response: str) -> bool:
        """QuickBooks carried it out; the connection dropped before the answer reached us."""
        if not self.answers_to_lose:
            return False
        self.answers_to_lose -= 1
        return True

    def lose_next_answer(self, record) -> None:
        self.answers_to_lose += 1

    def agent_fails_next(self) -> str:
        """QuickBooks refuses the next vendor: another list entry has its name (3100), which the
        bookkeeper renames after that run. Returns QuickBooks' own words."""
        waiting = QueuedRequest.objects.filter(record_id__isnull=False, state="queued").last()
        name = exports.record_of(waiting).name
        self.clashes.append(self.sandbox.seed("Customer", Name=name)["ListID"])
        return f'The name "{name}" of the list element is already in use.'

    def answer_again(self, record, *, attempt: int | None = None) -> str:
        exchange = _answered_exchange(record, attempt)
        return exports.settle(exchange.request, _answer(exchange), exchange.request_xml)

    def answer_twice_at_once(self, record) -> list[str]:
        """The Web Connector carries out `record`'s request; its answer arrives twice at once."""
        outcomes: list[str] = []

        def deliver_twice(request_xml: str, response: str) -> bool:
            # The message may carry list reads too: the export's exchange is the one answered.
            exchange = (
                Exchange.objects.select_related("request", "request__desktop")
                .filter(
                    request__model_label=record._meta.label_lower,
                    request__record_id=record.pk,
                    answered_at__isnull=True,
                )
                .latest("pk")
            )
            answer = qbxml.answer_to(response, exchange.qbxml_request_id)
            outcomes.extend(
                twice_at_once(lambda: exports.settle(exchange.request, answer, request_xml))
            )
            return True

        self._visit(deliver_twice)
        return outcomes


def _is_export(request_xml: str) -> bool:
    return any(operation in request_xml for operation in exports.ADD_OPERATIONS.values())


def _answered_exchange(record, attempt: int | None) -> Exchange:
    requests = QueuedRequest.objects.filter(
        model_label=record._meta.label_lower, record_id=record.pk
    )
    if attempt is not None:
        requests = requests.filter(export_attempt=attempt)
    return (
        Exchange.objects.select_related("request", "request__desktop")
        .filter(request__in=requests, answered_at__isnull=False)
        .latest("pk")
    )


def _answer(exchange: Exchange) -> qbxml.Answer:
    return qbxml.answer_to(exchange.response_xml, exchange.qbxml_request_id)


def _linked(record, connection, erp_id: str, version: str) -> None:
    """`record` as its export leaves it: synced, linked to `erp_id` through `connection`."""
    type(record).objects.filter(pk=record.pk).update(
        sync_status=SyncStatus.SYNCED,
        erp_id=erp_id,
        erp_version=version,
        erp_connection=connection,
    )
    record.refresh_from_db()
