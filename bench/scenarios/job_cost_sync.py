"""Job-cost sync of a project whose job has 50,000 bills in QuickBooks Online.

The job, its cost-code item and a vendor are created through the API; the bills are seeded in
bulk (the sandbox's seed-job-costs control call: bills as the API stores them, changed a day
ago). Our project is added from the job with job-cost syncing on; the first `job_costs_sync`
reads every bill (a full read), the second, with nothing changed in QuickBooks, should ask
only for the changes since the first.
"""

from __future__ import annotations

import time

from approvals.models import JobCostTransaction
from approvals.services.importing import imports_cost_codes, imports_jobs, job_costs
from bench import quickbooks, scene
from bench.table import Row, count, seconds
from integrations.quickbooks_online.client import QuickBooksClient

TITLE = "Job-cost sync"
FULL = {"transactions": 50_000}
TOY = {"transactions": 30}
REQUEST_TARGET = 2
# QuickBooks' real window: a full read of 50,000 bills is about 50 pages.
LIMITS = quickbooks.Limits(window_seconds=60.0)
A_DAY_AGO = 24 * 3600


class SyncIncomplete(Exception):
    """The sync did not store every seeded bill: its figures would not be about 50,000."""


def _books(connection) -> dict:
    """The job (under its customer), a cost-code item and a vendor, created through the API."""
    with QuickBooksClient(connection) as client:
        account = client.query("select * from Account where Name = 'Subcontractors'")
        account_id = account["Account"][0]["Id"]
        owner = client.create("Customer", {"DisplayName": "Harbor Health"}, request_id="jc-owner")
        job = client.create(
            "Customer",
            {
                "DisplayName": "P-500 Harbor Tower",
                "Job": True,
                "ParentRef": {"value": owner["Id"]},
            },
            request_id="jc-job",
        )
        item = client.create(
            "Item",
            {
                "Name": "09-2900 Drywall",
                "Type": "NonInventory",
                "ExpenseAccountRef": {"value": account_id},
            },
            request_id="jc-item",
        )
        vendor = client.create("Vendor", {"DisplayName": "Acme Drywall"}, request_id="jc-vendor")
    return {"job_id": job["Id"], "item_id": item["Id"], "vendor_id": vendor["Id"]}


def _project_with_job_costs(connection, approver):
    imports_cost_codes.cost_codes_sync(connection=connection)
    imports_jobs.jobs_sync(connection=connection)
    job = imports_jobs.jobs_ready_to_import(connection=connection).get()
    project = imports_jobs.job_add_to_projects(job=job, actor=approver)
    imports_jobs.project_enable_job_costs(project=project, actor=approver)
    return project


def _timed_sync(connection):
    started = time.perf_counter()
    summary = job_costs.job_costs_sync(connection=connection)
    return summary, time.perf_counter() - started


def run(*, transactions: int) -> list[Row]:
    with quickbooks.sandbox(LIMITS) as handle, quickbooks.pointed_at(handle, LIMITS):
        connection = quickbooks.connection_to(handle)
        approver = scene.approver()
        books = _books(connection)
        handle.seed_job_costs(
            transactions, **books, amount="125.00", prefix="JC", age_seconds=A_DAY_AGO
        )
        project = _project_with_job_costs(connection, approver)

        handle.clear_request_log()
        first, first_time = _timed_sync(connection)
        first_requests = len(handle.request_log())
        stored = JobCostTransaction.objects.filter(project=project).count()
        if stored != transactions:
            raise SyncIncomplete(f"The first sync stored {stored} of {transactions} bill lines.")

        handle.clear_request_log()
        again, again_time = _timed_sync(connection)
        again_log = handle.request_log()

    size = f"{count(transactions)} transactions"
    asked = ", ".join(sorted({request["path"].rsplit("/", 1)[-1] for request in again_log}))
    return [
        Row(
            TITLE + ": first sync (full read)",
            size,
            seconds(first_time),
            note=(
                f"{first_requests} requests; {count(first.created)} job-cost lines stored; "
                "the bills were seeded in bulk, as the API stores them"
            ),
        ),
        Row(
            TITLE + " with no changes: requests made",
            size,
            f"{len(again_log)} request{'' if len(again_log) == 1 else 's'}",
            target=f"≤ {REQUEST_TARGET}",
            ratio=f"{len(again_log) / REQUEST_TARGET:.1f}x the target",
            met=len(again_log) <= REQUEST_TARGET and not again.full_read,
            note=(
                f"asked: {asked or 'nothing'}; "
                f"{'a full re-read' if again.full_read else 'changes only (no full read)'}, "
                f"{again.created} created, {again.updated} updated, {again.deleted} deleted"
            ),
        ),
        Row(TITLE + " with no changes: time", size, seconds(again_time)),
    ]
