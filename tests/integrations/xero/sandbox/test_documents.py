"""Purchase orders, bills, supplier credit notes, spend money and payments: lines kept by id,
tax per line to the cent under each LineAmountTypes, statuses, lock dates, AmountDue."""

from __future__ import annotations

from decimal import Decimal

import pytest

from .conftest import bill, json_of, line, messages


@pytest.mark.parametrize(
    ("amount_types", "taxes", "totals"),
    [
        # 3 * 33.33 = 99.99 → 9.999 → 10.00; 10.05 → 1.005 → 1.01 (half away from zero).
        ("Exclusive", ["10.00", "1.01"], ("110.04", "11.01", "121.05")),
        # 99.99 * 10/110 = 9.09 (9.0900…); 10.05 * 10/110 = 0.9136… → 0.91.
        ("Inclusive", ["9.09", "0.91"], ("100.04", "10.00", "110.04")),
        ("NoTax", ["0.00", "0.00"], ("110.04", "0.00", "110.04")),
    ],
)
def test_bill_tax_is_computed_per_line_to_the_cent(api, supplier, amount_types, taxes, totals):
    created = api.create(
        "Invoices",
        bill(
            supplier["ContactID"],
            {"Description": "Lumber", "Quantity": 3, "UnitAmount": 33.33, "AccountCode": "310"},
            {"Description": "Nails", "Quantity": 1, "UnitAmount": 10.05, "AccountCode": "330"},
            LineAmountTypes=amount_types,
        ),
    )
    assert [line_["TaxAmount"] for line_ in created["LineItems"]] == [Decimal(t) for t in taxes]
    assert (created["SubTotal"], created["TotalTax"], created["Total"]) == tuple(
        Decimal(t) for t in totals
    )
    assert created["AmountDue"] == Decimal(totals[2])


@pytest.mark.parametrize(
    ("amount_types", "totals"),
    [
        # Each 0.05 line: 0.005 → 0.01, so 200 lines carry 2.00 of tax (on the total it would
        # be 1.00); the -0.05 line: -0.005 → -0.01, half away from zero.
        ("Exclusive", ("9.95", "1.99", "11.94")),
        # Each 0.05 line: 0.05 * 10/110 = 0.0045… → 0.00; on the total it would be 0.90.
        ("Inclusive", ("9.95", "0.00", "9.95")),
    ],
)
def test_tax_is_rounded_on_each_of_many_lines_and_on_negative_ones(
    api, supplier, amount_types, totals
):
    lines = [line(Quantity=1, UnitAmount=0.05)] * 200 + [line(-0.05)]
    created = api.create(
        "Invoices", bill(supplier["ContactID"], *lines, LineAmountTypes=amount_types)
    )
    assert (created["SubTotal"], created["TotalTax"], created["Total"]) == tuple(
        Decimal(t) for t in totals
    )


def test_bill_dates_answer_both_forms_and_accept_both(api, supplier):
    created = api.create(
        "Invoices",
        bill(
            supplier["ContactID"],
            line(100),
            Date="/Date(1769817600000+0000)/",
            DueDate="2026-02-28",
        ),
    )
    assert (created["Date"], created["DateString"]) == (
        "/Date(1769817600000+0000)/",
        "2026-01-31T00:00:00",
    )
    assert created["DueDateString"] == "2026-02-28T00:00:00"


def test_line_accounts_tax_types_and_discounts_are_checked(api, supplier):
    cases = [
        (line(10, account="999"), "Account code '999' is not a valid code for this document."),
        (
            line(10, account="499"),
            "Account code '499' has been archived, or has been deleted. Each line item must "
            "reference a valid account.",
        ),
        (line(10, account="090"), "Account code '090' is not a valid code for this document."),
        (
            line(10, TaxType="OUTPUT"),
            "The TaxType code 'OUTPUT' cannot be used with account code '310'.",
        ),
        (line(10, DiscountRate=5), "Discounts are only supported on sales invoices and quotes."),
    ]
    for given, message in cases:
        answer = api.put("Invoices", {"Invoices": [bill(supplier["ContactID"], given)]})
        assert messages(answer) == [message]


