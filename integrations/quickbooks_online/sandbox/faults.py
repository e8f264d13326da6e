"""QuickBooks Online error bodies, exactly as the reference records them.

`QBOFault` is raised anywhere in the sandbox; the HTTP layer turns it into the response.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from .wire import envelope_time, now

VALIDATION = "ValidationFault"

DUPLICATE_NAME_DETAIL = (
    "The name supplied already exists. : Another customer, vendor or employee is already using "
    "this \nname. Please use a different name."
)
OBJECT_NOT_FOUND_DETAIL = (
    "Object Not Found : Something you're trying to use has been made inactive. Check the fields "
    "with accounts, customers, items, vendors or employees."
)
INVALID_REFERENCE_MESSAGE = "Invalid Reference Id"
INACTIVE_REFERENCE_REASON = (
    "Something you're trying to use has been made inactive. Check the fields with accounts, "
    "customers, items, vendors or employees."
)
STALE_OBJECT_DETAIL = (
    "Stale Object Error : You and root were working on this at the same time. root finished "
    "before you did, so your work was not saved."
)
BUSINESS_MESSAGE = "A business validation error has occurred while processing your request"
THROTTLE_MESSAGE = "message=ThrottleExceeded; errorCode=003001; statusCode=429"
THROTTLE_DETAIL = "The request limit was reached.  Try again later"


class QBOFault(Exception):
    """One QuickBooks `Fault`. `element` None leaves the key out (query faults have none)."""

    def __init__(
        self,
        code: str,
        message: str,
        detail: str,
        *,
        status: int = 400,
        fault_type: str = VALIDATION,
        element: str | None = "",
    ):
        super().__init__(f"{code} {message}: {detail}")
        self.code = code
        self.message = message
        self.detail = detail
        self.status = status
        self.fault_type = fault_type
        self.element = element

    def fault(self) -> dict:
        error = {"Message": self.message, "Detail": self.detail, "code": self.code}
        if self.element is not None:
            error["element"] = self.element
        return {"Error": [error], "type": self.fault_type}

    def body(self) -> dict:
        return {"Fault": self.fault(), "time": envelope_time()}


def duplicate_name(detail: str = DUPLICATE_NAME_DETAIL) -> QBOFault:
    return QBOFault("6240", "Duplicate Name Exists Error", detail)


def object_not_found(element: str = "") -> QBOFault:
    return QBOFault("610", "Object Not Found", OBJECT_NOT_FOUND_DETAIL, element=element)


def invalid_reference(element: str, reason: str = INACTIVE_REFERENCE_REASON) -> QBOFault:
    """2500: a transaction refers to a name-list record that is missing, deleted or inactive."""
    return QBOFault(
        "2500",
        INVALID_REFERENCE_MESSAGE,
        f"{INVALID_REFERENCE_MESSAGE} : {reason}",
        element=element,
    )


def stale_object() -> QBOFault:
    return QBOFault("5010", "Stale Object Error", STALE_OBJECT_DETAIL)


def required_param(name: str) -> QBOFault:
    return QBOFault(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {name} is missing in the request",
        element=name,
    )


def string_too_long(name: str, maximum: int, supplied: int) -> QBOFault:
    return QBOFault(
        "2050",
        "String length specified does not match the supported length",
        f"Min:0 Max:{maximum:,} supported. Supplied length:{supplied:,}",
        element=name,
    )


def invalid_value(name: str, detail: str) -> QBOFault:
    return QBOFault("2010", "Request has invalid or unsupported property", detail, element=name)


def business_rule(detail: str) -> QBOFault:
    return QBOFault("6000", BUSINESS_MESSAGE, f"Business Validation Error: {detail}")


def duplicate_document_number(doc_number: str, txn_type: str, txn_id: int) -> QBOFault:
    return QBOFault(
        "6140",
        "Duplicate Document Number Error",
        "Duplicate Document Number Error : You must specify a different number. This number has "
        f"already been used. DocNumber={doc_number} is assigned to TxnType={txn_type} "
        f"with TxnId={txn_id}",
    )


def unsupported_operation(detail: str) -> QBOFault:
    return QBOFault("500", "Unsupported Operation", detail)


def query_parse_error(detail: str) -> QBOFault:
    return QBOFault("4000", "Error parsing query", f"QueryParserError: {detail}", element=None)


def query_validation_error(detail: str) -> QBOFault:
    return QBOFault("4001", "Invalid query", f"QueryValidationError: {detail}", element=None)


def system_failure() -> QBOFault:
    return QBOFault(
        "10000",
        "An application error has occurred while processing your request",
        "System Failure Error: An unexpected error occurred while accessing or saving your data.",
        status=500,
        fault_type="SystemFault",
    )


def gateway_body(code: str, message: str, detail: str, fault_type: str) -> dict:
    """The API gateway's own envelope (lower-case keys) used for 401 and 403."""
    return {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [{"message": message, "detail": detail, "code": code, "element": None}],
            "type": fault_type,
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": int(now() * 1000),
        "status": None,
        "cdcresponse": [],
    }


def authentication_failed(detail: str) -> dict:
    return gateway_body(
        "3200",
        "message=AuthenticationFailed; errorCode=003200; statusCode=401",
        detail,
        "AUTHENTICATION",
    )


def authorization_failed(detail: str) -> dict:
    return gateway_body(
        "3100",
        "message=AuthorizationFailed; errorCode=003100; statusCode=403",
        detail,
        "SERVICE",
    )


def throttle_json() -> dict:
    return {
        "Fault": {
            "Error": [{"Message": THROTTLE_MESSAGE, "Detail": THROTTLE_DETAIL, "code": "3001"}],
            "type": "SERVICE",
        },
        "time": envelope_time(),
    }


def xml_fault(code: str, message: str, detail: str, fault_type: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{envelope_time()}">'
        f'<Fault type="{escape(fault_type)}"><Error code="{escape(code)}">'
        f"<Message>{escape(message)}</Message><Detail>{escape(detail)}</Detail>"
        f"</Error></Fault></IntuitResponse>"
    ).encode()


def throttle_xml() -> bytes:
    return xml_fault("3001", THROTTLE_MESSAGE, THROTTLE_DETAIL, "SERVICE")
