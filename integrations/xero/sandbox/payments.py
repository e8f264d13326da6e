"""Payments of bills: each lowers its bill's `AmountDue` (the bill becomes PAID at zero) and is
listed on the bill; deleting a payment (`Status: DELETED`) gives the amount back."""

from __future__ import annotations

from decimal import Decimal

from . import documents, wire
from .books import Books
from .faults import Invalid
from .fields import is_uuid, new_id, number

KIND = "Payment"


def _bill(books: Books, given) -> dict:
    if not isinstance(given, dict) or not (given.get("InvoiceID") or given.get("InvoiceNumber")):
        raise Invalid("An Invoice must be specified, by InvoiceID or InvoiceNumber.")
    if given.get("InvoiceID"):
        if not is_uuid(given["InvoiceID"]):
            raise Invalid(f"InvoiceID {given['InvoiceID']} is not valid.")
        bill = books.unit.get("Invoice", str(given["InvoiceID"]))
    else:
        number = str(given["InvoiceNumber"]).lower()
        matches = [
            invoice
            for invoice in books.unit.all("Invoice")
            if invoice.get("InvoiceNumber", "").lower() == number
            and invoice["Status"] == "AUTHORISED"
        ]
        bill = matches[0] if len(matches) == 1 else None
    if bill is None:
        raise Invalid("The invoice could not be found.")
    return bill


def _account(books: Books, given) -> dict:
    if not isinstance(given, dict) or not (given.get("AccountID") or given.get("Code")):
        raise Invalid("An Account must be specified, by AccountID or Code.")
    account = books.account(code=given.get("Code"), account_id=given.get("AccountID"))
    if account is None or account["Status"] != "ACTIVE":
        raise Invalid("The account could not be found.")
    if account["Type"] != "BANK" and not account.get("EnablePaymentsToAccount"):
        raise Invalid(
            f"Account code '{account['Code']}' is not a bank account and does not accept payments."
        )
    return account


def create(books: Books, element: dict) -> dict:
    bill = _bill(books, element.get("Invoice"))
    account = _account(books, element.get("Account"))
    amount = number(element, "Amount")
    # Rounded to the cent first: 0.004 is a payment of nothing.
    if amount is None or wire.money(amount) <= 0:
        raise Invalid("Payment amount must be greater than zero.")
    amount = wire.money(amount)
    if bill["Status"] != "AUTHORISED":
        raise Invalid("Payments can only be made against an AUTHORISED invoice.")
    if amount > Decimal(str(bill["AmountDue"])):
        raise Invalid("Payment amount exceeds the amount outstanding on this document.")
    day = wire.parse_date(element.get("Date")) if element.get("Date") is not None else books.today()
    if day is None:
        raise Invalid("Date is not a valid date.")
    documents.check_lock_dates(books, day)
    payment_id = new_id()
    reference = element.get("Reference")
    payment = {
        "PaymentID": payment_id,
        "Date": wire.ms_date(day),
        "BankAmount": amount,
        "Amount": amount,
        "Reference": reference if isinstance(reference, str) else "",
        "CurrencyRate": Decimal("1.000000"),
        "PaymentType": "ACCPAYPAYMENT",
        "Status": "AUTHORISED",
        "IsReconciled": False,
        "HasAccount": True,
        "HasValidationErrors": False,
        "Account": {"AccountID": account["AccountID"], "Code": account["Code"]},
        "Invoice": _bill_summary(bill),
    }
    stored = books.unit.save(KIND, payment_id, payment)
    _apply_to_bill(books, bill, stored, amount)
    return stored


def delete(books: Books, payment: dict, element: dict) -> dict:
    if element.get("Status") != "DELETED":
        raise Invalid("A payment can only be deleted (Status DELETED) through the API.")
    if payment["Status"] == "DELETED":
        raise Invalid("This payment has already been deleted.")
    bill = books.unit.get("Invoice", payment["Invoice"]["InvoiceID"])
    stored = books.unit.save(KIND, payment["PaymentID"], {**payment, "Status": "DELETED"})
    _apply_to_bill(books, bill, stored, -Decimal(str(payment["Amount"])))
    return stored


def _bill_summary(bill: dict) -> dict:
    summary = {
        "InvoiceID": bill["InvoiceID"],
        "Type": bill["Type"],
        "Contact": bill["Contact"],
        "LineItems": [],
        "Payments": [],
        "CreditNotes": [],
        "Prepayments": [],
        "Overpayments": [],
        "HasErrors": False,
        "IsDiscounted": False,
        "CurrencyCode": bill["CurrencyCode"],
    }
    if bill.get("InvoiceNumber"):
        summary["InvoiceNumber"] = bill["InvoiceNumber"]
    return summary


def _apply_to_bill(books: Books, bill: dict, payment: dict, amount: Decimal) -> None:
    paid = wire.money(Decimal(str(bill["AmountPaid"])) + amount)
    due = wire.money(Decimal(str(bill["Total"])) - paid)
    listed = [p for p in bill["Payments"] if p["PaymentID"] != payment["PaymentID"]]
    if payment["Status"] == "AUTHORISED":
        listed.append(
            {
                "PaymentID": payment["PaymentID"],
                "Date": payment["Date"],
                "Amount": payment["Amount"],
                "Reference": payment["Reference"],
                "CurrencyRate": payment["CurrencyRate"],
                "HasAccount": True,
                "HasValidationErrors": False,
            }
        )
    updated = {**bill, "AmountPaid": paid, "AmountDue": due, "Payments": listed}
    if due == 0:
        updated["Status"] = "PAID"
        updated["FullyPaidOnDate"] = payment["Date"]
    else:
        updated["Status"] = "AUTHORISED"
        updated.pop("FullyPaidOnDate", None)
    books.unit.save("Invoice", bill["InvoiceID"], updated)
    books.unit.notify("INVOICE", "Invoices", bill["InvoiceID"], "UPDATE")
