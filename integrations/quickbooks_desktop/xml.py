"""Reading XML nobody vouched for: the SOAP envelopes the Web Connector posts and the qbXML
QuickBooks answers with. No DTD, no entity expansion, no network, no comments kept."""

from __future__ import annotations

import re

from lxml import etree

# What XML 1.0 cannot carry (control characters pasted with a text; tab and line breaks it can):
# a request holding one could never be built, and the whole outbox would wait behind it.
UNSENDABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# An XML declaration naming an encoding cannot be parsed from text that is already decoded.
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


class UnreadableXML(ValueError):
    """The text is not XML this service reads; the message says why, in plain words."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
    )


def parse(data: bytes | str) -> etree._Element:
    """The root element of `data`; UnreadableXML when it is empty, malformed or has a DTD."""
    if isinstance(data, str):
        data = _DECLARATION.sub("", data, count=1)
    if not data or not data.strip():
        raise UnreadableXML("The message is empty.")
    try:
        root = etree.fromstring(data, _parser())
    except (etree.XMLSyntaxError, ValueError) as error:
        raise UnreadableXML(f"The message is not well-formed XML ({error}).") from None
    if root.getroottree().docinfo.doctype:
        raise UnreadableXML("The message declares a document type, which this service refuses.")
    return root


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def child_text(element: etree._Element | None, *path: str) -> str:
    """The stripped text at `path` under `element` (element names without namespace), or ""."""
    for name in path:
        if element is None:
            return ""
        element = element.find(name)
    if element is None or element.text is None:
        return ""
    return element.text.strip()