def test_only_accpay_is_emulated_and_a_contact_is_required(api, supplier):
    sales = api.put(
        "Invoices", {"Invoices": [{**bill(supplier["ContactID"], line(10)), "Type": "ACCREC"}]}
    )
    assert "ACCPAY only" in messages(sales)[0]
    orphan = api.put("Invoices", {"Invoices": [{"Type": "ACCPAY", "LineItems": [line(10)]}]})
    assert messages(orphan) == [
        "The Contact must contain at least 1 of the following elements to identify the contact: "
        "Name, ContactID, ContactNumber"
    ]


def test_a_contact_named_but_unknown_is_created_and_becomes_a_supplier(api, xero_sandbox):
    created = api.create(
        "Invoices", {"Type": "ACCPAY", "Contact": {"Name": "New Sub Ltd"}, "LineItems": [line(50)]}
    )
    contact = json_of(api.get(f"Contacts/{created['Contact']['ContactID']}"))["Contacts"][0]
    assert (contact["Name"], contact["IsSupplier"]) == ("New Sub Ltd", True)


def test_bill_statuses_follow_xeros_transitions(api, supplier):
    draft = api.create("Invoices", bill(supplier["ContactID"], line(100)))
    assert draft["Status"] == "DRAFT"
    path = f"Invoices/{draft['InvoiceID']}"
    authorised = json_of(api.post(path, {"Invoices": [{"Status": "AUTHORISED"}]}))["Invoices"][0]
    assert authorised["Status"] == "AUTHORISED"
    assert (
        "cannot become DELETED"
        in messages(api.post(path, {"Invoices": [{"Status": "DELETED"}]}))[0]
    )
    voided = json_of(api.post(path, {"Invoices": [{"Status": "VOIDED"}]}))["Invoices"][0]
    assert (voided["Status"], voided["AmountDue"]) == ("VOIDED", Decimal("0.00"))
    assert messages(api.post(path, {"Invoices": [{"Status": "AUTHORISED"}]})) == [
        "Invoice not of valid status for modification"
    ]


def test_only_an_approved_bill_of_an_active_contact_is_paid_and_a_paid_one_is_not_voided(
    api, supplier
):
    def pay(invoice, amount):
        return api.put(
            "Payments",
            {
                "Payments": [
                    {
                        "Invoice": {"InvoiceID": invoice["InvoiceID"]},
                        "Account": {"Code": "090"},
                        "Amount": amount,
                    }
                ]
            },
        )

    draft = api.create("Invoices", bill(supplier["ContactID"], line(10)))
    assert messages(pay(draft, 1)) == ["Payments can only be made against an AUTHORISED invoice."]
    approved = api.create("Invoices", bill(supplier["ContactID"], line(10), Status="AUTHORISED"))
    assert pay(approved, 11).status_code == 200
    void = api.post(f"Invoices/{approved['InvoiceID']}", {"Invoices": [{"Status": "VOIDED"}]})
    assert messages(void) == [
        "This document cannot be edited as it has a payment or credit note allocated to it."
    ]
    api.post(f"Contacts/{supplier['ContactID']}", {"Contacts": [{"ContactStatus": "ARCHIVED"}]})
    archived = api.put("Invoices", {"Invoices": [bill(supplier["ContactID"], line(10))]})
    assert messages(archived) == ["The contact Acme Drywall is archived and cannot be used."]


