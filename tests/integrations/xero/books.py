"""Someone working in the Xero sandbox's organisation: contacts, tracking options, items, bills,
credit notes, spend money and payments typed in through the API, as a bookkeeper would."""

from __future__ import annotations

import itertools
from decimal import Decimal

from integrations.models import ERPConnection
from integrations.xero.client import XeroClient

_keys = itertools.count(1)


class SomeoneInXero:
    def __init__(self, connection: ERPConnection):
        self.connection = connection
        self.category_id = connection.settings["tracking_category_id"]

    def _write(self, method: str, resource: str, body) -> dict:
        with XeroClient(self.connection) as client:
            send = client.create if method == "PUT" else client.update
            return send(resource, body, idempotency_key=f"someone-{next(_keys)}-{resource}"[:128])

    def contact(self, name: str, **fields) -> str:
        answer = self._write("PUT", "Contacts", {"Contacts": [{"Name": name, **fields}]})
        return answer["Contacts"][0]["ContactID"]

    def archive_contact(self, contact_id: str) -> None:
        self._write(
            "POST",
            f"Contacts/{contact_id}",
            {"Contacts": [{"ContactID": contact_id, "ContactStatus": "ARCHIVED"}]},
        )

    def option(self, name: str) -> str:
        answer = self._write(
            "PUT", f"TrackingCategories/{self.category_id}/Options", {"Name": name}
        )
        return answer["Options"][0]["TrackingOptionID"]

    def archive_option(self, option_id: str) -> None:
        self._write(
            "POST",
            f"TrackingCategories/{self.category_id}/Options/{option_id}",
            {"Status": "ARCHIVED"},
        )

    def item(self, code: str, name: str) -> str:
        item = {"Code": code, "Name": name, "PurchaseDetails": {"AccountCode": "320"}}
        return self._write("PUT", "Items", {"Items": [item]})["Items"][0]["ItemID"]

    def change_item(self, item_id: str, **fields) -> None:
        self._write("POST", "Items", {"Items": [{"ItemID": item_id, **fields}]})

    def _delete(self, resource: str) -> int:
        """A DELETE, which the connector never sends: its HTTP status."""
        with XeroClient(self.connection) as client:
            client.organisation()  # a fresh access token for the request below
            return client.session.delete(
                f"{client.base_url}/{resource}",
                headers={
                    "xero-tenant-id": client.tenant_id,
                    "Authorization": f"Bearer {self.connection.access_token}",
                },
                timeout=10,
            ).status_code

    def delete_item(self, item_id: str) -> None:
        assert self._delete(f"Items/{item_id}") == 204

    def delete_option(self, option_id: str) -> None:
        assert self._delete(f"TrackingCategories/{self.category_id}/Options/{option_id}") == 200

    def line(self, amount: str, *, option: str = "", item_code: str = "", account: str = "320"):
        line = {
            "Description": f"Work {amount}",
            "Quantity": Decimal(1),
            "UnitAmount": Decimal(amount),
            "AccountCode": account,
            "TaxType": "INPUT",
        }
        if item_code:
            line["ItemCode"] = item_code
        if option:
            line["Tracking"] = [
                {"TrackingCategoryID": self.category_id, "TrackingOptionID": option}
            ]
        return line

    def bill(self, contact_id: str, number: str, lines: list, *, status="AUTHORISED") -> str:
        bill = {
            "Type": "ACCPAY",
            "Contact": {"ContactID": contact_id},
            "Date": "2026-05-31",
            "DueDate": "2026-06-30",
            "InvoiceNumber": number,
            "Status": status,
            "LineAmountTypes": "Exclusive",
            "LineItems": lines,
        }
        return self._write("PUT", "Invoices", {"Invoices": [bill]})["Invoices"][0]["InvoiceID"]

    def send(self, bill: dict) -> str:
        return self._write("PUT", "Invoices", {"Invoices": [bill]})["Invoices"][0]["InvoiceID"]

    def purchase_order(self, order: dict) -> str:
        answer = self._write("PUT", "PurchaseOrders", {"PurchaseOrders": [order]})
        return answer["PurchaseOrders"][0]["PurchaseOrderID"]

    def set_purchase_order(self, order_id: str, **fields) -> None:
        self._write(
            "POST",
            f"PurchaseOrders/{order_id}",
            {"PurchaseOrders": [{"PurchaseOrderID": order_id, **fields}]},
        )

    def set_bill(self, bill_id: str, **fields) -> None:
        self._write("POST", f"Invoices/{bill_id}", {"Invoices": [{"InvoiceID": bill_id, **fields}]})

    def credit_note(self, contact_id: str, number: str, lines: list) -> str:
        note = {
            "Type": "ACCPAYCREDIT",
            "Contact": {"ContactID": contact_id},
            "Date": "2026-06-02",
            "CreditNoteNumber": number,
            "Status": "AUTHORISED",
            "LineAmountTypes": "Exclusive",
            "LineItems": lines,
        }
        answer = self._write("PUT", "CreditNotes", {"CreditNotes": [note]})
        return answer["CreditNotes"][0]["CreditNoteID"]

    def spend_money(self, contact_id: str, reference: str, lines: list) -> str:
        spend = {
            "Type": "SPEND",
            "Contact": {"ContactID": contact_id},
            "BankAccount": {"Code": "090"},
            "Date": "2026-06-03",
            "Reference": reference,
            "LineAmountTypes": "Exclusive",
            "LineItems": lines,
        }
        answer = self._write("PUT", "BankTransactions", {"BankTransactions": [spend]})
        return answer["BankTransactions"][0]["BankTransactionID"]

    def pay(self, bill_id: str, amount: str) -> str:
        payment = {
            "Invoice": {"InvoiceID": bill_id},
            "Account": {"Code": "090"},
            "Amount": Decimal(amount),
            "Date": "2026-06-15",
        }
        return self._write("POST", "Payments", payment)["Payments"][0]["PaymentID"]

    def delete_payment(self, payment_id: str) -> None:
        self._write("POST", f"Payments/{payment_id}", {"Status": "DELETED"})
