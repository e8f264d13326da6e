"""The query language subset: filters, ordering, paging, counting, and its parse errors."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from integrations.quickbooks_online.sandbox import wire

from .conftest import expense_line, json_of
from .test_name_lists import error_of


def rows(api, text: str, entity: str = "Vendor") -> list[dict]:
    response = api.query(text)
    assert response.status_code == 200, response.text
    return json_of(response)["QueryResponse"].get(entity, [])


def names(api, text: str) -> list[str]:
    return [vendor["DisplayName"] for vendor in rows(api, text)]


@pytest.fixture
def three_vendors(api):
    for name, acct in (("Adam's Candy Shop", "300"), ("Brick Co", "100"), ("Cement Inc", "200")):
        api.create("Vendor", {"DisplayName": name, "AcctNum": acct, "CompanyName": name})


def test_equality_is_case_insensitive_and_escapes_apostrophes(api, three_vendors):
    assert names(api, r"select * from vendor where DisplayName = 'ADAM\'S CANDY SHOP'") == [
        "Adam's Candy Shop"
    ]
    assert names(api, "SELECT * FROM Vendor WHERE companyname = 'brick co'") == ["Brick Co"]


def test_like_in_and_comparisons(api, three_vendors):
    assert names(api, "select * from Vendor where DisplayName like '%co%'") == ["Brick Co"]
    assert names(api, "select * from Vendor where DisplayName like 'c%'") == ["Cement Inc"]
    assert names(api, "select * from Vendor where AcctNum in ('100', '300')") == [
        "Adam's Candy Shop",
        "Brick Co",
    ]
    assert names(api, "select * from Vendor where AcctNum >= '200' and DisplayName < 'Z'") == [
        "Adam's Candy Shop",
        "Cement Inc",
    ]


def test_ids_filter_with_equals_and_in_only(api, three_vendors):
    first, second, _ = rows(api, "select * from Vendor")
    assert [
        v["Id"]
        for v in rows(api, f"select * from Vendor where Id in ('{first['Id']}', '{second['Id']}')")
    ] == [
        first["Id"],
        second["Id"],
    ]
    assert error_of(api.query(f"select * from Vendor where Id > '{first['Id']}'"))["code"] == "4001"


def test_order_by_both_spellings_and_direction(api, three_vendors):
    assert names(api, "select * from Vendor orderby AcctNum") == [
        "Brick Co",
        "Cement Inc",
        "Adam's Candy Shop",
    ]
    assert names(api, "select * from Vendor ORDER BY DisplayName DESC") == [
        "Cement Inc",
        "Brick Co",
        "Adam's Candy Shop",
    ]


def test_name_lists_are_active_only_unless_active_is_filtered(api, three_vendors):
    brick = rows(api, "select * from Vendor where DisplayName = 'Brick Co'")[0]
    api.post("vendor", {"Id": brick["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    assert "Brick Co" not in names(api, "select * from Vendor")
    assert names(api, "select * from Vendor where Active = false") == ["Brick Co"]
    assert len(names(api, "select * from Vendor where Active in (true, false)")) == 3


def test_count(api, three_vendors):
    body = json_of(api.query("select count(*) from Vendor where DisplayName like '%c%'"))
    assert body["QueryResponse"] == {"totalCount": 3}
    assert json_of(api.query("SELECT COUNT(*) FROM Bill"))["QueryResponse"] == {"totalCount": 0}


def test_dotted_metadata_fields_and_dates(api, three_vendors):
    everything = names(
        api, "select * from Vendor where MetaData.LastUpdatedTime > '2015-01-01T00:00:00-08:00'"
    )
    assert len(everything) == 3
    assert names(api, "select * from Vendor where MetaData.LastUpdatedTime > '2999-01-01'") == []
    assert len(names(api, "select * from Vendor where MetaData.CreateTime >= '2015-01-01'")) == 3


def test_reference_fields_compare_their_value(api, accounts):
    vendor = api.create("Vendor", {"DisplayName": "Acme"})
    line = {
        "DetailType": "AccountBasedExpenseLineDetail",
        "Amount": 1500,
        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": accounts["Subcontractors"]}},
    }
    bill = api.create(
        "Bill", {"VendorRef": {"value": vendor["Id"]}, "DocNumber": "A-1", "Line": [line]}
    )
    found = rows(
        api,
        f"select * from Bill where VendorRef = '{vendor['Id']}' and TotalAmt > '1000.0'",
        "Bill",
    )
    assert [b["Id"] for b in found] == [bill["Id"]]
    assert rows(api, "select * from Bill where TotalAmt < '1000.00'", "Bill") == []


def test_current_date_is_the_company_today_in_date_comparisons(api, accounts):
    vendor = api.create("Vendor", {"DisplayName": "Acme"})
    today = date.fromisoformat(wire.company_today())
    for offset in (-1, 0, 1):
        txn_date = (today + timedelta(days=offset)).isoformat()
        api.create(
            "Bill",
            {
                "VendorRef": {"value": vendor["Id"]},
                "TxnDate": txn_date,
                "DocNumber": txn_date,
                "Line": [expense_line(1, accounts["Subcontractors"])],
            },
        )

    def numbers(where: str) -> list[str]:
        found = rows(api, f"select * from Bill where {where} orderby TxnDate", "Bill")
        return [bill["DocNumber"] for bill in found]

    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)
    assert numbers("TxnDate >= CURRENT_DATE") == [today.isoformat(), tomorrow.isoformat()]
    assert numbers("TxnDate < current_date") == [yesterday.isoformat()]
    assert numbers("TxnDate = Current_Date") == [today.isoformat()]
    assert numbers("TxnDate IN (CURRENT_DATE, '1999-01-01')") == [today.isoformat()]


def test_query_by_post_with_application_text(api, three_vendors):
    response = api.session.post(
        api.url("query"),
        data="select * from Vendor where DisplayName = 'Brick Co'",
        params={"minorversion": 75},
        headers={"Content-Type": "application/text"},
        timeout=10,
    )
    assert [v["DisplayName"] for v in json_of(response)["QueryResponse"]["Vendor"]] == ["Brick Co"]


def test_paging_past_a_thousand_rows(api, qbo_sandbox):
    qbo_sandbox.seed_vendors(2500)
    seen = []
    start = 1
    while True:
        body = json_of(api.query(f"select * from Vendor STARTPOSITION {start} MAXRESULTS 1000"))
        page = body["QueryResponse"].get("Vendor", [])
        if not page:
            assert body["QueryResponse"] == {}
            break
        assert body["QueryResponse"]["startPosition"] == start
        assert body["QueryResponse"]["maxResults"] == len(page)
        seen += [vendor["Id"] for vendor in page]
        start += len(page)
    assert len(seen) == len(set(seen)) == 2500


def test_max_results_defaults_to_100_and_caps_at_1000(api, qbo_sandbox):
    qbo_sandbox.seed_vendors(1200)
    assert json_of(api.query("select * from Vendor"))["QueryResponse"]["maxResults"] == 100
    assert (
        json_of(api.query("select * from Vendor maxresults 5000"))["QueryResponse"]["maxResults"]
        == 1000
    )
    last = json_of(api.query("select * from Vendor maxresults 10 startposition 1195"))[
        "QueryResponse"
    ]
    assert (last["startPosition"], last["maxResults"]) == (1195, 6)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "select from Vendor",
        "select * Vendor",
        "select * from Vendor where DisplayName = Bob",
        "select * from Vendor where Balance > 0",
        "select * from Bill where TotalAmt > 1000.0",
        "select * from Vendor where DisplayName = 'a' or DisplayName = 'b'",
        "select * from Vendor where DisplayName = 'unterminated",
        "select * from Vendor maxresults",
    ],
)
def test_malformed_queries_get_the_query_parser_fault(api, text):
    response = api.query(text)
    assert response.status_code == 400
    body = json_of(response)
    assert body["Fault"]["type"] == "ValidationFault"
    [error] = body["Fault"]["Error"]
    assert error["code"] == "4000"
    assert error["Message"] == "Error parsing query"
    assert error["Detail"].startswith("QueryParserError: ")


def test_unknown_property_or_entity_is_an_invalid_query(api):
    error = error_of(api.query("select * from Vendor where NoSuchField = 'x'"))
    assert (error["code"], error["Message"]) == ("4001", "Invalid query")
    assert (
        error["Detail"] == "QueryValidationError: Property NoSuchField not found for Entity Vendor"
    )
    assert error_of(api.query("select * from Spaceship"))["code"] == "4001"


def test_queries_stay_fast_with_100k_vendors(api, qbo_sandbox):
    import time

    qbo_sandbox.seed_vendors(100_000)
    started = time.monotonic()
    exact = names(api, "select * from Vendor where DisplayName = 'Vendor 054321'")
    page = json_of(api.query("select * from Vendor startposition 99001 maxresults 1000"))
    count = json_of(api.query("select count(*) from Vendor"))
    assert exact == ["Vendor 054321"]
    assert page["QueryResponse"]["maxResults"] == 1000
    assert count["QueryResponse"]["totalCount"] == 100_000
    assert time.monotonic() - started < 5