def test_payments_lower_amount_due_pay_the_bill_and_deleting_one_gives_it_back(api, supplier):
    created = api.create("Invoices", bill(supplier["ContactID"], line(100), Status="AUTHORISED"))
    bill_ref = {"InvoiceID": created["InvoiceID"]}
    too_much = api.put(
        "Payments", {"Payments": [{"Invoice": bill_ref, "Account": {"Code": "090"}, "Amount": 200}]}
    )
    assert messages(too_much) == ["Payment amount exceeds the amount outstanding on this document."]
    first = api.create(
        "Payments",
        {"Invoice": bill_ref, "Account": {"Code": "090"}, "Amount": 60, "Date": "2026-02-01"},
    )
    assert first["PaymentType"] == "ACCPAYPAYMENT"
    rest = json_of(
        api.post("Payments", {"Invoice": bill_ref, "Account": {"Code": "090"}, "Amount": 50})
    )
    paid = json_of(api.get(f"Invoices/{created['InvoiceID']}"))["Invoices"][0]
    assert (paid["Status"], paid["AmountDue"], paid["AmountPaid"]) == (
        "PAID",
        Decimal("0.00"),
        Decimal("110.00"),
    )
    assert len(paid["Payments"]) == 2
    edit = api.post(f"Invoices/{created['InvoiceID']}", {"Invoices": [{"LineItems": [line(5)]}]})
    assert messages(edit) == [
        "This document cannot be edited as it has a payment or credit note allocated to it."
    ]
    payment_id = rest["Payments"][0]["PaymentID"]
    deleted = api.post(f"Payments/{payment_id}", {"Status": "DELETED"})  # the spec's PaymentDelete
    assert json_of(deleted)["Payments"][0]["Status"] == "DELETED"
    reopened = json_of(api.get(f"Invoices/{created['InvoiceID']}"))["Invoices"][0]
    assert (reopened["Status"], reopened["AmountDue"]) == ("AUTHORISED", Decimal("50.00"))


def test_a_part_paid_bill_keeps_its_taxation_and_contact(api, supplier):
    created = api.create("Invoices", bill(supplier["ContactID"], line(100), Status="AUTHORISED"))
    payment = {"Invoice": {"InvoiceID": created["InvoiceID"]}, "Account": {"Code": "090"}}
    api.create("Payments", {**payment, "Amount": 105})
    for change in ({"LineAmountTypes": "NoTax"}, {"Contact": {"Name": "Someone Else"}}):
        answer = api.post(f"Invoices/{created['InvoiceID']}", {"Invoices": [change]})
        assert messages(answer) == [
            "This document cannot be edited as it has a payment or credit note allocated to it."
        ]
    kept = json_of(api.get(f"Invoices/{created['InvoiceID']}"))["Invoices"][0]
    assert (kept["Total"], kept["AmountDue"]) == (Decimal("110.00"), Decimal("5.00"))
    assert [c["Name"] for c in json_of(api.get("Contacts"))["Contacts"]] == ["Acme Drywall"]
    new_due_date = api.post(
        f"Invoices/{created['InvoiceID']}", {"Invoices": [{"DueDate": "2026-03-01"}]}
    )
    assert new_due_date.status_code == 200


def test_a_payment_that_rounds_to_nothing_is_refused(api, supplier):
    created = api.create("Invoices", bill(supplier["ContactID"], line(100), Status="AUTHORISED"))
    payment = {"Invoice": {"InvoiceID": created["InvoiceID"]}, "Account": {"Code": "090"}}
    answer = api.put("Payments", {"Payments": [{**payment, "Amount": 0.004}]})
    assert messages(answer) == ["Payment amount must be greater than zero."]
    unpaid = json_of(api.get(f"Invoices/{created['InvoiceID']}"))["Invoices"][0]
    assert (unpaid["AmountDue"], unpaid["Payments"]) == (Decimal("110.00"), [])


def test_lock_dates_refuse_approved_documents_dated_within_them(api, supplier, xero_sandbox):
    xero_sandbox.set_lock_dates(PeriodLockDate="2026-01-31")
    organisation = json_of(api.get("Organisation"))["Organisations"][0]
    assert organisation["PeriodLockDate"] == "/Date(1769817600000+0000)/"
    locked = api.put(
        "Invoices",
        {
            "Invoices": [
                bill(supplier["ContactID"], line(10), Date="2026-01-31", Status="AUTHORISED")
            ]
        },
    )
    assert messages(locked) == [
        "The document date cannot be on or before the lock date, 31 Jan 2026."
    ]
    assert (
        api.put(
            "Invoices", {"Invoices": [bill(supplier["ContactID"], line(10), Date="2026-01-31")]}
        ).status_code
        == 200
    )


