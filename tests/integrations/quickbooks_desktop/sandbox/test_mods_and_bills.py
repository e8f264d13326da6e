"""Mod semantics (EditSequence, lines kept by TxnLineID, new with -1, omitted deleted) and bills
linked to purchase-order lines."""

from __future__ import annotations

from .conftest import message, rets
from .test_status_and_queries import books, purchase_order, run, status_of


def po_mod(order: dict, *lines: str, sequence: str | None = None, header: str = "") -> str:
    return (
        f"<PurchaseOrderModRq><PurchaseOrderMod><TxnID>{order['TxnID']}</TxnID>"
        f"<EditSequence>{sequence or order['EditSequence']}</EditSequence>{header}"
        + "".join(lines)
        + "</PurchaseOrderMod></PurchaseOrderModRq>"
    )


def keep(line: dict) -> str:
    return (
        f"<PurchaseOrderLineMod><TxnLineID>{line['TxnLineID']}</TxnLineID></PurchaseOrderLineMod>"
    )


NEW_LINE = (
    "<PurchaseOrderLineMod><TxnLineID>-1</TxnLineID><ItemRef><FullName>Electrical</FullName></ItemRef>"
    "<Desc>CCO #1</Desc><Amount>1500.00</Amount><CustomerRef><FullName>Acme:Tower</FullName></CustomerRef>"
    "</PurchaseOrderLineMod>"
)


def test_a_mod_keeps_named_lines_adds_minus_one_lines_and_deletes_the_others(qbd_sandbox):
    books(qbd_sandbox)
    order = purchase_order(qbd_sandbox)
    first, second = order["PurchaseOrderLineRet"]

    (answer,) = run(qbd_sandbox, po_mod(order, keep(first), NEW_LINE))

    assert status_of(answer) == ("0", "Info")
    (changed,) = rets(answer)
    lines = changed["PurchaseOrderLineRet"]
    assert [line["Desc"] for line in lines] == ["Rough-in", "CCO #1"]
    assert lines[0]["TxnLineID"] == first["TxnLineID"]
    assert lines[1]["TxnLineID"] not in (first["TxnLineID"], second["TxnLineID"], "-1")
    assert changed["TotalAmount"] == "4001.00"
    assert changed["EditSequence"] != order["EditSequence"]


def test_a_mod_that_names_no_line_leaves_the_lines_alone(qbd_sandbox):
    books(qbd_sandbox)
    order = purchase_order(qbd_sandbox)
    (answer,) = run(qbd_sandbox, po_mod(order, header="<Memo>Revised</Memo>"))
    (changed,) = rets(answer)
    assert changed["Memo"] == "Revised"
    assert len(changed["PurchaseOrderLineRet"]) == 2


def test_a_stale_edit_sequence_is_3200_and_changes_nothing(qbd_sandbox):
    books(qbd_sandbox)
    order = purchase_order(qbd_sandbox)
    (first_edit,) = run(qbd_sandbox, po_mod(order, header="<Memo>Mine</Memo>"))
    assert status_of(first_edit) == ("0", "Info")

    (second_edit,) = run(qbd_sandbox, po_mod(order, keep(order["PurchaseOrderLineRet"][0])))

    assert status_of(second_edit) == ("3200", "Error")
    assert (
        second_edit.get("statusMessage")
        == f'The provided edit sequence "{order["EditSequence"]}" is out-of-date.'
    )
    (stored,) = qbd_sandbox.records("PurchaseOrder")
    assert len(stored["PurchaseOrderLineRet"]) == 2 and stored["Memo"] == "Mine"


def test_a_mod_of_a_line_or_transaction_that_is_not_there_is_3120(qbd_sandbox):
    books(qbd_sandbox)
    order = purchase_order(qbd_sandbox)
    missing_line = "<PurchaseOrderLineMod><TxnLineID>99-1</TxnLineID></PurchaseOrderLineMod>"
    gone, line = run(
        qbd_sandbox,
        po_mod({**order, "TxnID": "77-1"}),
        po_mod(order, missing_line),
        on_error="continueOnError",
    )
    assert status_of(gone) == ("3120", "Error")
    assert status_of(line) == ("3120", "Error")
    assert len(qbd_sandbox.records("PurchaseOrder")[0]["PurchaseOrderLineRet"]) == 2


def test_renaming_a_customer_renames_its_jobs_full_names(qbd_sandbox):
    books(qbd_sandbox)
    acme = next(c for c in qbd_sandbox.records("Customer") if c["Name"] == "Acme")
    (answer,) = run(
        qbd_sandbox,
        f"<CustomerModRq><CustomerMod><ListID>{acme['ListID']}</ListID><EditSequence>{acme['EditSequence']}</EditSequence>"
        "<Name>Acme Holdings</Name></CustomerMod></CustomerModRq>",
    )
    assert status_of(answer) == ("0", "Info")
    assert sorted(c["FullName"] for c in qbd_sandbox.records("Customer")) == [
        "Acme Holdings",
        "Acme Holdings:Tower",
    ]


def test_a_rename_into_a_taken_name_is_3100(qbd_sandbox):
    books(qbd_sandbox)
    bolt = next(v for v in qbd_sandbox.records("Vendor") if v["Name"] == "Bolt Electric")
    (answer,) = run(
        qbd_sandbox,
        f"<VendorModRq><VendorMod><ListID>{bolt['ListID']}</ListID><EditSequence>{bolt['EditSequence']}</EditSequence>"
        "<Name>acme</Name></VendorMod></VendorModRq>",
    )
    assert status_of(answer) == ("3100", "Error")


