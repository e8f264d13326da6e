"""Xero's error answers: the 400 `ValidationException` (and `QueryParseException`) bodies, the
identity service's problem bodies for 401/403, the plain-text 404 and 503, and the 500
`UnknownErrorException`. `XeroError` is raised anywhere in the sandbox; the HTTP layer turns it
into the response.
"""

from __future__ import annotations

import uuid

VALIDATION_MESSAGE = "A validation exception occurred"
NOT_FOUND_TEXT = "The resource you're looking for cannot be found"
OFFLINE_TEXT = "The Xero API is currently offline for maintenance"
UNKNOWN_ERROR_MESSAGE = (
    "An error occurred in Xero. Check the API Status page http://status.developer.xero.com for "
    "current service status. Contact the API support team at api@xero.com for more assistance."
)


class XeroError(Exception):
    """An answer other than 2xx: `status`, and `body` (a dict, or text for 404/503)."""

    def __init__(self, status: int, body, *, content_type: str = "application/json"):
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.content_type = content_type


class Invalid(Exception):
    """One element failed validation: its messages, in the order Xero would list them."""

    def __init__(self, *messages: str):
        super().__init__("; ".join(messages))
        self.messages = list(messages)


def validation_error(elements: list[dict]) -> XeroError:
    return XeroError(
        400,
        {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": VALIDATION_MESSAGE,
            "Elements": elements,
        },
    )


def request_error(message: str) -> XeroError:
    """A 400 about the request as a whole (no element to echo)."""
    return XeroError(400, {"ErrorNumber": 10, "Type": "ValidationException", "Message": message})


def query_parse_error(message: str) -> XeroError:
    return XeroError(400, {"ErrorNumber": 16, "Type": "QueryParseException", "Message": message})


def not_found() -> XeroError:
    return XeroError(404, NOT_FOUND_TEXT, content_type="text/plain; charset=utf-8")


def not_implemented() -> XeroError:
    """501, as Xero answers `POST /Organisation`; also what the sandbox answers for writes it
    does not emulate (tax rates)."""
    return XeroError(501, "The method is not implemented", content_type="text/plain; charset=utf-8")


def unknown_error() -> XeroError:
    return XeroError(
        500, {"ErrorNumber": 500, "Type": "UnknownErrorException", "Message": UNKNOWN_ERROR_MESSAGE}
    )


def offline() -> XeroError:
    return XeroError(503, OFFLINE_TEXT, content_type="text/plain; charset=utf-8")


def problem(status: int, title: str, detail: str) -> dict:
    """The identity service's problem-details body (401, 403, 429)."""
    return {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }


def unauthorized(detail: str = "AuthenticationUnsuccessful") -> XeroError:
    return XeroError(401, problem(401, "Unauthorized", detail))


def forbidden(detail: str = "AuthenticationUnsuccessful") -> XeroError:
    return XeroError(403, problem(403, "Forbidden", detail))


def too_many_requests(limit: str) -> dict:
    return problem(429, "Too Many Requests", f"You've exceeded the per {limit} rate limit")