def test_a_purchase_order_update_keeps_lines_by_id_and_deletes_the_ones_left_out(api, supplier):
    order = api.create(
        "PurchaseOrders",
        {
            "Contact": {"ContactID": supplier["ContactID"]},
            "LineItems": [
                line(1000, account="320", Description="Framing"),
                line(500, account="320", Description="Drywall"),
            ],
        },
    )
    assert order["PurchaseOrderNumber"] == "PO-0001" and order["Status"] == "DRAFT"
    framing, drywall = order["LineItems"]
    changed = api.post(
        "PurchaseOrders",
        {
            "PurchaseOrders": [
                {
                    "PurchaseOrderID": order["PurchaseOrderID"],
                    "LineItems": [
                        {"LineItemID": framing["LineItemID"], "LineAmount": 1200},
                        line(300, account="320", Description="Paint"),
                    ],
                }
            ]
        },
    )
    lines = json_of(changed)["PurchaseOrders"][0]["LineItems"]
    assert [(x["LineItemID"] == framing["LineItemID"], x["Description"]) for x in lines] == [
        (True, "Framing"),
        (False, "Paint"),
    ]
    assert drywall["LineItemID"] not in [x["LineItemID"] for x in lines]
    stranger = api.post(
        f"PurchaseOrders/{order['PurchaseOrderID']}",
        {
            "PurchaseOrders": [
                {"LineItems": [{"LineItemID": drywall["LineItemID"], "LineAmount": 1}]}
            ]
        },
    )
    assert messages(stranger) == [
        f"The line item {drywall['LineItemID']} is not a line of this document."
    ]
    assert (
        json_of(api.get("PurchaseOrders/PO-0001"))["PurchaseOrders"][0]["PurchaseOrderID"]
        == order["PurchaseOrderID"]
    )
    assert json_of(api.get("PurchaseOrders", Status="DRAFT"))["PurchaseOrders"][0][
        "Total"
    ] == Decimal("1650.00")


def test_an_update_naming_one_line_twice_is_refused(api, supplier):
    order = api.create(
        "PurchaseOrders",
        {"Contact": {"ContactID": supplier["ContactID"]}, "LineItems": [line(10), line(20)]},
    )
    first = order["LineItems"][0]["LineItemID"]
    twice = api.post(
        f"PurchaseOrders/{order['PurchaseOrderID']}",
        {
            "PurchaseOrders": [
                {
                    "LineItems": [
                        {"LineItemID": first, "Quantity": 3},
                        {"LineItemID": first.upper(), "Quantity": 4},
                    ]
                }
            ]
        },
    )
    assert messages(twice) == [f"The line item {first} is given more than once."]
    kept = json_of(api.get(f"PurchaseOrders/{order['PurchaseOrderID']}"))["PurchaseOrders"][0]
    assert [x["LineAmount"] for x in kept["LineItems"]] == [Decimal("10.00"), Decimal("20.00")]


def test_a_billed_purchase_order_refuses_changes_but_can_be_unbilled(api, supplier):
    order = api.create(
        "PurchaseOrders",
        {
            "Contact": {"ContactID": supplier["ContactID"]},
            "Status": "AUTHORISED",
            "LineItems": [line(100, account="320"), line(50, account="320")],
        },
    )
    path = f"PurchaseOrders/{order['PurchaseOrderID']}"
    billed = api.post(path, {"PurchaseOrders": [{"Status": "BILLED", "SentToContact": True}]})
    assert billed.status_code == 200
    kept = [{"LineItemID": x["LineItemID"]} for x in order["LineItems"]]

    added = api.post(path, {"PurchaseOrders": [{"LineItems": [*kept, line(25, account="320")]}]})
    renumbered = api.post(path, {"PurchaseOrders": [{"Reference": "changed"}]})

    for refused in (added, renumbered):
        assert refused.status_code == 400
        assert json_of(refused)["Type"] == "ValidationException"
        assert messages(refused) == ["A purchase order that has been billed cannot be edited."]
    stored = json_of(api.get(path))["PurchaseOrders"][0]
    assert (stored["Status"], stored["SubTotal"], len(stored["LineItems"])) == (
        "BILLED",
        Decimal("150.00"),
        2,
    )
    unbilled = api.post(path, {"PurchaseOrders": [{"Status": "AUTHORISED"}]})
    assert json_of(unbilled)["PurchaseOrders"][0]["Status"] == "AUTHORISED"
    again = api.post(path, {"PurchaseOrders": [{"LineItems": [*kept, line(25, account="320")]}]})
    assert json_of(again)["PurchaseOrders"][0]["SubTotal"] == Decimal("175.00")


