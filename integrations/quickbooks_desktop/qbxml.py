"""qbXML 12.0: the messages handed to QuickBooks and what its answers say (pure, no I/O).

Every request declares qbXML 12.0 and follows the 12.0 schema's element order (QuickBooks
refuses the whole message when one element is out of place). Elements carry no namespace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from integrations.quickbooks_desktop.xml import UnreadableXML, child_text, local_name, parse

VERSION = (12, 0)
VERSION_TEXT = "12.0"
PAGE_SIZE = 100
# Transaction queries of the job-cost read; each carries its lines.
TRANSACTION_QUERIES = (
    "BillQueryRq",
    "CheckQueryRq",
    "CreditCardChargeQueryRq",
    "VendorCreditQueryRq",
    "BillPaymentCheckQueryRq",
    "BillPaymentCreditCardQueryRq",
)
# Queries QuickBooks reads in pages (iterators); AccountQuery and the deletion queries take none.
PAGED = ("CustomerQueryRq", "VendorQueryRq", "ItemQueryRq", *TRANSACTION_QUERIES)
ERROR = "Error"


def list_query(operation: str) -> str:
    """A whole list, active and inactive: `operation` is CustomerQueryRq, VendorQueryRq,
    ItemQueryRq or AccountQueryRq. MaxReturned then ActiveStatus, as the schema orders them."""
    request = etree.Element(operation)
    if operation in PAGED:
        etree.SubElement(request, "MaxReturned").text = str(PAGE_SIZE)
    etree.SubElement(request, "ActiveStatus").text = "All"
    return etree.tostring(request, encoding="unicode")


@dataclass(frozen=True)
class Part:
    """One request of a message: its …Rq element (ours), its requestID and iterator."""

    body: str
    request_id: str
    iterator: str = ""
    iterator_id: str = ""


def message(body: str, *, request_id: str, iterator: str = "", iterator_id: str = "") -> str:
    """The qbXML document handing QuickBooks the request `body` (an …Rq element, ours)."""
    return message_of([Part(body, request_id, iterator, iterator_id)])


def message_of(parts: list[Part]) -> str:
    """The qbXML document handing QuickBooks `parts` in order. With stopOnError QuickBooks
    carries them out until the first error; those after it have no answer."""
    root = etree.Element("QBXML")
    messages = etree.SubElement(root, "QBXMLMsgsRq", onError="stopOnError")
    for part in parts:
        request = parse(part.body)
        request.set("requestID", part.request_id)
        if part.iterator:
            request.set("iterator", part.iterator)
        if part.iterator_id:
            request.set("iteratorID", part.iterator_id)
        messages.append(request)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<?qbxml version="{VERSION_TEXT}"?>\n' + etree.tostring(root, encoding="unicode")
    )


def request_in(message_xml: str, request_id: str) -> str:
    """The …Rq element `request_id` of a message we sent, without its requestID."""
    for request in parse(message_xml).find("QBXMLMsgsRq"):
        if isinstance(request.tag, str) and request.get("requestID") == request_id:
            del request.attrib["requestID"]
            return etree.tostring(request, encoding="unicode")
    return ""


@dataclass(frozen=True)
class Answer:
    """One …Rs element of QuickBooks' answer."""

    operation: str
    request_id: str
    status_code: int
    severity: str
    status_message: str
    remaining: int
    iterator_id: str
    rets: tuple[etree._Element, ...]

    @property
    def failed(self) -> bool:
        return self.severity == ERROR


def answer_to(response: str, request_id: str) -> Answer:
    """The …Rs element answering `request_id` in QuickBooks' `response`; UnreadableXML when
    the response is not qbXML or does not answer that request."""
    root = parse(response)
    messages = root.find("QBXMLMsgsRs") if local_name(root) == "QBXML" else None
    if messages is None:
        raise UnreadableXML("The answer is not a qbXML response (no QBXML/QBXMLMsgsRs).")
    for element in messages:
        if isinstance(element.tag, str) and element.get("requestID") == request_id:
            return _answer(element)
    raise UnreadableXML(f"The answer holds no response to request {request_id}.")


