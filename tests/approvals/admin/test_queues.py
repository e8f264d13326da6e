"""The four queues an accountant works through, and how cheaply a page of one is served."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.models import Commitment, SubcontractorInvoice
from approvals.services import record_accept, record_reject
from approvals.states import SyncStatus
from tests.approvals.admin.helpers import changelist_url, refreshed, run_queued_exports, send
from tests.factories import make_commitment, make_company, make_invoice


def listed(response) -> set[int]:
    return {record.pk for record in response.context["cl"].result_list}


def scene(project, project_manager, approver, erp_connection):
    """One commitment in each status the queues show."""
    ready, rejected, failed = send(
        [make_commitment(project=project) for _ in range(3)], by=project_manager
    )
    record_reject(record=rejected, actor=approver, reason="Wrong vendor")
    record_accept(record=failed, actor=approver)
    # The connection goes away before the worker runs: the export cannot go anywhere.
    erp_connection.is_active = False
    erp_connection.save(update_fields=["is_active"])
    run_queued_exports()
    erp_connection.is_active = True
    erp_connection.save(update_fields=["is_active"])
    synced = make_commitment(project=project, synced=True)
    not_sent = make_commitment(project=project)
    return {
        "ready": ready,
        "rejected": rejected,
        "failed": refreshed(failed),
        "synced": synced,
        "not_sent": not_sent,
    }


def test_each_queue_lists_its_records(
    approver_client, approver, project, project_manager, erp_connection
):
    records = scene(project, project_manager, approver, erp_connection)
    assert records["failed"].sync_status == SyncStatus.EXPORT_FAILED

    for queue in ("ready", "rejected", "failed", "synced"):
        response = approver_client.get(changelist_url(Commitment, queue=queue))
        assert listed(response) == {records[queue].pk}, queue
    everything = approver_client.get(changelist_url(Commitment))
    assert listed(everything) == {record.pk for record in records.values()}


def test_the_tabs_count_what_waits(
    approver_client, approver, project, project_manager, erp_connection
):
    scene(project, project_manager, approver, erp_connection)
    send([make_commitment(project=project)], by=project_manager)

    response = approver_client.get(changelist_url(Commitment, queue="ready"))

    tabs = {tab.label: tab for tab in response.context["queue_tabs"]}
    assert tabs["Ready to Export"].count == 2
    assert tabs["Ready to Export"].active
    assert tabs["Failed to Export"].count == 1
    assert tabs["Synced"].count is None
    page = response.content.decode()
    assert "Ready to Export<span" in page


def test_badges_show_the_status_in_its_colour_and_the_erp_id(
    approver_client, approver, project, project_manager, erp_connection
):
    records = scene(project, project_manager, approver, erp_connection)

    page = approver_client.get(changelist_url(Commitment)).content.decode()

    assert '<span class="erp-badge erp-badge-blue">Ready to export</span>' in page
    assert '<span class="erp-badge erp-badge-green">Synced</span>' in page
    assert '<span class="erp-badge erp-badge-yellow">Rejected</span>' in page
    assert '<span class="erp-badge erp-badge-red">Failed to export</span>' in page
    assert f'<td class="field-erp_reference">{records["synced"].erp_id}</td>' in page


def test_the_ready_queue_lists_the_oldest_first(approver_client, project, project_manager):
    first, second, third = send(
        [make_commitment(project=project) for _ in range(3)], by=project_manager
    )

    response = approver_client.get(changelist_url(Commitment, queue="ready"))

    assert [record.pk for record in response.context["cl"].result_list] == [
        first.pk,
        second.pk,
        third.pk,
    ]


def test_a_queue_page_costs_the_same_queries_for_5_or_50_commitments(
    approver_client, project, project_manager
):
    send(
        [make_commitment(project=project, lines=("10.00", "20.00")) for _ in range(5)],
        by=project_manager,
    )
    with CaptureQueriesContext(connection) as five:
        assert approver_client.get(changelist_url(Commitment, queue="ready")).status_code == 200
    send(
        [make_commitment(project=project, lines=("10.00", "20.00")) for _ in range(45)],
        by=project_manager,
    )
    with CaptureQueriesContext(connection) as fifty:
        response = approver_client.get(changelist_url(Commitment, queue="ready"))

    assert len(response.context["cl"].result_list) == 50
    assert len(fifty) == len(five)
    assert "$30.00" in response.content.decode()


def test_an_invoice_page_costs_the_same_queries_for_5_or_50_invoices(approver_client, project):
    commitment = make_commitment(project=project, vendor=make_company(synced=True), synced=True)
    for _ in range(5):
        make_invoice(commitment=commitment)
    with CaptureQueriesContext(connection) as five:
        assert approver_client.get(changelist_url(SubcontractorInvoice)).status_code == 200
    for _ in range(45):
        make_invoice(commitment=commitment)
    with CaptureQueriesContext(connection) as fifty:
        response = approver_client.get(changelist_url(SubcontractorInvoice))

    assert len(response.context["cl"].result_list) == 50
    assert len(fifty) == len(five)
    assert "$1,000.00" in response.content.decode()


def test_the_count_stops_at_the_cap(approver_client, project, monkeypatch):
    from approvals.admin.paginator import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "count_cap", 3)
    for _ in range(5):
        make_commitment(project=project)

    response = approver_client.get(changelist_url(Commitment))

    assert "More than 3 commitments" in response.content.decode()