def bill(order: dict, line: dict, vendor: str = "Bolt Electric", amount: str = "1000.00") -> str:
    return (
        f"<BillAddRq><BillAdd><VendorRef><FullName>{vendor}</FullName></VendorRef><TxnDate>2026-03-01</TxnDate>"
        "<RefNumber>INV-7</RefNumber>"
        "<ItemLineAdd><ItemRef><FullName>Electrical</FullName></ItemRef><Desc>Progress</Desc>"
        f"<Amount>{amount}</Amount><CustomerRef><FullName>Acme:Tower</FullName></CustomerRef>"
        f"<LinkToTxn><TxnID>{order['TxnID']}</TxnID><TxnLineID>{line['TxnLineID']}</TxnLineID></LinkToTxn>"
        "</ItemLineAdd>"
        "<ItemLineAdd><ItemRef><FullName>Retainage</FullName></ItemRef><Amount>-100.00</Amount>"
        "<CustomerRef><FullName>Acme:Tower</FullName></CustomerRef></ItemLineAdd>"
        "</BillAdd></BillAddRq>"
    )


def test_a_bill_links_a_purchase_order_line_and_carries_the_job_on_each_line(qbd_sandbox):
    books(qbd_sandbox)
    qbd_sandbox.seed(
        "ItemOtherCharge",
        Name="Retainage",
        SalesOrPurchase={"AccountRef": {"FullName": "Retainage Payable"}},
    )
    order = purchase_order(qbd_sandbox)
    first = order["PurchaseOrderLineRet"][0]

    (added,) = run(qbd_sandbox, bill(order, first))

    assert status_of(added) == ("0", "Info")
    (stored,) = rets(added)
    assert stored["AmountDue"] == "900.00"
    assert stored["APAccountRef"]["FullName"] == "Accounts Payable"
    assert [line["CustomerRef"]["FullName"] for line in stored["ItemLineRet"]] == [
        "Acme:Tower",
        "Acme:Tower",
    ]
    (read,) = run(
        qbd_sandbox,
        "<BillQueryRq><RefNumber>INV-7</RefNumber><IncludeLineItems>true</IncludeLineItems>"
        "<IncludeLinkedTxns>true</IncludeLinkedTxns></BillQueryRq>",
    )
    linked = rets(read)[0]["LinkedTxn"]
    assert (linked["TxnID"], linked["TxnType"], linked["Amount"]) == (
        order["TxnID"],
        "PurchaseOrder",
        "1000.00",
    )
    order_lines = qbd_sandbox.records("PurchaseOrder")[0]["PurchaseOrderLineRet"]
    assert [line["IsBilled"] for line in order_lines] == ["true", "false"]


def test_a_bill_cannot_link_another_vendors_order_or_a_missing_line(qbd_sandbox):
    books(qbd_sandbox)
    qbd_sandbox.seed(
        "ItemOtherCharge",
        Name="Retainage",
        SalesOrPurchase={"AccountRef": {"FullName": "Retainage Payable"}},
    )
    order = purchase_order(qbd_sandbox)
    other_vendor, missing_line = run(
        qbd_sandbox,
        bill(order, order["PurchaseOrderLineRet"][0], vendor="Other Vendor"),
        bill(order, {"TxnLineID": "55-1"}),
        on_error="continueOnError",
    )
    assert status_of(other_vendor) == ("3140", "Error")
    assert status_of(missing_line) == ("3120", "Error")
    assert qbd_sandbox.records("Bill") == []


def test_a_bill_linked_to_a_closed_order_is_stored_with_warning_570(qbd_sandbox):
    books(qbd_sandbox)
    qbd_sandbox.seed(
        "ItemOtherCharge",
        Name="Retainage",
        SalesOrPurchase={"AccountRef": {"FullName": "Retainage Payable"}},
    )
    order = purchase_order(qbd_sandbox)
    (closed,) = run(qbd_sandbox, po_mod(order, header="<IsManuallyClosed>true</IsManuallyClosed>"))
    assert status_of(closed) == ("0", "Info")

    (added,) = run(qbd_sandbox, bill(order, order["PurchaseOrderLineRet"][0]))

    assert status_of(added) == ("570", "Warn")
    assert len(qbd_sandbox.records("Bill")) == 1


def test_a_purchase_order_keeps_its_external_guid_and_a_malformed_one_is_refused(qbd_sandbox):
    books(qbd_sandbox)
    guid = "{6B29FC40-CA47-1067-B31D-00DD010662DA}"
    order = (
        "<PurchaseOrderAddRq><PurchaseOrderAdd><VendorRef><FullName>Bolt Electric</FullName></VendorRef>"
        "<RefNumber>SC-9</RefNumber><ExternalGUID>{}</ExternalGUID>"
        "<PurchaseOrderLineAdd><ItemRef><FullName>Electrical</FullName></ItemRef><Amount>10.00</Amount>"
        "</PurchaseOrderLineAdd></PurchaseOrderAdd></PurchaseOrderAddRq>"
    )
    (added,) = run(qbd_sandbox, order.format(guid))
    assert rets(added)[0]["ExternalGUID"] == guid
    (read,) = run(
        qbd_sandbox, "<PurchaseOrderQueryRq><RefNumber>SC-9</RefNumber></PurchaseOrderQueryRq>"
    )
    assert rets(read)[0]["ExternalGUID"] == guid
    refused = qbd_sandbox.qbxml(message(order.format("not-a-guid")))
    assert refused["hresult"] == "0x80040400" and "GUID" in refused["detail"]
