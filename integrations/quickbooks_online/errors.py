"""Every QuickBooks Online answer is read here, once, and either parsed or turned into an error.

Transient (worth retrying): connection errors, timeouts, throttling (429 / fault 3001), any 5xx
whatever its body, SystemFaults, and a 200 whose body we cannot read.

Why a malformed 200 is transient: QuickBooks said "OK", so a write may well have been stored.
Calling it permanent would send the record to a person, who would send it again by hand, under
a new requestid, and QuickBooks would make a second document. Retrying with the same requestid
instead makes QuickBooks replay its original answer, and the connectors look a document up
before creating it, so the retry links rather than duplicates.

Permanent (a person must act): validation and business faults (6240 duplicate name, 5010 stale
object, 610 / 2500 missing or inactive reference, 2020 missing value, 6000 business rule, 6140
duplicate document number...), any other 4xx, and authorization failures (3200, 3100, 120, 100), which the
client only reports after one token refresh did not help.

Faults come in three shapes: the API's `Fault` (capitalised keys), the gateway's `fault`
(lower-case keys, used for 401/403) and XML `IntuitResponse/Fault/Error` (historically on 429 and
401 even when JSON was asked for). A 200 may still carry a Fault.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from django.utils import timezone
from requests.exceptions import InvalidSchema, InvalidURL, MissingSchema

from integrations.base import (
    DuplicateNameError,
    ERPError,
    NotConnectedError,
    PermanentERPError,
    RateLimitedError,
    StaleObjectError,
    TransientERPError,
)
from integrations.exact_json import parse_json

logger = logging.getLogger(__name__)

THROTTLE_CODE = "3001"
MAX_RETRY_AFTER_SECONDS = 3600.0
AUTHORIZATION_CODES = frozenset({"100", "120", "3100", "3200"})
# 610 Object Not Found and 2500 Invalid Reference Id: something the record refers to is gone
# or inactive (QuickBooks answers a transaction's stale reference with either).
MISSING_REFERENCE_CODES = frozenset({"610", "2500"})
# The lists a 2500 names when QuickBooks has no record with the referenced id.
_REFERENCE_LISTS = {
    "Accounts": "accounts",
    "Depts": "locations",
    "Items": "products and services",
    "Klasses": "classes",
    "Names": "vendors, customers and employees",
}
_UNKNOWN_ID = re.compile(r"(?P<list>\w+) element id (?P<id>\S+) not found")
RECONNECT_ADVICE = (
    "An administrator must reconnect QuickBooks Online "
    "(ERP Integrations → QuickBooks Online connection)."
)


class ThrottledError(RateLimitedError):
    """QuickBooks Online asked us to slow down; `retry_after` says for how long (seconds)."""


@dataclass(frozen=True)
class Fault:
    """One Error element of a QuickBooks Fault, whatever shape it came in."""

    code: str
    message: str
    detail: str
    element: str
    fault_type: str


def read_answer(
    response: requests.Response,
    *,
    payload: dict | None = None,
    throttle_wait: float = 60.0,
) -> dict:
    """The parsed JSON body of a successful answer; raises the classified ERPError otherwise.

    `payload` is what we sent (to name the record in messages); `throttle_wait` is the documented
    wait after a 429 when QuickBooks sends no Retry-After header.
    """
    status = response.status_code
    text = response.text
    intuit_tid = response.headers.get("intuit_tid", "")
    body = _parse_body(text, response.headers.get("Content-Type", ""))
    faults = faults_in(body)

    if status == 429 or any(fault.code == THROTTLE_CODE for fault in faults):
        wait = _retry_after_seconds(response.headers.get("Retry-After"), throttle_wait)
        error: ERPError = ThrottledError(
            "QuickBooks Online is receiving too many requests from us; "
            f"we will try again in {_seconds(wait)}.",
            code=THROTTLE_CODE,
            detail=faults[0].detail if faults else "",
            status=status,
            retry_after=wait,
            response_body=body if body is not None else text,
        )
    elif status >= 500:
        error = TransientERPError(
            f"QuickBooks Online had a problem on its side (HTTP {status}); we will try again.",
            code=faults[0].code if faults else "",
            detail=faults[0].detail if faults else "",
            status=status,
            response_body=body if body is not None else text,
        )
    elif faults:
        error = error_for_fault(faults[0], status=status, payload=payload, body=body)
    elif status in (401, 403):
        error = NotConnectedError(
            f"QuickBooks Online no longer accepts our connection (HTTP {status}). "
            + RECONNECT_ADVICE,
            status=status,
            response_body=body if body is not None else text,
        )
    elif status >= 400:
        error = PermanentERPError(
            f"QuickBooks Online refused the request (HTTP {status}) without saying why.",
            status=status,
            response_body=body if body is not None else text,
        )
    elif not isinstance(body, dict):
        error = TransientERPError(
            "QuickBooks Online sent an answer we could not read; "
            "we will check what happened and try again.",
            status=status,
            response_body=text[:2000],
        )
    else:
        return body

    logger.warning(
        "QuickBooks Online answered %s (intuit_tid=%s, code=%s): %s",
        status,
        intuit_tid,
        error.code,
        error.detail or error.message,
    )
    raise error


def error_for_exception(exc: requests.RequestException) -> ERPError:
    """A request that got no usable answer: we do not know whether QuickBooks did the work."""
    if isinstance(exc, (InvalidURL, InvalidSchema, MissingSchema)):
        return PermanentERPError(
            "The QuickBooks Online address in this site's settings is not a valid URL "
            "(QBO_API_BASE_URL / QBO_DISCOVERY_URL). Ask whoever runs this site to fix it.",
            detail=f"{type(exc).__name__}: {exc}",
        )
    if isinstance(exc, requests.Timeout):
        message = "QuickBooks Online did not answer in time; we will try again."
    else:
        message = "We could not reach QuickBooks Online; we will try again."
    return TransientERPError(message, detail=f"{type(exc).__name__}: {exc}")


def faults_in(body: Any) -> list[Fault]:
    """The Errors of a Fault in any of its shapes (empty when the body carries none)."""
    if not isinstance(body, dict):
        return []
    fault = body.get("Fault") if "Fault" in body else body.get("fault")
    if not isinstance(fault, dict):
        return []
    fault_type = str(fault.get("type") or "")
    errors = fault.get("Error") if "Error" in fault else fault.get("error")
    if not isinstance(errors, list):
        return []
    return [
        Fault(
            code=_normal_code(_pick(item, "code")),
            message=_pick(item, "Message"),
            detail=_pick(item, "Detail"),
            element=_pick(item, "element"),
            fault_type=fault_type,
        )
        for item in errors
        if isinstance(item, dict)
    ]


def error_for_batch_item(item: dict, *, payload: dict | None = None) -> ERPError | None:
    """The error carried by one BatchItemResponse item, or None when it succeeded."""
    faults = faults_in(item)
    if not faults:
        return None
    return error_for_fault(faults[0], status=200, payload=payload, body=item)


def error_for_fault(
    fault: Fault, *, status: int, payload: dict | None = None, body: Any = None
) -> ERPError:
    """The error class and accountant's message for one QuickBooks fault code."""
    payload = payload or {}
    details = {"code": fault.code, "detail": fault.detail, "status": status, "response_body": body}
    explanation = _explanation(fault)

    if fault.code == "6240":
        name = payload.get("DisplayName") or payload.get("Name") or ""
        named = f" named '{name}'" if name else " with this name"
        return DuplicateNameError(
            f"QuickBooks already has a customer, vendor or employee{named}.", **details
        )
    if fault.code == "5010":
        return StaleObjectError(
            "Someone changed this document in QuickBooks while we were updating it; "
            "it has to be read again before our change can be applied.",
            **details,
        )
    if fault.code in MISSING_REFERENCE_CODES:
        return PermanentERPError(
            "QuickBooks says something this record refers to is missing or inactive: "
            f"{explanation}",
            **details,
        )
    if fault.code == "2020":
        return PermanentERPError(
            f"QuickBooks needs a value that is missing: {explanation}", **details
        )
    if fault.code in ("6140", "6210"):
        number = payload.get("DocNumber") or ""
        numbered = f" numbered '{number}'" if number else " with this number"
        return PermanentERPError(f"QuickBooks already has a document{numbered}.", **details)
    if fault.code == "6000":
        return PermanentERPError(f"QuickBooks refused this record: {explanation}", **details)
    if fault.code == "2050":
        return PermanentERPError(
            f"A value is longer than QuickBooks allows: {explanation}", **details
        )
    if fault.code in AUTHORIZATION_CODES or fault.fault_type.upper() in (
        "AUTHENTICATION",
        "AUTHENTICATIONFAULT",
        "AUTHORIZATIONFAULT",
    ):
        return NotConnectedError(
            f"QuickBooks Online no longer accepts our connection ({explanation}). "
            + RECONNECT_ADVICE,
            **details,
        )
    if fault.fault_type == "SystemFault":
        return TransientERPError(
            f"QuickBooks Online had a problem on its side ({explanation}); we will try again.",
            **details,
        )
    return PermanentERPError(f"QuickBooks Online refused this: {explanation}", **details)


