"""Every benchmark scenario, at a toy size, still runs and fills its lines of the table.

No timing is asserted here; what is asserted holds at any size (query counts that must not
grow, exports that must all arrive once, no failure from throttling).
"""

import pytest

from bench.registry import SCENARIOS, scenario
from bench.table import as_text


def run_toy(name):
    module = scenario(name)
    rows = module.run(**module.TOY)
    assert rows, name
    assert all(row.figure and row.figure != "failed" for row in rows), as_text(rows)
    return {
        row.scenario.split(": ", 1)[-1] + (f" @{row.size}" if row.size else ""): row for row in rows
    }


@pytest.mark.django_db
def test_queue_pages_cost_the_same_queries_at_both_sizes():
    rows = run_toy("queue")
    assert rows["SQL queries per page @40"].met is True
    assert rows["median render @40"].met in (True, False)


@pytest.mark.django_db
def test_project_page_costs_the_same_queries_with_more_commitments():
    rows = run_toy("project")
    assert rows["SQL queries per page @6 commitments"].met is True


@pytest.mark.django_db
def test_bulk_accept_reports_statements_time_and_quickbooks_lookups():
    rows = run_toy("accept")
    assert rows["SQL statements @6"].ratio.endswith("x")
    assert "requests to QuickBooks (duplicate look-ups)" in rows["time @6"].note


@pytest.mark.django_db(transaction=True)
def test_export_throughput_keeps_to_the_shared_limits_and_exports_every_record_once():
    rows = run_toy("export")
    shared = "2 workers sharing the limits, {} @40 vendors"
    # Whatever the pace, the workers together never exceed a limit or the day's budget.
    for limit in ("most requests in any window", "most requests at once", "requests in the day"):
        assert rows[shared.format(limit)].met is True, rows[shared.format(limit)].figure
    assert "waiting for the next day's budget (rescheduled, not failed)" in (
        rows[shared.format("requests per window")].note
    )
    vendors = rows["bulk accept, batches of 30 @12 vendors"]
    assert "12 of 12 synced" in vendors.note
    invoices = rows["bulk accept, batches of 30 @12 invoices (2 purchase orders, 6 bills each)"]
    assert "12 of 12 synced" in invoices.note
    assert rows["throttled requests that failed an export @64 records"].met is True


@pytest.mark.django_db(transaction=True)
def test_xero_exports_every_bill_and_contact_once_in_batches_without_throttle_failures():
    rows = run_toy("xero")
    bills = rows["bills a minute @120 invoices"]
    assert "120 of 120 invoices synced, 120 bills in Xero" in bills.note
    assert "of 50.0 bills each" in bills.note or "of 40.0 bills each" in bills.note
    assert "60 contacts made in" in rows["contacts per create call @60 companies"].note
    assert rows["throttled calls that failed an export @180 records"].met is True
    assert rows["the daily budget @5,000 calls a day"].met is True


@pytest.mark.django_db
def test_vendor_matching_finds_the_vendors_that_match():
    rows = run_toy("matching")
    assert "15 and 150 suggestions" in rows["Vendor matching @200 x 200"].note


def test_matching_quality_reports_precision_recall_and_every_mistake():
    rows = list(scenario("matchquality").run(part="tuning"))
    precision, recall = rows
    assert precision.figure.startswith("precision ") and "offered to Link all" in precision.note
    assert recall.figure.startswith("recall ") and "suggested; misses:" in recall.note


@pytest.mark.django_db(transaction=True)
def test_vendor_import_stores_every_vendor_and_reports_memory():
    rows = run_toy("import")
    memory = rows["peak memory growth @50 vendors"]
    assert memory.figure.endswith(" MB")
    assert "50 vendors stored" in memory.note


@pytest.mark.django_db(transaction=True)
def test_job_cost_sync_with_no_changes_asks_only_for_the_changes():
    rows = run_toy("jobcosts")
    assert "30 job-cost lines stored" in rows["first sync (full read) @30 transactions"].note
    no_changes = rows["requests made @30 transactions"]
    assert no_changes.met is True, no_changes.note
    assert "changes only (no full read)" in no_changes.note


def test_every_scenario_has_a_title_and_both_sizes():
    for name in SCENARIOS:
        module = scenario(name)
        assert module.TITLE
        assert set(module.TOY) <= set(module.FULL) | {
            "requests_per_window",
            "batch_requests_per_window",
            "concurrent",
        }, name


@pytest.mark.django_db(transaction=True)
def test_quickbooks_desktop_runs_sync_every_record_within_the_polling_target():
    rows = run_toy("qbd")
    assert rows["records exported in one run @4 waiting"].figure == "4 records"
    p95 = rows["accept to synced, p95 @every 1 s"]
    assert p95.figure.endswith(" intervals") and p95.met is True, p95
    assert "3 records accepted" in rows["records exported per run while accepting @every 1 s"].note
