from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests


class XeroAPI:
    """Plain `requests` against the sandbox's accounting API, as any Xero client would."""

    def __init__(self, handle, access_token: str, tenant_id: str | None = None):
        self.handle = handle
        self.base = handle.api_url
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Authorization": f"Bearer {access_token}",
                "xero-tenant-id": tenant_id or handle.tenant_id,
                "Accept": "application/json",
            }
        )

    def url(self, path: str) -> str:
        return f"{self.base}/{path}"

    def send(self, method: str, path: str, payload=None, *, headers=None, **params):
        # Amounts read back are Decimal; they go out again as JSON numbers.
        body = None if payload is None else json.dumps(payload, default=_number)
        return self.session.request(
            method,
            self.url(path),
            data=body,
            params=params,
            headers={"Content-Type": "application/json", **(headers or {})},
            timeout=10,
        )

    def get(self, path: str, *, headers=None, **params) -> requests.Response:
        return self.send("GET", path, headers=headers, **params)

    def put(self, path: str, payload, **params) -> requests.Response:
        return self.send("PUT", path, payload, **params)

    def post(self, path: str, payload, **params) -> requests.Response:
        return self.send("POST", path, payload, **params)

    def create(self, envelope: str, element: dict) -> dict:
        response = self.put(envelope, {envelope: [element]})
        assert response.status_code == 200, response.text
        return json_of(response)[envelope][0]


def _number(value):
    """Decimal as a JSON number: a float's shortest repr keeps 2- and 4-place amounts exact."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value).__name__)


def json_of(response: requests.Response):
    return response.json(parse_float=Decimal)


def messages(response: requests.Response) -> list[str]:
    """The ValidationErrors messages of a 400 ValidationException."""
    return [
        error["Message"]
        for element in json_of(response)["Elements"]
        for error in element["ValidationErrors"]
    ]


@pytest.fixture
def api(xero_sandbox) -> XeroAPI:
    return XeroAPI(xero_sandbox, xero_sandbox.issue_tokens()["access_token"])


@pytest.fixture
def supplier(api) -> dict:
    return api.create("Contacts", {"Name": "Acme Drywall"})


def bill(contact_id: str, *lines: dict, **fields) -> dict:
    return {
        "Type": "ACCPAY",
        "Contact": {"ContactID": contact_id},
        "LineItems": list(lines),
        **fields,
    }


def line(amount=None, account: str = "310", **fields) -> dict:
    given = {"Description": "Work", "AccountCode": account, **fields}
    if amount is not None:
        given["LineAmount"] = amount
    return given