def test_bills_without_paging_leave_lines_out_and_filters_combine(api, supplier):
    other = api.create("Contacts", {"Name": "Other Co"})
    one = api.create(
        "Invoices", bill(supplier["ContactID"], line(10), InvoiceNumber="A-1", Status="AUTHORISED")
    )
    api.create("Invoices", bill(other["ContactID"], line(20), InvoiceNumber="B-1"))
    listed = json_of(api.get("Invoices"))["Invoices"]
    assert len(listed) == 2 and all("LineItems" not in invoice for invoice in listed)
    paged = json_of(api.get("Invoices", page=1))["Invoices"]
    assert all(invoice["LineItems"] for invoice in paged)
    found = json_of(
        api.get(
            "Invoices",
            Statuses="AUTHORISED,PAID",
            ContactIDs=supplier["ContactID"],
            InvoiceNumbers="a-1",
        )
    )
    assert [invoice["InvoiceID"] for invoice in found["Invoices"]] == [one["InvoiceID"]]
    assert (
        len(
            json_of(api.get("Invoices", where='Contact.Name=="Other Co" AND Total>=20'))["Invoices"]
        )
        == 1
    )
    assert len(json_of(api.get("Invoices", createdByMyApp="true"))["Invoices"]) == 2


def test_a_bill_and_a_credit_note_are_read_by_their_numbers(api, supplier):
    created = api.create(
        "Invoices", bill(supplier["ContactID"], line(10), InvoiceNumber="SUP-1001")
    )
    found = json_of(api.get("Invoices/sup-1001"))["Invoices"]
    assert [(x["InvoiceID"], len(x["LineItems"])) for x in found] == [(created["InvoiceID"], 1)]
    credit = api.create(
        "CreditNotes",
        {
            "Type": "ACCPAYCREDIT",
            "Contact": {"ContactID": supplier["ContactID"]},
            "CreditNoteNumber": "CN-7",
            "LineItems": [line(5)],
        },
    )
    shown = json_of(api.get("CreditNotes/CN-7"))["CreditNotes"]
    assert [x["CreditNoteID"] for x in shown] == [credit["CreditNoteID"]]
    assert api.get("Invoices/SUP-9999").status_code == 404


def test_supplier_credit_notes_and_spend_money(api, supplier):
    credit = api.create(
        "CreditNotes",
        {
            "Type": "ACCPAYCREDIT",
            "Contact": {"ContactID": supplier["ContactID"]},
            "Status": "AUTHORISED",
            "LineItems": [line(40)],
        },
    )
    assert (credit["Total"], credit["RemainingCredit"]) == (Decimal("44.00"), Decimal("44.00"))
    spend = api.create(
        "BankTransactions",
        {
            "Type": "SPEND",
            "Contact": {"ContactID": supplier["ContactID"]},
            "BankAccount": {"Code": "090"},
            "LineItems": [line(25, account="429")],
        },
    )
    assert (spend["Status"], spend["Total"], spend["BankAccount"]["Code"]) == (
        "AUTHORISED",
        Decimal("27.50"),
        "090",
    )
    not_bank = api.put(
        "BankTransactions",
        {
            "BankTransactions": [
                {
                    "Type": "SPEND",
                    "Contact": {"ContactID": supplier["ContactID"]},
                    "BankAccount": {"Code": "429"},
                    "LineItems": [line(1)],
                }
            ]
        },
    )
    assert messages(not_bank) == ["The BankAccount must be an active bank account."]


def test_unit_amounts_keep_four_places_only_with_unitdp_4(api, supplier):
    given = {"Description": "Screws", "Quantity": 3, "UnitAmount": 0.3333, "AccountCode": "330"}
    rounded = api.create("Invoices", bill(supplier["ContactID"], given))
    assert rounded["LineItems"][0]["UnitAmount"] == Decimal("0.33")
    precise = json_of(
        api.put("Invoices", {"Invoices": [bill(supplier["ContactID"], given)]}, unitdp=4)
    )["Invoices"][0]
    assert (precise["LineItems"][0]["UnitAmount"], precise["LineItems"][0]["LineAmount"]) == (
        Decimal("0.3333"),
        Decimal("1.00"),
    )
