"""Export throughput to Xero through the batched export path, under Xero's limits per
organisation (60 calls a minute, 5 at once, a day budget), the minute scaled down to seconds.

Invoices accepted in bulk are exported by `db_worker` processes (accept → worker → connector →
client): each worker claims up to 50 invoices of one connection, looks their bills up in one
call and creates the ones Xero lacks in one more (summarizeErrors=false). Contacts go the same
way. Figures are read from the sandbox's request log, as Xero would count them.
"""

from __future__ import annotations

import math
import time

from approvals.models import Commitment, Company, CostCode, Project, SubcontractorInvoice
from approvals.services import records_accept_bulk
from approvals.states import SyncStatus
from bench import scene, xero
from bench.table import Row, count, percent
from bench.windows import per_window
from bench.workers import drain_exports
from integrations.xero import mapping
from integrations.xero.client import XeroClient
from integrations.xero.connector import BATCH_SIZE, CALLS_PER_BATCH

TITLE = "Export throughput to Xero (batched export path)"
# Xero's own minute: a window scaled down to seconds multiplies the pace asked of the machine
# by as much (a 10 s window asks 135 bills a second of two cores), and the figure would measure
# the CPU, not the limits. backlog None: enough bills to keep the workers at the ceiling.
FULL = {
    "windows": 2,
    "window_seconds": 60.0,
    "workers": 4,
    "backlog": None,
    "contacts": 4 * BATCH_SIZE,
}
TOY = {"windows": 1, "window_seconds": 2.0, "workers": 1, "backlog": 120, "contacts": 60}
SHARE_TARGET = 0.9
BILLS_A_MINUTE_TARGET = 1350
THROTTLE_MESSAGE = "too many"
INVOICES_PER_COMMITMENT = 50


def _is_write(resource: str):
    def matches(request: dict) -> bool:
        return (
            request["method"] == "PUT"
            and request["path"].endswith(f"/api.xro/2.0/{resource}")
            and request["status"] == 200
        )

    return matches


def _books(connection, limits, handle) -> tuple[int, int, int]:
    """Xero's side of the scene made through the client: the projects' tracking category and
    option, one item, one contact; our side linked to them."""
    with xero.pointed_at(handle, limits), XeroClient(connection) as client:
        category = client.create(
            "TrackingCategories", {"Name": "Project"}, idempotency_key="bench-category"
        )["TrackingCategories"][0]
        connection.settings = {
            **connection.settings,
            "tracking_category_id": category["TrackingCategoryID"],
            "tracking_category_name": category["Name"],
        }
        connection.save(update_fields=["settings"])
        (project,) = scene.projects(1, prefix="XB")
        option = client.create(
            f"TrackingCategories/{category['TrackingCategoryID']}/Options",
            mapping.tracking_option_payload(project),
            idempotency_key="bench-option",
        )["Options"][0]
        Project.objects.filter(pk=project.pk).update(erp_id=option["TrackingOptionID"])
        (code,) = scene.cost_codes(1, prefix="XB")
        item = client.create(
            "Items",
            {
                "Items": [
                    mapping.cost_code_item_payload(
                        code=code.code, name=code.name, account_code="320"
                    )
                ]
            },
            idempotency_key="bench-item",
        )["Items"][0]
        CostCode.objects.filter(pk=code.pk).update(erp_id=item["ItemID"])
        (vendor,) = scene.vendors(1, prefix="XeroBench")
        contact = client.create(
            "Contacts",
            {"Contacts": [mapping.contact_payload(vendor)]},
            idempotency_key="bench-contact",
        )["Contacts"][0]
        Company.objects.filter(pk=vendor.pk).update(erp_id=contact["ContactID"])
    return project.pk, vendor.pk, code.pk


def _accepted_invoices(backlog: int, project_id, vendor_id, code_id, approver) -> list:
    commitments = scene.commitments(
        math.ceil(backlog / INVOICES_PER_COMMITMENT),
        projects=[Project.objects.get(pk=project_id)],
        vendors=[Company.objects.get(pk=vendor_id)],
        codes=[CostCode.objects.get(pk=code_id)],
        prefix="XSC",
    )
    for commitment in commitments:
        commitment.currency = "AUD"
    Commitment.objects.bulk_update(commitments, ["currency"])
    invoices = scene.invoices(
        backlog, commitments=commitments, sent_by=scene.project_manager(), prefix="XINV"
    )
    scene.settle()
    outcomes = records_accept_bulk(records=invoices, actor=approver)
    refused = [outcome.message for outcome in outcomes if not outcome.ok]
    if refused:
        raise RuntimeError(f"{len(refused)} invoices were not accepted, e.g. {refused[0]}")
    return invoices


def _accepted_companies(count_: int, approver) -> list:
    companies = scene.vendors(
        count_,
        prefix="XContact",
        sync_status=SyncStatus.READY_TO_EXPORT,
        sent_by=scene.project_manager("pm-contacts"),
    )
    outcomes = records_accept_bulk(records=companies, actor=approver)
    refused = [outcome.message for outcome in outcomes if not outcome.ok]
    if refused:
        raise RuntimeError(f"{len(refused)} companies were not accepted, e.g. {refused[0]}")
    return companies