def _number(text: str | None, default: int = 0) -> int:
    try:
        return int(text) if text not in (None, "") else default
    except ValueError:
        raise UnreadableXML(f"{text!r} is not a number.") from None


def _answer(element: etree._Element) -> Answer:
    if element.get("statusCode") is None or element.get("statusSeverity") is None:
        raise UnreadableXML("The response carries no status code and severity.")
    return Answer(
        operation=local_name(element),
        request_id=element.get("requestID", ""),
        status_code=_number(element.get("statusCode")),
        severity=element.get("statusSeverity", ""),
        status_message=element.get("statusMessage", ""),
        remaining=_number(element.get("iteratorRemainingCount")),
        iterator_id=element.get("iteratorID", ""),
        rets=tuple(child for child in element if isinstance(child.tag, str)),
    )


def supported_versions(host_response: str) -> list[tuple[int, int]]:
    """The qbXML versions QuickBooks lists in the host query answer the Web Connector sends on
    its first sendRequestXML (HostRet/SupportedQBXMLVersion); empty when it lists none."""
    root = parse(host_response)
    found = []
    for element in root.iter("SupportedQBXMLVersion"):
        version = as_version(element.text or "")
        if version is not None:
            found.append(version)
    return found


def as_version(text: str) -> tuple[int, int] | None:
    """(major, minor) of "12.0" or "CA3.0"-style texts; None when it names no version."""
    digits = text.strip().lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    major, _, minor = digits.partition(".")
    if not major.isdigit() or (minor and not minor.isdigit()):
        return None
    return int(major), int(minor or 0)


def newest_change(rets) -> datetime | None:
    """The latest TimeModified (or TimeDeleted) of these …Ret elements, in QuickBooks' clock;
    None when none carries one with its offset."""
    moments = []
    for ret in rets:
        for name in ("TimeModified", "TimeDeleted"):
            text = ret_text(ret, name)
            try:
                moment = datetime.fromisoformat(text) if text else None
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is not None:
                moments.append(moment)
    return max(moments, default=None)


def ret_text(ret: etree._Element, *path: str) -> str:
    return child_text(ret, *path)


def datetime_text(moment: datetime) -> str:
    """DATETIMETYPE with its offset, in UTC: QuickBooks converts it to the company's time."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def transaction_query(operation: str, *, modified_from: datetime | None) -> str:
    """Every transaction of `operation` (one of TRANSACTION_QUERIES) with its lines, or those
    modified since `modified_from`: MaxReturned, ModifiedDateRangeFilter, IncludeLineItems in
    the schema's order."""
    if operation not in TRANSACTION_QUERIES:
        raise ValueError(f"{operation} is not a transaction query of the job-cost read.")
    request = etree.Element(operation)
    etree.SubElement(request, "MaxReturned").text = str(PAGE_SIZE)
    if modified_from is not None:
        dates = etree.SubElement(request, "ModifiedDateRangeFilter")
        etree.SubElement(dates, "FromModifiedDate").text = datetime_text(modified_from)
    etree.SubElement(request, "IncludeLineItems").text = "true"
    return etree.tostring(request, encoding="unicode")


def deleted_query(operation: str, kinds: tuple[str, ...], *, deleted_from: datetime | None) -> str:
    """TxnDeletedQueryRq or ListDeletedQueryRq for these TxnDelType / ListDelType values, of
    what was deleted since `deleted_from` (all QuickBooks remembers without it)."""
    type_element = {"TxnDeletedQueryRq": "TxnDelType", "ListDeletedQueryRq": "ListDelType"}
    request = etree.Element(operation)
    for kind in kinds:
        etree.SubElement(request, type_element[operation]).text = kind
    if deleted_from is not None:
        dates = etree.SubElement(request, "DeletedDateRangeFilter")
        etree.SubElement(dates, "FromDeletedDate").text = datetime_text(deleted_from)
    return etree.tostring(request, encoding="unicode")
