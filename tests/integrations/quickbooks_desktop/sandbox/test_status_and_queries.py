"""Status codes and severities, list and transaction queries, iterators and deletions."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from .conftest import answers, message, rets


def run(qbd_sandbox, *requests: str, on_error: str = "stopOnError", session=None) -> list:
    return answers(qbd_sandbox.qbxml(message(*requests, on_error=on_error), session=session))


def status_of(rs) -> tuple[str, str]:
    return rs.get("statusCode"), rs.get("statusSeverity")


def vendor_add(name: str, request_id: str = "1") -> str:
    return f"<VendorAddRq requestID='{request_id}'><VendorAdd><Name>{name}</Name></VendorAdd></VendorAddRq>"


def test_customers_vendors_and_jobs_share_one_name_space_by_full_name(qbd_sandbox):
    qbd_sandbox.seed("Customer", Name="Acme Development")
    qbd_sandbox.seed("Customer", Name="Riverside", ParentRef={"FullName": "Acme Development"})

    same, other_case, job_name = run(
        qbd_sandbox,
        vendor_add("Acme Development", "a"),
        vendor_add("ACME development:riverside", "b"),
        vendor_add("Riverside", "c"),
        on_error="continueOnError",
    )

    assert status_of(same) == ("3100", "Error")
    assert (
        same.get("statusMessage")
        == 'The name "Acme Development" of the list element is already in use.'
    )
    assert same.get("requestID") == "a"
    assert status_of(other_case) == ("3100", "Error")
    assert status_of(job_name) == ("0", "Info")  # a job's short name alone is free


def test_stop_on_error_leaves_the_requests_after_the_error_unprocessed(qbd_sandbox):
    qbd_sandbox.seed("Vendor", Name="Bolt Electric")
    answered = run(
        qbd_sandbox, vendor_add("First"), vendor_add("Bolt Electric"), vendor_add("Third")
    )
    assert [status_of(rs)[0] for rs in answered] == ["0", "3100"]
    assert sorted(v["Name"] for v in qbd_sandbox.records("Vendor")) == ["Bolt Electric", "First"]

    answered = run(
        qbd_sandbox,
        vendor_add("Fourth"),
        vendor_add("First"),
        vendor_add("Fifth"),
        on_error="continueOnError",
    )
    assert [status_of(rs)[0] for rs in answered] == ["0", "3100", "0"]


def test_a_reference_to_nothing_is_3140_and_stores_nothing(qbd_sandbox):
    (answer,) = run(
        qbd_sandbox,
        "<PurchaseOrderAddRq><PurchaseOrderAdd><VendorRef><FullName>Nobody</FullName></VendorRef>"
        "<PurchaseOrderLineAdd><Desc>x</Desc></PurchaseOrderLineAdd></PurchaseOrderAdd></PurchaseOrderAddRq>",
    )
    assert status_of(answer) == ("3140", "Error")
    assert 'QuickBooks Vendor "Nobody"' in answer.get("statusMessage")
    assert qbd_sandbox.records("PurchaseOrder") == []


def test_a_reference_to_an_inactive_entry_is_3140_but_a_seeded_check_may_name_it(qbd_sandbox):
    vendor = qbd_sandbox.seed("Vendor", Name="Old Roofing Co", IsActive=False)

    (answer,) = run(
        qbd_sandbox,
        f"<BillAddRq><BillAdd><VendorRef><ListID>{vendor['ListID']}</ListID></VendorRef>"
        "<ExpenseLineAdd><AccountRef><FullName>Job Materials</FullName></AccountRef>"
        "<Amount>10.00</Amount></ExpenseLineAdd></BillAdd></BillAddRq>",
    )

    assert status_of(answer) == ("3140", "Error")
    assert f'QuickBooks Vendor "{vendor["ListID"]}"' in answer.get("statusMessage")
    assert qbd_sandbox.records("Bill") == []
    # Entered by the bookkeeper before the vendor was made inactive.
    check = qbd_sandbox.seed(
        "Check",
        AccountRef={"FullName": "Checking"},
        PayeeEntityRef={"ListID": vendor["ListID"]},
        ExpenseLineRet=[{"AccountRef": {"FullName": "Job Materials"}, "Amount": "10.00"}],
    )
    assert check["PayeeEntityRef"]["FullName"] == "Old Roofing Co"


def test_a_reference_to_a_list_this_company_does_not_keep_is_3140(qbd_sandbox):
    (answer,) = run(
        qbd_sandbox,
        "<VendorAddRq><VendorAdd><Name>Bolt</Name><TermsRef><FullName>Net 30</FullName></TermsRef>"
        "</VendorAdd></VendorAddRq>",
    )
    assert status_of(answer) == ("3140", "Error")
    assert qbd_sandbox.records("Vendor") == []


def test_a_request_id_longer_than_50_characters_is_1060(qbd_sandbox):
    (answer,) = run(qbd_sandbox, f"<VendorQueryRq requestID='{'r' * 51}'/>")
    assert status_of(answer) == ("1060", "Error")


def test_queries_that_find_nothing_or_not_everything(qbd_sandbox):
    qbd_sandbox.seed("Vendor", Name="Bolt Electric")
    nothing, partly = run(
        qbd_sandbox,
        "<VendorQueryRq><NameFilter><MatchCriterion>StartsWith</MatchCriterion><Name>Zed</Name></NameFilter></VendorQueryRq>",
        "<VendorQueryRq><FullName>bolt electric</FullName><FullName>Gone Vendor</FullName></VendorQueryRq>",
        on_error="continueOnError",
    )
    assert status_of(nothing) == ("1", "Info")
    assert status_of(partly) == ("500", "Warn")
    assert '"Gone Vendor"' in partly.get("statusMessage")
    assert [v["Name"] for v in rets(partly)] == ["Bolt Electric"]


def test_list_queries_filter_by_active_status_and_modified_date(qbd_sandbox):
    active = qbd_sandbox.seed("Vendor", Name="Active Vendor")
    qbd_sandbox.seed("Vendor", Name="Old Vendor", IsActive=False)

    default, everyone, inactive = run(
        qbd_sandbox,
        "<VendorQueryRq/>",
        "<VendorQueryRq><ActiveStatus>All</ActiveStatus></VendorQueryRq>",
        "<VendorQueryRq><ActiveStatus>InactiveOnly</ActiveStatus></VendorQueryRq>",
    )
    assert [v["Name"] for v in rets(default)] == ["Active Vendor"]
    assert [v["Name"] for v in rets(everyone)] == ["Active Vendor", "Old Vendor"]
    assert [v["Name"] for v in rets(inactive)] == ["Old Vendor"]

    time.sleep(1.1)
    since = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    (renamed,) = run(
        qbd_sandbox,
        f"<VendorModRq><VendorMod><ListID>{active['ListID']}</ListID><EditSequence>{active['EditSequence']}</EditSequence>"
        "<Name>Renamed Vendor</Name></VendorMod></VendorModRq>",
    )
    assert status_of(renamed) == ("0", "Info")
    (changed,) = run(
        qbd_sandbox,
        f"<VendorQueryRq><ActiveStatus>All</ActiveStatus><FromModifiedDate>{since}</FromModifiedDate></VendorQueryRq>",
    )
    assert [v["Name"] for v in rets(changed)] == ["Renamed Vendor"]


def test_iterators_page_through_and_count_what_remains(qbd_sandbox):
    for name in ("A1", "A2", "A3", "A4", "A5"):
        qbd_sandbox.seed("Customer", Name=name)

    (first,) = run(
        qbd_sandbox,
        '<CustomerQueryRq iterator="Start"><MaxReturned>2</MaxReturned></CustomerQueryRq>',
        session="s1",
    )
    iterator_id = first.get("iteratorID")
    assert (first.get("iteratorRemainingCount"), first.get("retCount")) == ("3", "2")
    pages = [[c["Name"] for c in rets(first)]]
    for remaining in ("1", "0"):
        (page,) = run(
            qbd_sandbox,
            f'<CustomerQueryRq iterator="Continue" iteratorID="{iterator_id}"><MaxReturned>2</MaxReturned></CustomerQueryRq>',
            session="s1",
        )
        assert page.get("iteratorRemainingCount") == remaining
        assert page.get("iteratorID") == iterator_id
        pages.append([c["Name"] for c in rets(page)])
    assert pages == [["A1", "A2"], ["A3", "A4"], ["A5"]]
    (finished,) = run(
        qbd_sandbox,
        f'<CustomerQueryRq iterator="Continue" iteratorID="{iterator_id}"/>',
        session="s1",
    )
    assert status_of(finished) == ("3120", "Error")


def test_an_iterator_is_unknown_to_another_session_and_can_be_stopped(qbd_sandbox):
    for name in ("B1", "B2"):
        qbd_sandbox.seed("Vendor", Name=name)
    (first,) = run(
        qbd_sandbox,
        '<VendorQueryRq iterator="Start"><MaxReturned>1</MaxReturned></VendorQueryRq>',
        session="one",
    )
    continuing = f'<VendorQueryRq iterator="Continue" iteratorID="{first.get("iteratorID")}"><MaxReturned>1</MaxReturned></VendorQueryRq>'
    (elsewhere,) = run(qbd_sandbox, continuing, session="two")
    assert status_of(elsewhere) == ("3120", "Error")
    (stopped,) = run(qbd_sandbox, continuing.replace("Continue", "Stop"), session="one")
    assert status_of(stopped) == ("0", "Info")
    (after_stop,) = run(qbd_sandbox, continuing, session="one")
    assert status_of(after_stop) == ("3120", "Error")


def purchase_order(qbd_sandbox, ref: str = "SC-1", job: str = "Acme:Tower") -> dict:
    return qbd_sandbox.seed(
        "PurchaseOrder",
        VendorRef={"FullName": "Bolt Electric"},
        TxnDate="2026-02-01",
        RefNumber=ref,
        PurchaseOrderLineAdd=[
            {
                "ItemRef": {"FullName": "Electrical"},
                "Desc": "Rough-in",
                "Quantity": "2",
                "Rate": "1250.50",
                "CustomerRef": {"FullName": job},
            },
            {
                "ItemRef": {"FullName": "Electrical"},
                "Desc": "Trim",
                "Amount": "800.00",
                "CustomerRef": {"FullName": job},
            },
        ],
    )


def books(qbd_sandbox) -> None:
    qbd_sandbox.seed("Vendor", Name="Bolt Electric")
    qbd_sandbox.seed("Vendor", Name="Other Vendor")
    qbd_sandbox.seed("Customer", Name="Acme")
    qbd_sandbox.seed("Customer", Name="Tower", ParentRef={"FullName": "Acme"})
    qbd_sandbox.seed(
        "ItemService",
        Name="Electrical",
        SalesAndPurchase={
            "IncomeAccountRef": {"FullName": "Construction Income"},
            "ExpenseAccountRef": {"FullName": "Subcontractors"},
        },
    )


def test_transaction_queries_return_lines_only_when_asked(qbd_sandbox):
    books(qbd_sandbox)
    order = purchase_order(qbd_sandbox)
    assert order["TotalAmount"] == "3301.00"

    bare, full = run(
        qbd_sandbox,
        "<PurchaseOrderQueryRq><RefNumber>sc-1</RefNumber></PurchaseOrderQueryRq>",
        f"<PurchaseOrderQueryRq><TxnID>{order['TxnID']}</TxnID><IncludeLineItems>true</IncludeLineItems></PurchaseOrderQueryRq>",
    )
    assert "PurchaseOrderLineRet" not in rets(bare)[0]
    lines = rets(full)[0]["PurchaseOrderLineRet"]
    assert [(line["Amount"], line["CustomerRef"]["FullName"]) for line in lines] == [
        ("2501.00", "Acme:Tower"),
        ("800.00", "Acme:Tower"),
    ]


def test_transaction_queries_filter_by_modified_range_vendor_and_ref_number(qbd_sandbox):
    books(qbd_sandbox)
    purchase_order(qbd_sandbox, "SC-1")
    later = qbd_sandbox.seed(
        "PurchaseOrder",
        VendorRef={"FullName": "Other Vendor"},
        RefNumber="OT-2",
        PurchaseOrderLineAdd={"Desc": "x", "Amount": "1.00"},
    )
    future = "2099-01-01"
    by_vendor, by_ref, in_future, by_range = run(
        qbd_sandbox,
        "<PurchaseOrderQueryRq><EntityFilter><FullName>Bolt Electric</FullName></EntityFilter></PurchaseOrderQueryRq>",
        "<PurchaseOrderQueryRq><RefNumberFilter><MatchCriterion>StartsWith</MatchCriterion><RefNumber>ot</RefNumber></RefNumberFilter></PurchaseOrderQueryRq>",
        f"<PurchaseOrderQueryRq><ModifiedDateRangeFilter><FromModifiedDate>{future}</FromModifiedDate></ModifiedDateRangeFilter></PurchaseOrderQueryRq>",
        f"<PurchaseOrderQueryRq><ModifiedDateRangeFilter><FromModifiedDate>{later['TimeModified']}</FromModifiedDate></ModifiedDateRangeFilter></PurchaseOrderQueryRq>",
        on_error="continueOnError",
    )
    assert [o["RefNumber"] for o in rets(by_vendor)] == ["SC-1"]
    assert [o["RefNumber"] for o in rets(by_ref)] == ["OT-2"]
    assert status_of(in_future) == ("1", "Info")
    assert "OT-2" in [o["RefNumber"] for o in rets(by_range)]


def test_deletion_queries_list_what_was_deleted_and_take_no_iterator(qbd_sandbox):
    books(qbd_sandbox)
    order = purchase_order(qbd_sandbox)
    vendor = qbd_sandbox.seed("Vendor", Name="Short Lived")
    qbd_sandbox.delete(order["TxnID"])
    qbd_sandbox.delete(vendor["ListID"])

    txns, names, none_yet = run(
        qbd_sandbox,
        "<TxnDeletedQueryRq><TxnDelType>PurchaseOrder</TxnDelType><TxnDelType>Bill</TxnDelType></TxnDeletedQueryRq>",
        "<ListDeletedQueryRq><ListDelType>Vendor</ListDelType><DeletedDateRangeFilter><FromDeletedDate>2000-01-01</FromDeletedDate></DeletedDateRangeFilter></ListDeletedQueryRq>",
        "<TxnDeletedQueryRq><TxnDelType>Bill</TxnDelType><DeletedDateRangeFilter><FromDeletedDate>2099-01-01</FromDeletedDate></DeletedDateRangeFilter></TxnDeletedQueryRq>",
        on_error="continueOnError",
    )
    (deleted_order,) = rets(txns)
    assert (deleted_order["TxnDelType"], deleted_order["TxnID"], deleted_order["RefNumber"]) == (
        "PurchaseOrder",
        order["TxnID"],
        "SC-1",
    )
    assert deleted_order["TimeCreated"] == order["TimeCreated"]
    assert [(r["ListDelType"], r["FullName"]) for r in rets(names)] == [("Vendor", "Short Lived")]
    assert status_of(none_yet) == ("1", "Info")
    assert txns.get("iteratorID") is None


def test_host_and_company_queries(qbd_sandbox):
    host, company = run(qbd_sandbox, "<HostQueryRq/>", "<CompanyQueryRq/>")
    (host_ret,) = rets(host)
    assert host_ret["SupportedQBXMLVersion"][-1] == "12.0"
    assert host_ret["Country"] == "US"
    assert rets(company)[0]["CompanyName"] == "Sandbox Construction LLC"


def test_include_ret_element_keeps_only_the_named_fields(qbd_sandbox):
    qbd_sandbox.seed("Vendor", Name="Bolt Electric", CompanyName="Bolt Inc")
    (answer,) = run(
        qbd_sandbox,
        "<VendorQueryRq><IncludeRetElement>ListID</IncludeRetElement><IncludeRetElement>Name</IncludeRetElement></VendorQueryRq>",
    )
    assert set(rets(answer)[0]) == {"ListID", "Name"}


def test_modified_dates_take_an_offset_and_parts_left_out_from_the_right(qbd_sandbox):
    vendor = qbd_sandbox.seed("Vendor", Name="Bolt Electric")
    created = datetime.fromisoformat(vendor["TimeCreated"])  # e.g. 2026-11-27T21:06:09+00:00
    an_hour_west = created.astimezone(timezone(timedelta(hours=-1)))
    same_moment_elsewhere = an_hour_west.isoformat()  # ...T20:06:09-01:00
    an_hour_later = (created + timedelta(hours=1)).isoformat()
    day = vendor["TimeCreated"][:10]
    at, after, that_day, unreadable = run(
        qbd_sandbox,
        f"<VendorQueryRq><FromModifiedDate>{same_moment_elsewhere}</FromModifiedDate></VendorQueryRq>",
        f"<VendorQueryRq><FromModifiedDate>{an_hour_later}</FromModifiedDate></VendorQueryRq>",
        f"<VendorQueryRq><FromModifiedDate>{day}</FromModifiedDate><ToModifiedDate>{day}</ToModifiedDate></VendorQueryRq>",
        "<VendorQueryRq><FromModifiedDate>2026-13-01</FromModifiedDate></VendorQueryRq>",
        on_error="continueOnError",
    )
    assert [v["Name"] for v in rets(at)] == ["Bolt Electric"]
    assert status_of(after) == ("1", "Info")
    assert [v["Name"] for v in rets(that_day)] == ["Bolt Electric"]
    assert status_of(unreadable) == ("3020", "Error")


def test_max_returned_caps_a_query_and_a_negative_one_returns_nothing(qbd_sandbox):
    for name in ("C1", "C2", "C3"):
        qbd_sandbox.seed("Vendor", Name=name)
    two, negative, iterated = run(
        qbd_sandbox,
        "<VendorQueryRq><MaxReturned>2</MaxReturned></VendorQueryRq>",
        "<VendorQueryRq><MaxReturned>-2</MaxReturned></VendorQueryRq>",
        '<VendorQueryRq iterator="Start"><MaxReturned>0</MaxReturned></VendorQueryRq>',
        on_error="continueOnError",
    )
    assert [v["Name"] for v in rets(two)] == ["C1", "C2"]
    assert rets(negative) == []
    assert (len(rets(iterated)), iterated.get("iteratorRemainingCount")) == (1, "2")
