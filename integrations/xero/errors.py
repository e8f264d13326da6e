"""Every Xero answer is read here, once, and either parsed or turned into an error an accountant
can read.

Transient (worth trying again later): connection errors, timeouts, 429 (with the wait Xero
asks, `Retry-After`; the concurrent limit sends none), any 5xx, and a 200 whose body we cannot
read (Xero said OK, so a write may have been stored: the retry looks the document up first).
Permanent (a person must act): 400 ValidationException (the messages of every element's
ValidationErrors, kept on the error), 404, other 4xx; 401/403 after a token refresh did not help
mean Xero no longer accepts the connection.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from requests.exceptions import InvalidSchema, InvalidURL, MissingSchema

from integrations.base import (
    ERPError,
    NotConnectedError,
    PermanentERPError,
    RateLimitedError,
    TransientERPError,
)
from integrations.exact_json import parse_json

logger = logging.getLogger(__name__)

MAX_RETRY_AFTER_SECONDS = 86400.0
RECONNECT_ADVICE = "An administrator must reconnect Xero (ERP Integrations → Xero connection)."


class XeroError(PermanentERPError):
    """Xero refused the request: `validation_errors` are the messages Xero gave for each element
    (its ValidationErrors), in order, and `elements` the elements it echoed with them."""

    def __init__(
        self,
        message: str,
        *,
        validation_errors: list[str] | None = None,
        elements: list[dict] | None = None,
        **kwargs,
    ):
        super().__init__(message, **kwargs)
        self.validation_errors = validation_errors or []
        self.elements = elements or []


class ThrottledError(RateLimitedError):
    """Xero counted too many calls; `retry_after` says how long to wait, `limit` which limit
    (minute, day, concurrent, appminute). Not a failed try: the work waits and runs again."""

    def __init__(self, message: str, *, limit: str = "", **kwargs):
        super().__init__(message, **kwargs)
        self.limit = limit


def read_answer(response: requests.Response) -> Any:
    """The parsed JSON body of a successful answer; raises the classified ERPError otherwise."""
    status = response.status_code
    text = response.text
    body = _parse_body(text)
    if 200 <= status < 300:
        if body is None:
            raise TransientERPError(
                "Xero sent an answer we could not read; we will check what happened and try again.",
                status=status,
                detail=text[:500],
                response_body=text[:2000],
            )
        return body
    error = error_for_status(response, body, text)
    # A 404 is most often a look-up finding nothing, which is what it should find.
    level = logging.INFO if status == 404 else logging.WARNING
    logger.log(level, "Xero answered %s: %s", status, error.detail or error.message)
    raise error


def error_for_status(response: requests.Response, body: Any, text: str) -> ERPError:
    status = response.status_code
    kept = body if body is not None else text[:2000]
    if status == 429:
        limit = response.headers.get("X-Rate-Limit-Problem", "").lower()
        wait = _retry_after_seconds(response.headers.get("Retry-After"), limit)
        return ThrottledError(
            _throttled_sentence(limit, wait),
            limit=limit,
            code="429",
            status=status,
            retry_after=wait,
            response_body=kept,
        )
    if status >= 500:
        return TransientERPError(
            f"Xero had a problem on its side (HTTP {status}); we will try again.",
            status=status,
            detail=_detail(body, text),
            response_body=kept,
        )
    if status in (401, 403):
        return NotConnectedError(
            f"Xero no longer accepts our connection (HTTP {status}, "
            f"{_detail(body, text) or 'no reason given'}). " + RECONNECT_ADVICE,
            code=str(status),
            status=status,
            detail=_detail(body, text),
            response_body=kept,
        )
    if status == 404:
        return XeroError(
            "Xero has no such document: it may have been deleted in Xero.",
            code="404",
            status=status,
            detail=text[:500],
            response_body=kept,
        )
    if isinstance(body, dict) and body.get("Type") == "ValidationException":
        messages, elements = validation_messages(body)
        sentence = " ".join(_sentence(m) for m in messages) or _sentence(
            str(body.get("Message") or "Xero refused the request")
        )
        return XeroError(
            f"Xero refused it: {sentence}",
            validation_errors=messages,
            elements=elements,
            code="ValidationException",
            status=status,
            detail="; ".join(messages) or str(body.get("Message", "")),
            response_body=kept,
        )
    return XeroError(
        f"Xero refused the request (HTTP {status}): {_detail(body, text) or 'without saying why'}.",
        code=str(status),
        status=status,
        detail=_detail(body, text),
        response_body=kept,
    )


def element_refusal(element: dict) -> XeroError | None:
    """What Xero said of one element of a `summarizeErrors=false` write: None when it was
    stored, else its refusal, worded as if the element had been sent alone."""
    if element.get("StatusAttributeString") != "ERROR":
        return None
    messages = element_errors(element)
    sentence = " ".join(_sentence(m) for m in messages) or "Xero refused it without saying why."
    return XeroError(
        f"Xero refused it: {sentence}",
        validation_errors=messages,
        elements=[element],
        code="ValidationException",
        status=200,
        detail="; ".join(messages),
        response_body=element,
    )


def validation_messages(body: dict) -> tuple[list[str], list[dict]]:
    """Each element's ValidationErrors messages (lines' too), without repeats, and the elements."""
    elements = [e for e in body.get("Elements") or [] if isinstance(e, dict)]
    messages: list[str] = []
    for element in elements:
        for message in element_errors(element):
            if message not in messages:
                messages.append(message)
    return messages, elements


def element_errors(element: dict) -> list[str]:
    """The ValidationErrors of one element and of its lines."""
    found = [
        str(error.get("Message", "")).strip()
        for error in element.get("ValidationErrors") or []
        if isinstance(error, dict) and error.get("Message")
    ]
    for line in element.get("LineItems") or []:
        if isinstance(line, dict):
            found += element_errors(line)
    return found


def error_for_exception(exc: requests.RequestException) -> ERPError:
    """A request that got no usable answer: we do not know whether Xero did the work."""
    if isinstance(exc, (InvalidURL, InvalidSchema, MissingSchema)):
        return PermanentERPError(
            "The Xero address in this site's settings is not a valid URL (XERO_API_BASE_URL / "
            "XERO_IDENTITY_BASE_URL). Ask whoever runs this site to fix it.",
            detail=f"{type(exc).__name__}: {exc}",
        )
    if isinstance(exc, requests.Timeout):
        message = "Xero did not answer in time; we will try again."
    else:
        message = "We could not reach Xero; we will try again."
    return TransientERPError(message, detail=f"{type(exc).__name__}: {exc}")


def _parse_body(text: str) -> Any:
    try:
        return parse_json(text)
    except ValueError:
        return None


def _detail(body: Any, text: str) -> str:
    if isinstance(body, dict):
        return str(body.get("Detail") or body.get("Message") or body.get("Title") or "")
    return text.strip()[:300]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _retry_after_seconds(header: str | None, limit: str) -> float:
    try:
        seconds = float(header) if header else 0.0
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        # Xero sends no Retry-After for the concurrent limit: a call ends within seconds.
        seconds = 1.0 if limit == "concurrent" else 60.0
    return min(seconds, MAX_RETRY_AFTER_SECONDS)


def _throttled_sentence(limit: str, wait: float) -> str:
    if limit == "day":
        return (
            "This Xero organisation's daily allowance of calls is used up; exports carry on "
            f"when Xero allows again (in about {_duration(wait)})."
        )
    return f"Xero is receiving too many calls from us; we will try again in {_duration(wait)}."


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{round(seconds)} seconds"
    if seconds < 5400:
        return f"{round(seconds / 60)} minutes"
    return f"{round(seconds / 3600)} hours"
