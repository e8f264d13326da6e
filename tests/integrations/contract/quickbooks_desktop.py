"""QuickBooks Desktop under the contract: the local QuickBooks Desktop over a real socket, its
Web Connector's visit played in this process through the service's own calls (authenticate,
sendRequestXML, receiveResponseXML, closeConnection), each request handed to QuickBooks' request
processor through the sandbox's control API, as the Web Connector hands it over.

The visit runs in the test's own transaction: the contract's cases run without a live server.
What each answer did is what the outbox's settling returned (synced, failed or ignored).
"""

from __future__ import annotations

from django.contrib.auth.hashers import make_password

from approvals.models import Company
from approvals.states import SyncStatus
from integrations.models import ERPKind
from integrations.quickbooks_desktop import exports, qbxml, service
from integrations.quickbooks_desktop.models import DesktopConnection, Exchange, QueuedRequest
from tests import records
from tests.factories import make_company, make_cost_code, make_erp_connection, make_project
from tests.integrations.contract.erp_under_test import (
    EXPORTING_TWICE,
    IMPORT,
    INACTIVE_REFERENCE,
    LOST_ANSWER,
    STALE_VERSION,
    TAKEN_NAME,
)
from tests.integrations.contract.erp_under_test import Books as ContractBooks
from tests.integrations.contract.hand_off_erp import twice_at_once

USERNAME = "contract-qbwc"
PASSWORD = "contract password"
ADDRESS = "192.0.2.10"
VISIT_LIMIT = 50  # calls in one visit: more means the service never says it is done
PROVED_IN = "tests/integrations/quickbooks_desktop/"


class QuickBooksDesktop:
    # Played in this suite: the hand-off cases. The rest are played, against the same local
    # QuickBooks Desktop, in QuickBooks Desktop's own tests (named): this adapter's books hold
    # no items for the cost codes a commitment needs yet.
    does_not_apply = {
        EXPORTING_TWICE: "not played through this adapter yet; one vendor, job, purchase order "
        f"or bill per record after a lost answer is proved in {PROVED_IN}.",
        LOST_ANSWER: "not played through this adapter yet; a lost answer of a vendor, job, "
        f"purchase order, bill or change order becoming a link is proved in {PROVED_IN}.",
        STALE_VERSION: "not played through this adapter yet; a purchase order changed in "
        f"between (3200) read again and the change re-applied once is proved in {PROVED_IN}.",
        INACTIVE_REFERENCE: "not played through this adapter yet; a deleted vendor or item "
        f"named in the failure (3140) is proved in {PROVED_IN}.",
        TAKEN_NAME: "QuickBooks Desktop's shared name list (3100) is proved in "
        f"{PROVED_IN}; the case's link of a vendor clearly ours needs a look-up by details "
        "the Web Connector is not asked for.",
        IMPORT: "QuickBooks Desktop's lists are read by queued queries at the Web Connector's "
        "runs, not by a reader the import drives.",
    }
    erp_name = "QuickBooks Desktop"
    connector_name = "QuickBooks Desktop"

    def __init__(self, request):
        self.sandbox = request.getfixturevalue("qbd_sandbox")
        # A visit whose answer was lost leaves its run open; the next one starts at once.
        request.getfixturevalue("settings").QBWC_BUSY_SECONDS = 0
        self.outcomes: list[str] = []
        self.answers_to_lose = 0
        self.clashes: list[str] = []
        settle = exports.settle

        def settle_and_note(request, answer, request_xml):
            outcome = settle(request, answer, request_xml)
            if outcome != "queued":
                self.outcomes.append(outcome)
            return outcome

        request.getfixturevalue("monkeypatch").setattr(exports, "settle", settle_and_note)

    def open_books(self) -> ContractBooks:
        connection = make_erp_connection(
            kind=ERPKind.QUICKBOOKS_DESKTOP, company_name="Riverside Builders"
        )
        DesktopConnection.objects.create(
            connection=connection, username=USERNAME, password_hash=make_password(PASSWORD)
        )
        pm, approver = records.people()
        cost_codes = {
            name: make_cost_code(code=f"930-{position}00", name=name)
            for position, name in enumerate(records.ITEMS, start=1)
        }
        customer = self.sandbox.seed("Customer", Name="Acme Development")
        project = make_project(synced=True, members=[pm])
        job = self.sandbox.seed(
            "Customer", Name=str(project)[:41], ParentRef={"ListID": customer["ListID"]}
        )
        vendor = make_company(name="Acme Drywall", synced=True)
        in_books = self.sandbox.seed("Vendor", Name="Acme Drywall")
        commitment = records.new_commitment(project, vendor, cost_codes, number="SC-1001-004")
        for record, erp_id in ((project, job["ListID"]), (vendor, in_books["ListID"])):
            type(record).objects.filter(pk=record.pk).update(
                sync_status=SyncStatus.SYNCED, erp_id=erp_id, erp_connection=connection
            )
            record.refresh_from_db()
        return ContractBooks(connection, pm, approver, project, vendor, commitment, cost_codes)

    # What QuickBooks holds ---------------------------------------------------------------

    def documents(self, record) -> list[str]:
        if not isinstance(record, Company):
            raise NotImplementedError("only vendors go to QuickBooks Desktop in these cases")
        name = " ".join(record.name.split()).casefold()
        return [
            vendor["ListID"]
            for vendor in self.sandbox.records("Vendor")
            if vendor["Name"].casefold() == name
        ]

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
