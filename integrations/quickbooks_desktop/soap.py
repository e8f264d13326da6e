"""SOAP 1.1, document/literal wrapped, as the Web Connector speaks it: read a call, write an
answer or a fault. Each operation X arrives as <X> in the Intuit namespace and is answered with
<XResponse><XResult>; every value is text, so qbXML travels escaped, never as child elements."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from integrations.quickbooks_desktop.xml import UnreadableXML, local_name, parse

ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"
INTUIT = "http://developer.intuit.com/"
OPERATIONS = (
    "serverVersion",
    "clientVersion",
    "authenticate",
    "sendRequestXML",
    "receiveResponseXML",
    "connectionError",
    "getLastError",
    "closeConnection",
)


@dataclass(frozen=True)
class Call:
    operation: str
    arguments: dict[str, str]

    def text(self, name: str) -> str:
        return self.arguments.get(name, "")

    def number(self, name: str) -> int | None:
        try:
            return int(self.arguments.get(name, "").strip())
        except ValueError:
            return None


class BadCall(ValueError):
    """A request that is not a Web Connector call; the message says why, in plain words."""


def read_call(body: bytes) -> Call:
    try:
        root = parse(body)
    except UnreadableXML as error:
        raise BadCall(str(error)) from None
    if root.tag != f"{{{ENVELOPE}}}Envelope":
        raise BadCall("The message is not a SOAP 1.1 envelope.")
    soap_body = root.find(f"{{{ENVELOPE}}}Body")
    if soap_body is None:
        raise BadCall("The SOAP envelope has no body.")
    calls = [child for child in soap_body if isinstance(child.tag, str)]
    if len(calls) != 1:
        raise BadCall("The SOAP body must hold exactly one call.")
    call = calls[0]
    operation = local_name(call)
    if etree.QName(call).namespace != INTUIT or operation not in OPERATIONS:
        raise BadCall(f"This service has no operation named {operation!r}.")
    arguments = {}
    for argument in call:
        if isinstance(argument.tag, str):
            if len(argument):
                raise BadCall(f"The argument {local_name(argument)} must be text, not XML.")
            arguments[local_name(argument)] = argument.text or ""
    return Call(operation=operation, arguments=arguments)


def _envelope() -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(f"{{{ENVELOPE}}}Envelope", nsmap={"soap": ENVELOPE})
    return envelope, etree.SubElement(envelope, f"{{{ENVELOPE}}}Body")


def _serialise(envelope: etree._Element) -> bytes:
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def answer(operation: str, result: str | int | list[str]) -> bytes:
    envelope, body = _envelope()
    response = etree.SubElement(body, f"{{{INTUIT}}}{operation}Response", nsmap={None: INTUIT})
    value = etree.SubElement(response, f"{{{INTUIT}}}{operation}Result")
    if isinstance(result, list):
        for item in result:
            etree.SubElement(value, f"{{{INTUIT}}}string").text = item
    else:
        value.text = str(result)
    return _serialise(envelope)


def fault(sentence: str, *, code: str = "Client") -> bytes:
    """A SOAP 1.1 fault: "Client" when the call was wrong, "Server" when we failed."""
    envelope, body = _envelope()
    element = etree.SubElement(body, f"{{{ENVELOPE}}}Fault")
    etree.SubElement(element, "faultcode").text = f"soap:{code}"
    etree.SubElement(element, "faultstring").text = sentence
    return _serialise(envelope)
