"""Xero's own Python SDK (xero-python) against the sandbox, changing only where it connects.

The SDK's accounting and identity base URLs are constructor arguments; its token and revocation
URLs are class attributes of `TokenApi`, set here for the test's duration. The authorization
code exchange is the app's side of OAuth (the SDK leaves it to an OAuth library), done here with
`requests` as such a library would.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from xero_python.accounting import (
    Account,
    AccountingApi,
    Contact,
    Contacts,
    Invoice,
    Invoices,
    LineAmountTypes,
    LineItem,
    LineItemTracking,
    Payment,
    PurchaseOrder,
    PurchaseOrders,
    TrackingCategory,
    TrackingOption,
)
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi
from xero_python.exceptions import AccountingBadRequestException
from xero_python.identity import IdentityApi

REDIRECT_URI = "http://127.0.0.1:9/xero/callback"
SCOPE = (
    "openid profile email offline_access accounting.transactions accounting.contacts "
    "accounting.settings"
)


def authorize(handle) -> dict:
    """The code flow as the app runs it: consent (auto-approved), then the code for tokens."""
    answer = requests.get(
        f"{handle.base_url}/identity/connect/authorize",
        params={
            "response_type": "code",
            "client_id": handle.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": SCOPE,
            "state": "csrf-1",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302
    returned = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert returned["state"] == ["csrf-1"]
    tokens = requests.post(
        f"{handle.base_url}/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": returned["code"][0],
            "redirect_uri": REDIRECT_URI,
        },
        auth=(handle.client_id, handle.client_secret),
        timeout=10,
    )
    assert tokens.status_code == 200, tokens.text
    return tokens.json()


@pytest.fixture
def sdk(xero_sandbox, monkeypatch):
    """(ApiClient, AccountingApi, IdentityApi, token store) pointed at the sandbox."""
    base = xero_sandbox.base_url
    monkeypatch.setattr(TokenApi, "refresh_token_url", f"{base}/connect/token")
    monkeypatch.setattr(TokenApi, "revoke_token_url", f"{base}/connect/revocation")
    store: dict = {}
    client = ApiClient(
        Configuration(
            oauth2_token=OAuth2Token(
                client_id=xero_sandbox.client_id, client_secret=xero_sandbox.client_secret
            )
        ),
        pool_threads=1,
    )
    client.oauth2_token_getter(lambda: store.get("token"))
    client.oauth2_token_saver(lambda token: store.__setitem__("token", token))
    yield (
        client,
        AccountingApi(client, base_url=f"{base}/api.xro/2.0"),
        IdentityApi(client, base_url=base),
        store,
    )


def test_the_official_sdk_works_against_the_sandbox(xero_sandbox, sdk):
    client, accounting, identity, store = sdk

    # OAuth: the code flow, then a refresh through the SDK, which rotates the refresh token.
    first = authorize(xero_sandbox)
    assert set(first) == {
        "access_token",
        "expires_in",
        "token_type",
        "refresh_token",
        "id_token",
        "scope",
    }
    assert first["expires_in"] == 1800
    client.set_oauth2_token({**first, "scope": first["scope"].split()})
    assert client.refresh_oauth2_token()
    assert store["token"]["refresh_token"] != first["refresh_token"]

    # Connections: the tenant the consent connected.
    connections = identity.get_connections()
    assert [c.tenant_type for c in connections] == ["ORGANISATION"]
    tenant = connections[0].tenant_id
    assert str(tenant) == xero_sandbox.tenant_id
    assert identity.get_connections(auth_event_id=connections[0].auth_event_id)

    # Contacts: many per call, each answered on its own with summarizeErrors=false.
    answer = accounting.create_contacts(
        tenant,
        Contacts(
            contacts=[
                Contact(name="Acme Drywall"),
                Contact(name="ACME DRYWALL"),
                Contact(name="Brick Co"),
            ]
        ),
        summarize_errors=False,
    )
    assert [c.status_attribute_string for c in answer.contacts] == ["OK", "ERROR", "OK"]
    assert "already assigned to another contact" in answer.contacts[1].validation_errors[0].message
    supplier = answer.contacts[0]
    assert supplier.is_supplier is False
    with pytest.raises(AccountingBadRequestException) as refused:
        accounting.create_contacts(tenant, Contacts(contacts=[Contact(name="Acme Drywall")]))
    assert "unique across all active contacts" in refused.value.reason

    # Tracking: a category and an option, used on the order's and the bill's lines.
    category = accounting.create_tracking_category(
        tenant, TrackingCategory(name="Job")
    ).tracking_categories[0]
    option = accounting.create_tracking_options(
        tenant, category.tracking_category_id, TrackingOption(name="J-2031 Smith Kitchen")
    ).options[0]
    assert option.status == "ACTIVE"
    job = [LineItemTracking(name="Job", option="J-2031 Smith Kitchen")]

    # A purchase order updated: the line sent with its id keeps it, the one left out goes.
    order = accounting.create_purchase_orders(
        tenant,
        PurchaseOrders(
            purchase_orders=[
                PurchaseOrder(
                    contact=Contact(contact_id=supplier.contact_id),
                    date=date(2026, 1, 15),
                    line_items=[
                        LineItem(
                            description="Framing",
                            quantity=Decimal(1),
                            unit_amount=Decimal("1000.00"),
                            account_code="320",
                            tracking=job,
                        ),
                        LineItem(
                            description="Drywall",
                            quantity=Decimal(2),
                            unit_amount=Decimal("250.00"),
                            account_code="320",
                            tracking=job,
                        ),
                    ],
                )
            ]
        ),
    ).purchase_orders[0]
    framing, drywall = order.line_items
    changed = accounting.update_purchase_order(
        tenant,
        order.purchase_order_id,
        PurchaseOrders(
            purchase_orders=[
                PurchaseOrder(
                    line_items=[
                        LineItem(line_item_id=framing.line_item_id, unit_amount=Decimal("1200.00")),
                        LineItem(
                            description="Paint",
                            quantity=Decimal(1),
                            unit_amount=Decimal("300.00"),
                            account_code="320",
                        ),
                    ]
                )
            ]
        ),
    ).purchase_orders[0]
    ids = [line.line_item_id for line in changed.line_items]
    assert ids[0] == framing.line_item_id and drywall.line_item_id not in ids and len(ids) == 2
    assert changed.line_items[0].tracking[0].option == "J-2031 Smith Kitchen"
    assert changed.sub_total == Decimal("1500.00")
    by_number = accounting.get_purchase_order_by_number(tenant, order.purchase_order_number)
    assert by_number.purchase_orders[0].purchase_order_id == order.purchase_order_id

    # An ACCPAY bill: tax computed on each line, to the cent; the same Idempotency-Key replays.
    bill = Invoices(
        invoices=[
            Invoice(
                type="ACCPAY",
                contact=Contact(contact_id=supplier.contact_id),
                date=date(2026, 1, 31),
                due_date=date(2026, 2, 28),
                invoice_number="SUP-1001",
                status="AUTHORISED",
                line_amount_types=LineAmountTypes.EXCLUSIVE,
                line_items=[
                    LineItem(
                        description="Lumber",
                        quantity=Decimal(3),
                        unit_amount=Decimal("33.33"),
                        account_code="310",
                        tracking=job,
                    ),
                    LineItem(
                        description="Nails",
                        quantity=Decimal(1),
                        unit_amount=Decimal("10.05"),
                        account_code="330",
                    ),
                ],
            )
        ]
    )
    created = accounting.create_invoices(tenant, bill, idempotency_key="bill-SUP-1001").invoices[0]
    replayed = accounting.create_invoices(tenant, bill, idempotency_key="bill-SUP-1001").invoices[0]
    assert replayed.invoice_id == created.invoice_id
    assert len(xero_sandbox.records("Invoice")) == 1
    assert [line.tax_amount for line in created.line_items] == [Decimal("10.00"), Decimal("1.01")]
    assert (created.sub_total, created.total_tax, created.total) == (
        Decimal("110.04"),
        Decimal("11.01"),
        Decimal("121.05"),
    )
    assert created.date == date(2026, 1, 31)
    assert accounting.get_contact(tenant, supplier.contact_id).contacts[0].is_supplier is True

    # Paging: 100 a page, with the pagination block.
    xero_sandbox.seed_contacts(150, prefix="Subcontractor")
    page_one = accounting.get_contacts(tenant, page=1, order="Name ASC")
    page_two = accounting.get_contacts(tenant, page=2, order="Name ASC")
    assert len(page_one.contacts) == 100 and len(page_two.contacts) == 52
    assert page_two.pagination.item_count == 152 and page_two.pagination.page_count == 2

    # A payment lowers the bill's AmountDue.
    accounting.create_payment(
        tenant,
        Payment(
            invoice=Invoice(invoice_id=created.invoice_id),
            account=Account(code="090"),
            amount=Decimal("21.05"),
            date=date(2026, 2, 1),
        ),
    )
    paid = accounting.get_invoice(tenant, created.invoice_id).invoices[0]
    assert (paid.amount_paid, paid.amount_due, paid.status) == (
        Decimal("21.05"),
        Decimal("100.00"),
        "AUTHORISED",
    )