def run(
    *,
    windows: int,
    window_seconds: float,
    workers: int,
    backlog: int | None,
    contacts: int,
) -> list[Row]:
    limits = xero.Limits(window_seconds=window_seconds)
    per_minute = 60.0 / window_seconds
    # Enough bills to keep the workers busy for `windows` windows at the ceiling.
    backlog = backlog or math.ceil(windows * limits.per_window / CALLS_PER_BATCH * BATCH_SIZE * 1.2)
    with xero.sandbox(limits) as handle:
        connection = xero.connection_to(handle)
        approver = scene.approver()
        ids = _books(connection, limits, handle)
        scene_made = time.monotonic()
        _accepted_invoices(backlog, *ids, approver)
        # The calls that made the scene (category, option, item, contact) are not export work:
        # the exports start in a minute of Xero's of their own, as after any earlier minute.
        time.sleep(max(window_seconds - (time.monotonic() - scene_made), 0))
        handle.clear_request_log()
        drain_exports(
            processes=workers,
            environment=xero.client_environment(handle, limits),
            timeout_seconds=windows * window_seconds * 20 + 300,
        )
        bill_log = handle.request_log()
        contacts_backlog = contacts
        _accepted_companies(contacts_backlog, approver)
        handle.clear_request_log()
        drain_exports(
            processes=workers,
            environment=xero.client_environment(handle, limits),
            timeout_seconds=600,
        )
        contact_log = handle.request_log()
        bills_in_xero = [
            bill for bill in handle.records("Invoice") if bill["InvoiceNumber"].startswith("XINV")
        ]
        contacts_in_xero = [
            c for c in handle.records("Contact") if c["Name"].startswith("XContact")
        ]
    invoices = SubcontractorInvoice.objects.filter(number__startswith="XINV")
    synced = invoices.filter(sync_status=SyncStatus.SYNCED).count()
    failed = invoices.filter(sync_status=SyncStatus.EXPORT_FAILED)
    companies = Company.objects.filter(name__startswith="XContact")
    throttle_failures = (
        failed.filter(last_export_error__icontains=THROTTLE_MESSAGE).count()
        + companies.filter(
            sync_status=SyncStatus.EXPORT_FAILED, last_export_error__icontains=THROTTLE_MESSAGE
        ).count()
    )
    bills = per_window(
        bill_log,
        window_seconds=window_seconds,
        matches=_is_write("Invoices"),
        api=xero.accounting_api,
    )
    bill_writes = sum(1 for request in bill_log if _is_write("Invoices")(request))
    contact_writes = sum(1 for request in contact_log if _is_write("Contacts")(request))
    bills_per_write = len(bills_in_xero) / max(bill_writes, 1)
    contacts_per_write = len(contacts_in_xero) / max(contact_writes, 1)
    bills_a_minute = bills.matching * bills_per_write * per_minute
    call_share = bills.requests / limits.per_window
    all_calls = len(xero.accounting_api(bill_log)) + len(xero.accounting_api(contact_log))
    scale = (
        f"{limits.per_window} calls a {window_seconds:g} s window (Xero's minute scaled down), "
        f"{limits.concurrent} at once; {workers} db_worker processes"
    )
    return [
        Row(
            TITLE + ": calls spent on export work",
            f"{count(backlog)} invoices",
            f"{bills.requests:.1f} calls per window",
            target=f"≥ 90 % of {limits.per_window}",
            ratio=percent(call_share),
            met=call_share >= SHARE_TARGET,
            note=f"{scale}; averaged over {bills.windows:.1f} windows; every call is an "
            "export's look-up, create or read of the items",
        ),
        Row(
            TITLE + ": bills a minute",
            f"{count(backlog)} invoices",
            f"{bills_a_minute:.0f} bills a minute",
            target=f"≥ {count(BILLS_A_MINUTE_TARGET)}",
            ratio=percent(bills_a_minute / BILLS_A_MINUTE_TARGET),
            met=bills_a_minute >= BILLS_A_MINUTE_TARGET,
            note=(
                f"{bills.matching:.1f} creates per window of {bills_per_write:.1f} bills each "
                f"(documents per call), times {per_minute:g} windows a minute; {count(synced)} "
                f"of {count(backlog)} invoices synced, {count(len(bills_in_xero))} bills in Xero "
                "(no duplicates when equal)"
            ),
        ),
        Row(
            TITLE + ": contacts per create call",
            f"{count(contacts_backlog)} companies",
            f"{contacts_per_write:.1f} contacts per call",
            target=f"up to {BATCH_SIZE}",
            met=contacts_per_write > 1,
            note=(
                f"{count(len(contacts_in_xero))} contacts made in {contact_writes} calls; "
                f"{count(companies.filter(sync_status=SyncStatus.SYNCED).count())} companies "
                "synced"
            ),
        ),
        Row(
            TITLE + ": throttled calls that failed an export",
            f"{count(backlog + contacts_backlog)} records",
            count(throttle_failures),
            target="0",
            met=throttle_failures == 0,
            note=(
                f"the sandbox answered 429 to {xero.throttled(bill_log + contact_log)} calls; "
                f"{failed.count()} invoice exports failed in all"
            ),
        ),
        Row(
            TITLE + ": the daily budget",
            f"{count(limits.per_day)} calls a day",
            f"{count(all_calls)} calls made",
            target=f"≤ {count(limits.per_day)}",
            met=all_calls <= limits.per_day,
            note="counted from the sandbox's log of both runs (bills and contacts)",
        ),
    ]
