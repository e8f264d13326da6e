from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests


class CompanyAPI:
    """Plain `requests` against the sandbox's company API, as any QuickBooks client would."""

    def __init__(self, handle, access_token: str, realm_id: str | None = None):
        self.handle = handle
        self.realm_id = realm_id or handle.realm_id
        self.base = f"{handle.base_url}/v3/company/{self.realm_id}"
        self.session = requests.Session()
        self.session.headers.update(
            {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        )

    def url(self, path: str) -> str:
        return f"{self.base}/{path}"

    def post(self, path: str, payload, **params) -> requests.Response:
        params.setdefault("minorversion", 75)
        # Objects read back hold Decimal amounts; they go out again as numeric strings.
        body = json.dumps(payload, default=str)
        return self.session.post(
            self.url(path),
            data=body,
            params=params,
            headers={"Content-Type": "application/json"},
            timeout=10,
        )

    def get(self, path: str, **params) -> requests.Response:
        params.setdefault("minorversion", 75)
        return self.session.get(self.url(path), params=params, timeout=10)

    def query(self, text: str) -> requests.Response:
        return self.get("query", query=text)

    def create(self, entity: str, payload: dict) -> dict:
        response = self.post(entity.lower(), payload)
        assert response.status_code == 200, response.text
        return json_of(response)[entity]


def json_of(response: requests.Response):
    return response.json(parse_float=Decimal)


@pytest.fixture
def api(qbo_sandbox) -> CompanyAPI:
    return CompanyAPI(qbo_sandbox, qbo_sandbox.issue_tokens()["access_token"])


@pytest.fixture
def accounts(qbo_sandbox) -> dict[str, str]:
    """Starter account ids by name."""
    return {account["Name"]: account["Id"] for account in qbo_sandbox.entities("Account")}


@pytest.fixture
def vendor(api) -> dict:
    return api.create("Vendor", {"DisplayName": "Acme Drywall"})


def expense_line(amount, account_id: str, **detail) -> dict:
    return {
        "DetailType": "AccountBasedExpenseLineDetail",
        "Amount": amount,
        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account_id}, **detail},
    }
