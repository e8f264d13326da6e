"""QuickBooks' request processor: one session runs qbXML messages against the company file.

Each request answers with QuickBooks' status code and severity (`Status`). Iterators belong to
the session that started them; a new session (a new Web Connector run) knows none of them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from lxml import etree

from . import lists, qbxml, transactions
from .books import Books
from .records import Refused
from .status import Status, no_match

QUERY_HANDLERS = {
    "CustomerQueryRq": lists.query_customers,
    "VendorQueryRq": lists.query_vendors,
    "ItemQueryRq": lists.query_items,
    "AccountQueryRq": lists.query_accounts,
    "PurchaseOrderQueryRq": transactions.query("PurchaseOrder"),
    "BillQueryRq": transactions.query("Bill"),
    "CheckQueryRq": transactions.query("Check"),
    "CreditCardChargeQueryRq": transactions.query("CreditCardCharge"),
    "VendorCreditQueryRq": transactions.query("VendorCredit"),
    "BillPaymentCheckQueryRq": transactions.query("BillPaymentCheck"),
    "BillPaymentCreditCardQueryRq": transactions.query("BillPaymentCreditCard"),
}
CHANGE_HANDLERS = {
    "CustomerAddRq": lists.add_customer,
    "CustomerModRq": lists.mod_customer,
    "VendorAddRq": lists.add_vendor,
    "VendorModRq": lists.mod_vendor,
    "ItemServiceAddRq": lists.add_item("ItemService"),
    "ItemOtherChargeAddRq": lists.add_item("ItemOtherCharge"),
    "PurchaseOrderAddRq": transactions.add_purchase_order,
    "PurchaseOrderModRq": transactions.mod_purchase_order,
    "BillAddRq": transactions.add_bill,
}
MAX_REQUEST_ID = 50


@dataclass
class Iterator:
    request_tag: str
    remaining: list  # records not yet returned


@dataclass
class CompanyFile:
    """What HostQuery and CompanyQuery tell about this QuickBooks and its company."""

    company_name: str = "Sandbox Construction LLC"
    path: str = r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\Sandbox.QBW"
    product_name: str = "QuickBooks Premier Contractor Edition 2013"
    major_version: str = "23"
    highest_qbxml: str = "12.0"
    country: str = "US"


def supported_versions(highest: str) -> list[str]:
    major, minor = (int(part) for part in highest.split("."))
    known = ["1.0", "1.1", "2.0", "2.1", "3.0", "4.0", "4.1", "5.0", "6.0", "7.0"]
    known += [f"{number}.0" for number in range(8, 14)]
    return [
        version
        for version in known
        if tuple(int(part) for part in version.split(".")) <= (major, minor)
    ]


@dataclass
class Session:
    """One QuickBooks session (BeginSession .. EndSession): its iterators die with it."""

    books: Books
    company: CompanyFile
    iterators: dict[str, Iterator] = field(default_factory=dict)

    def run(self, text: str) -> str:
        """Answer a whole message, or raise qbxml.ParseError for one QuickBooks refuses."""
        message = qbxml.read_request(text, self.company.highest_qbxml)
        answers = []
        for request in message.requests:
            answer, status = self._answer(request)
            answers.append(answer)
            if status.is_error and message.on_error != "continueOnError":
                break  # the requests after the first error are not processed
        return qbxml.response_text(answers, message.version)

    def _answer(self, request) -> tuple:
        tag = request.tag
        response_tag = tag[:-2] + "Rs"
        request_id = request.get("requestID")
        if request_id is not None and len(request_id) > MAX_REQUEST_ID:
            status = Status(1060, "Error", f'The requestID "{request_id}" is too long.')
            return self._rs(response_tag, request_id, status, []), status
        if tag in CHANGE_HANDLERS:
            try:
                with self.books.transaction():
                    status, rets = CHANGE_HANDLERS[tag](self.books, request[0])
            except Refused as refused:
                status, rets = refused.status, []
            include = qbxml.texts_of(request, "IncludeRetElement")
            return self._rs(response_tag, request_id, status, rets, include), status
        if tag in QUERY_HANDLERS:
            return self._query(request, response_tag, request_id)
        try:
            status, rets = self._special(tag, request)
        except Refused as refused:
            status, rets = refused.status, []
        return self._rs(response_tag, request_id, status, rets), status

    def _query(self, request, response_tag: str, request_id):
        include = qbxml.texts_of(request, "IncludeRetElement")
        iterator = request.get("iterator")
        attributes = {}
        if iterator in ("Continue", "Stop"):
            iterator_id = request.get("iteratorID") or ""
            running = self.iterators.get(iterator_id)
            if running is None or running.request_tag != request.tag:
                status = Status(
                    3120,
                    "Error",
                    f'Object "{iterator_id}" specified in the request cannot be found.',
                )
                return self._rs(response_tag, request_id, status, [], include), status
            if iterator == "Stop":
                del self.iterators[iterator_id]
                status = Status.ok()
                return self._rs(response_tag, request_id, status, [], include), status
            status, found = Status.ok(), running.remaining
        else:
            try:
                with self.books.transaction():
                    status, found = QUERY_HANDLERS[request.tag](self.books, request)
            except Refused as refused:
                return self._rs(response_tag, request_id, refused.status, []), refused.status
        page_size = qbxml.text_of(request, "MaxReturned")
        if iterator is None:
            rets = found[: max(0, int(page_size))] if page_size else found
        else:
            # A page of at least one, so that an iterator always comes to its end.
            size = max(1, int(page_size)) if page_size else len(found)
            rets, rest = found[:size], found[size:]
            iterator_id = request.get("iteratorID") if iterator == "Continue" else None
            iterator_id = iterator_id or "{" + str(uuid.uuid4()) + "}"
            if rest:
                self.iterators[iterator_id] = Iterator(request.tag, rest)
            else:
                self.iterators.pop(iterator_id, None)
            attributes = {"iteratorRemainingCount": str(len(rest)), "iteratorID": iterator_id}
        if not rets and status.code == 0 and iterator != "Continue":
            status = no_match()
        answer = self._rs(response_tag, request_id, status, rets, include)
        for name, value in attributes.items():
            answer.set(name, value)
        if rets or status.code in (0, 500):
            answer.set("retCount", str(len(rets)))
        return answer, status

    def _special(self, tag: str, request):
        if tag == "HostQueryRq":
            return Status.ok(), [("HostRet", self.host())]
        if tag == "CompanyQueryRq":
            return Status.ok(), [("CompanyRet", self.company_record())]
        with self.books.transaction():
            if tag == "ListDeletedQueryRq":
                return lists.deleted(self.books, request)
            return transactions.deleted(self.books, request)

    def host(self) -> dict:
        return {
            "ProductName": self.company.product_name,
            "MajorVersion": self.company.major_version,
            "MinorVersion": "0",
            "Country": self.company.country,
            "SupportedQBXMLVersion": supported_versions(self.company.highest_qbxml),
            "IsAutomaticLogin": "true",
            "QBFileMode": "SingleUser",
        }

    def company_record(self) -> dict:
        return {
            "IsSampleCompany": "false",
            "CompanyName": self.company.company_name,
            "LegalCompanyName": self.company.company_name,
        }

    @staticmethod
    def _rs(tag: str, request_id, status: Status, rets: list, include=None):
        answer = etree.Element(tag)
        if request_id is not None:
            answer.set("requestID", request_id)
        answer.set("statusCode", str(status.code))
        answer.set("statusSeverity", status.severity)
        answer.set("statusMessage", status.message)
        for ret_tag, record in rets:
            answer.append(qbxml.ret_element(ret_tag, record, include or None))
        return answer