def _explanation(fault: Fault) -> str:
    """The most useful human part of a fault: the detail after QuickBooks' own 'Title : ' prefix."""
    detail = " ".join(fault.detail.split())
    _title, separator, rest = detail.partition(" : ")
    if separator and rest:
        detail = _unknown_id_sentence(rest) or rest
    elif detail.startswith("Business Validation Error: "):
        detail = detail.removeprefix("Business Validation Error: ")
    if detail:
        return detail
    return " ".join(fault.message.split()) or f"error {fault.code}"


def _unknown_id_sentence(detail: str) -> str:
    """'Names element id 42 not found' as a sentence; '' when the detail is not of that kind."""
    match = _UNKNOWN_ID.fullmatch(detail)
    if match is None or match["list"] not in _REFERENCE_LISTS:
        return ""
    return f"none of its {_REFERENCE_LISTS[match['list']]} has the id {match['id']}."


def _parse_body(text: str, content_type: str) -> Any:
    stripped = text.lstrip()
    if stripped.startswith("<"):
        return _parse_xml_fault(stripped)
    if not stripped:
        return None
    try:
        return parse_json(stripped)
    except ValueError:
        return None


def _parse_xml_fault(text: str) -> dict | None:
    """The Fault of an IntuitResponse as the JSON shape, or None when the XML is not one."""
    try:
        # The body is small and comes from the configured API host; Python's expat refuses
        # entity-expansion bombs and ElementTree never fetches external entities.
        root = ElementTree.fromstring(text)  # noqa: S314
    except ElementTree.ParseError:
        return None
    fault = next((node for node in root.iter() if _local(node.tag) == "Fault"), None)
    if fault is None:
        return None
    errors = []
    for node in fault:
        if _local(node.tag) != "Error":
            continue
        children = {_local(child.tag): (child.text or "") for child in node}
        errors.append(
            {
                "code": node.get("code", ""),
                "Message": children.get("Message", ""),
                "Detail": children.get("Detail", ""),
                "element": node.get("element", ""),
            }
        )
    return {"Fault": {"type": fault.get("type", ""), "Error": errors}}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _pick(item: dict, key: str) -> str:
    value = item.get(key)
    if value is None:
        value = item.get(key.lower())
    return "" if value is None else str(value)


def _normal_code(code: str) -> str:
    """'003200' in gateway messages and '3200' in the code field are the same code."""
    return code.lstrip("0") or code


def _retry_after_seconds(header: str | None, default: float) -> float:
    if not header:
        return default
    if re.fullmatch(r"\s*\d+(\.\d+)?\s*", header):
        return _bounded_wait(float(header))
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return default
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.UTC)
    return _bounded_wait((moment - timezone.now()).total_seconds())


def _bounded_wait(seconds: float) -> float:
    """An absurd Retry-After (a huge number, a date years ahead) must neither stall the realm for
    good nor overflow the date of the next try; QuickBooks documents a wait of 60 seconds."""
    return min(max(0.0, seconds), MAX_RETRY_AFTER_SECONDS)


def _seconds(wait: float) -> str:
    rounded = max(1, round(wait))
    return "1 second" if rounded == 1 else f"{rounded} seconds"
