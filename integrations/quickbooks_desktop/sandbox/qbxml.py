"""qbXML messages in and out: the envelope, its checks, and records written as `...Ret`.

A request message is read whole and checked against the qbXML 12.0 rules before any request in
it runs; a message QuickBooks cannot parse raises `ParseError` with QuickBooks' HRESULT, and
the Web Connector then hands the endpoint an empty response with that HRESULT and message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from . import rules

PARSE_HRESULT = "0x80040400"
PARSE_MESSAGE = "QuickBooks found an error when parsing the provided XML text stream."
ON_ERROR = ("stopOnError", "continueOnError", "rollbackOnError")
ITERATOR_VALUES = ("Start", "Continue", "Stop")
# Deletion queries, Adds and Mods take no iterator (qbxmlops120.xsd: only list and
# transaction queries declare the iterator attributes).
ITERABLE = {
    "CustomerQueryRq",
    "VendorQueryRq",
    "ItemQueryRq",
    "PurchaseOrderQueryRq",
    "BillQueryRq",
    "CheckQueryRq",
    "CreditCardChargeQueryRq",
    "VendorCreditQueryRq",
    "BillPaymentCheckQueryRq",
    "BillPaymentCreditCardQueryRq",
}
_VERSION = re.compile(r"<\?qbxml\s+version\s*=\s*\"([0-9]+\.[0-9]+)\"\s*\?>")
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True
)


class ParseError(Exception):
    """The whole message is refused; `detail` is what QuickBooks' SDK log would say."""

    def __init__(self, detail: str, hresult: str = PARSE_HRESULT, message: str = PARSE_MESSAGE):
        super().__init__(detail)
        self.detail = detail
        self.hresult = hresult
        self.message = message


@dataclass(frozen=True)
class RequestMessage:
    version: str
    on_error: str
    requests: list  # the ...Rq elements, in order


def _version_number(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    return int(major), int(minor)


def read_request(text: str, highest_version: str) -> RequestMessage:
    found = _VERSION.search(text)
    if not found:
        raise ParseError('The message has no <?qbxml version="..."?> instruction.')
    version = found.group(1)
    if _version_number(version) > _version_number(highest_version):
        raise ParseError(
            f"qbXML {version} is newer than this QuickBooks supports (up to {highest_version})."
        )
    try:
        root = etree.fromstring(text.encode("utf-8"), _PARSER)
    except etree.XMLSyntaxError as error:
        raise ParseError(f"Not well-formed XML: {error}") from None
    if root.tag != "QBXML" or len(root) != 1 or root[0].tag != "QBXMLMsgsRq":
        raise ParseError("The root must be QBXML holding one QBXMLMsgsRq.")
    messages = root[0]
    on_error = messages.get("onError")
    if on_error not in ON_ERROR:
        raise ParseError(f"QBXMLMsgsRq needs onError, one of {', '.join(ON_ERROR)}.")
    requests = list(messages)
    stray = [root.text, messages.text, messages.tail, *(request.tail for request in requests)]
    if any((part or "").strip() for part in stray):
        raise ParseError("Text outside the requests is not allowed.")
    for request in requests:
        if not request.tag.endswith("Rq") or not rules.has_model(request.tag):
            raise ParseError(f"{request.tag} is not a request this QuickBooks answers.")
        _check_attributes(request)
        try:
            rules.check(request)
        except rules.SchemaError as error:
            raise ParseError(str(error)) from None
    return RequestMessage(version=version, on_error=on_error, requests=requests)


def _check_attributes(request) -> None:
    allowed = {"requestID"}
    if request.tag in ITERABLE:
        allowed |= {"iterator", "iteratorID", "metaData"}
    unknown = set(request.attrib) - allowed
    if unknown:
        raise ParseError(f"{request.tag} takes no attribute {', '.join(sorted(unknown))}.")
    iterator = request.get("iterator")
    if iterator is not None and iterator not in ITERATOR_VALUES:
        raise ParseError(f"{request.tag}: iterator must be one of {', '.join(ITERATOR_VALUES)}.")


def text_of(element, path: str) -> str | None:
    found = element.find(path)
    return None if found is None else (found.text or "")


def texts_of(element, path: str) -> list[str]:
    return [found.text or "" for found in element.findall(path)]


def ret_element(tag: str, record: dict, include: list[str] | None = None):
    """A record written in the order of its model; `include` keeps only those children."""
    element = etree.Element(tag)
    names = rules.children_in_order(tag) if rules.has_model(tag) else list(record)
    for name in names:
        if include and name not in include:
            continue
        value = record.get(name)
        if value is None:
            continue
        for one in value if isinstance(value, list) else [value]:
            if isinstance(one, dict):
                element.append(ret_element(name, one))
            else:
                etree.SubElement(element, name).text = str(one)
    return element


def response_text(responses: list, version: str) -> str:
    root = etree.Element("QBXML")
    messages = etree.SubElement(root, "QBXMLMsgsRs")
    messages.extend(responses)
    body = etree.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" ?>\n<?qbxml version="{version}"?>\n{body}'
