"""Whatever QuickBooks Online (or a proxy in front of it) answers, the client reads it as a body or
as a classified ERPError with a message for people; no other exception reaches the worker."""

import json
import math

import requests
from hypothesis import example, given, settings
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict

from integrations.base import ERPError, TransientERPError
from integrations.quickbooks_online import errors

STATUS = st.one_of(
    st.sampled_from([200, 400, 401, 403, 404, 429, 500, 502, 503]), st.integers(200, 599)
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
FAULT_KEYS = st.sampled_from(
    ["code", "Message", "Detail", "element", "message", "detail", "Code", "type", "Error"]
)
FAULT_ITEM = st.dictionaries(FAULT_KEYS, JSON_VALUES, max_size=5)
FAULT_BODY = st.builds(
    lambda outer, kind, items, extra: {outer: {"type": kind, "Error": items}, **extra},
    st.sampled_from(["Fault", "fault"]),
    JSON_VALUES,
    st.one_of(st.lists(FAULT_ITEM | JSON_VALUES, max_size=3), JSON_VALUES),
    st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=2),
)
XML_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30)
XML_BODY = st.builds(
    lambda code, message, detail, kind: (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3">'
        f'<Fault type="{kind}"><Error code="{code}"><Message>{message}</Message>'
        f"<Detail>{detail}</Detail></Error></Fault></IntuitResponse>"
    ),
    XML_TEXT,
    XML_TEXT,
    XML_TEXT,
    XML_TEXT,
)


def body_bytes(value) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value).encode()


def truncated(text: str, cut: float) -> bytes:
    data = text.encode()
    return data[: int(len(data) * cut)]


BODIES = st.one_of(
    st.binary(max_size=200),
    JSON_VALUES.map(body_bytes),
    FAULT_BODY.map(body_bytes),
    XML_BODY.map(str.encode),
    st.tuples(FAULT_BODY.map(json.dumps), st.floats(0, 1)).map(lambda pair: truncated(*pair)),
    st.tuples(XML_BODY, st.floats(0, 1)).map(lambda pair: truncated(*pair)),
    st.text(max_size=100).map(str.encode),
)
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "Content-Type": st.sampled_from(
            ["application/json", "application/xml", "text/html", "text/plain; charset=latin-1", ""]
        ),
        "Retry-After": st.one_of(
            st.text(max_size=40),
            st.integers(0, 10**400).map(str),
            st.sampled_from(
                [
                    "Wed, 21 Oct 2015 07:28:00 GMT",
                    "Wed, 21 Oct 2015 07:28:00 -0000",
                    "Fri, 31 Dec 9999 23:59:59 GMT",
                    "1e9",
                    "-5",
                    "NaN",
                ]
            ),
        ),
        "intuit_tid": st.text(max_size=20),
    },
)


def answer(status: int, body: bytes, headers: dict) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers = CaseInsensitiveDict(headers)
    response.url = "https://quickbooks.api.intuit.com/v3/company/1/vendor"
    return response


@settings(max_examples=400, deadline=None)
@given(status=STATUS, body=BODIES, headers=HEADERS)
@example(status=429, body=b"", headers={"Retry-After": "1" * 400})
@example(status=429, body=b"", headers={"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"})
@example(status=200, body=b'{"Fault": {"Error": [{"code": null}]}}', headers={})
@example(status=401, body=b"<IntuitResponse><Fault><Error", headers={})
def test_every_answer_is_a_body_or_a_classified_error(status, body, headers):
    try:
        parsed = errors.read_answer(answer(status, body, headers), payload={"DisplayName": "Acme"})
    except ERPError as error:
        assert isinstance(error.message, str)
        assert error.message.strip()
        assert "Traceback" not in error.message
        if status >= 500 or status == 429:
            assert isinstance(error, TransientERPError)
        if error.retry_after is not None:
            assert math.isfinite(error.retry_after)
            assert 0 <= error.retry_after <= errors.MAX_RETRY_AFTER_SECONDS
    else:
        assert status < 400
        assert isinstance(parsed, dict)
        assert not errors.faults_in(parsed)


@settings(max_examples=150, deadline=None)
@given(item=st.one_of(FAULT_BODY, st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4)))
def test_every_batch_item_is_a_success_or_a_classified_error(item):
    error = errors.error_for_batch_item(item, payload={"DocNumber": "1043"})
    assert error is None or (isinstance(error, ERPError) and error.message.strip())
