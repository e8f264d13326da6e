"""The four queues an accountant works through, and how cheaply a page of one is served."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from approvals.models import Commitment, SubcontractorInvoice
from approvals.services import record_accept, record_reject, record_send
from approvals.states import SyncStatus
from tests.approvals.admin.helpers import (
    changelist_url,
    decision_url,
    messages_of,
    refreshed,
    run_queued_exports,
    send,
)
from tests.factories import (
    make_commitment,
    make_company,
    make_invoice,
    make_project,
    make_user,
)


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
    everything = approver_client.get(changelist_url(Commitment, queue="all"))
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

    page = approver_client.get(changelist_url(Commitment, queue="all")).content.decode()

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
        assert (
            approver_client.get(changelist_url(SubcontractorInvoice, queue="all")).status_code
            == 200
        )
    for _ in range(45):
        make_invoice(commitment=commitment)
    with CaptureQueriesContext(connection) as fifty:
        response = approver_client.get(changelist_url(SubcontractorInvoice, queue="all"))

    assert len(response.context["cl"].result_list) == 50
    assert len(fifty) == len(five)
    assert "$900.00" in response.content.decode()  # billed less retainage: what the bill asks


def test_the_count_stops_at_the_cap(approver_client, project, monkeypatch):
    from approvals.admin.paginator import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "count_cap", 3)
    for _ in range(5):
        make_commitment(project=project)

    response = approver_client.get(changelist_url(Commitment, queue="all"))

    assert "More than 3 commitments" in response.content.decode()


def column_names(response) -> list[str]:
    return [
        str(header["text"]).lower()
        for header in response.context["result_headers"]
        if header["class_attrib"] != ' class="action-checkbox-column"'
    ]


def test_a_queue_opens_on_ready_to_export(
    approver_client, approver, project, project_manager, erp_connection
):
    records = scene(project, project_manager, approver, erp_connection)

    response = approver_client.get(changelist_url(Commitment))

    assert listed(response) == {records["ready"].pk}
    tabs = {tab.label: tab for tab in response.context["queue_tabs"]}
    assert tabs["Ready to Export"].active
    assert tabs["All"].url == changelist_url(Commitment, queue="all")
    sorted_by_number = approver_client.get(changelist_url(Commitment, o="1"))
    assert listed(sorted_by_number) == {records["ready"].pk}


def test_the_columns_that_matter_and_no_erp_id_while_nothing_has_one(
    approver_client, project, project_manager
):
    commitment = make_commitment(project=project, vendor=make_company(synced=True), synced=True)
    send([make_invoice(commitment=commitment)], by=project_manager)

    waiting = approver_client.get(changelist_url(SubcontractorInvoice))
    everything = approver_client.get(changelist_url(SubcontractorInvoice, queue="all"))

    assert column_names(waiting) == [
        "invoice number",
        "vendor",
        "project",
        "commitment",
        "amount",
        "erp sync",
        "age",
    ]
    assert "erp id" in column_names(everything)
    page = waiting.content.decode()
    assert '<td class="field-amount">$900.00</td>' in page
    assert '<td class="field-age">0\xa0minutes</td>' in page


def test_the_waiting_queue_is_sorted_by_age_oldest_first_and_can_be_turned(
    approver_client, project, project_manager
):
    oldest, newest = send([make_commitment(project=project) for _ in range(2)], by=project_manager)
    Commitment.objects.filter(pk=oldest.pk).update(sent_at=timezone.now() - timedelta(days=3))

    response = approver_client.get(changelist_url(Commitment))

    assert [record.pk for record in response.context["cl"].result_list] == [oldest.pk, newest.pk]
    age = column_names(response).index("age") + 1  # the checkbox column comes first
    header = response.context["result_headers"][age]
    assert header["sorted"] and header["ascending"]
    assert '<td class="field-age">3\xa0days</td>' in response.content.decode()

    turned = approver_client.get(changelist_url(Commitment, queue="ready", o=f"-{age}"))

    assert [record.pk for record in turned.context["cl"].result_list] == [newest.pk, oldest.pk]


def test_a_queue_is_filtered_by_project_and_vendor_and_keeps_its_queue(
    approver_client, approver, project
):
    other_project = make_project(synced=True)
    sender = make_user(role="project_manager", projects=[project, other_project])
    acme, keystone = (
        make_company(name="Acme", synced=True),
        make_company(name="Keystone", synced=True),
    )
    ours_acme, ours_keystone, theirs_acme = (
        make_commitment(project=project, vendor=acme),
        make_commitment(project=project, vendor=keystone),
        make_commitment(project=other_project, vendor=acme),
    )
    for commitment in (ours_acme, ours_keystone, theirs_acme):
        record_send(record=commitment, actor=sender)
    rejected = make_commitment(project=project, vendor=acme)
    record_send(record=rejected, actor=sender)
    record_reject(record=rejected, actor=approver, reason="No")

    by_project = approver_client.get(changelist_url(Commitment, project=project.pk))
    by_both = approver_client.get(changelist_url(Commitment, project=project.pk, vendor=acme.pk))
    rejected_of_acme = approver_client.get(
        changelist_url(Commitment, queue="rejected", vendor=acme.pk)
    )
    nonsense = approver_client.get(changelist_url(Commitment, project="<script>", vendor="9x"))

    assert listed(by_project) == {ours_acme.pk, ours_keystone.pk}
    assert listed(by_both) == {ours_acme.pk}
    assert listed(rejected_of_acme) == {rejected.pk}
    assert listed(nonsense) == {ours_acme.pk, ours_keystone.pk, theirs_acme.pk}
    page = rejected_of_acme.content.decode()
    # The drop-downs submit the queue and the other filter with them, and can be cleared.
    assert '<input type="hidden" name="queue" value="rejected">' in page
    assert f'<input type="hidden" name="vendor" value="{acme.pk}">' in page
    assert f'<option value="{acme.pk}" selected>Acme</option>' in page
    assert f'href="{changelist_url(Commitment, queue="rejected")}">&#10006; Clear the filters' in (
        page
    )


def test_select_all_across_pages_brings_every_record_of_the_queue_to_the_decision(
    approver_client, project, project_manager, monkeypatch
):
    from approvals.admin.records import CommitmentAdmin

    monkeypatch.setattr(CommitmentAdmin, "list_per_page", 2)
    commitments = send([make_commitment(project=project) for _ in range(5)], by=project_manager)
    make_commitment(project=project)  # not sent: not in the queue

    listing = approver_client.get(changelist_url(Commitment))
    assert "Select all 5 commitments" in listing.content.decode()
    page = approver_client.post(
        changelist_url(Commitment),
        {
            "action": "accept_selected",
            "_selected_action": [str(commitments[0].pk)],
            "select_across": "1",
        },
    )

    assert [row.record.pk for row in page.context["rows"]] == [c.pk for c in commitments]
    versions = page.context["versions"]
    done = approver_client.post(
        decision_url(Commitment, "accept"),
        {"ids": page.context["ids"], "versions": versions},
        follow=True,
    )
    assert messages_of(done)[0] == "5 of 5 commitments done."
    assert {refreshed(c).sync_status for c in commitments} == {SyncStatus.EXPORTING}


def test_every_queue_offers_accept_reject_and_retry(approver_client, approver, project):
    for queue in ("ready", "failed", "exporting", "synced", "rejected", "all"):
        response = approver_client.get(changelist_url(Commitment, queue=queue))
        offered = {label for _, label in response.context["action_form"].fields["action"].choices}
        assert {"Accept and export", "Reject", "Retry the export"} <= offered, queue


def test_a_bulk_retry_says_what_became_of_each_record(
    approver_client, approver, project, project_manager, erp_connection
):
    records = scene(project, project_manager, approver, erp_connection)
    failed, synced = records["failed"], records["synced"]

    done = approver_client.post(
        decision_url(Commitment, "retry"), {"ids": f"{failed.pk},{synced.pk}"}, follow=True
    )

    said = messages_of(done)
    assert said[0] == "1 of 2 commitments done."
    assert f"Commitment {failed.number} '{failed.title}': the export is queued again." in said
    assert any(message.startswith(f"Commitment {synced.number}") for message in said[2:])
    assert refreshed(failed).sync_status == SyncStatus.EXPORTING
    assert refreshed(synced).sync_status == SyncStatus.SYNCED


def test_the_admin_index_counts_each_queue_and_links_to_it(
    approver_client, approver, project, project_manager, erp_connection
):
    scene(project, project_manager, approver, erp_connection)

    response = approver_client.get(reverse("admin:index"))

    page = response.content.decode()
    assert 'id="erp-queues"' in page
    assert (
        f'<a href="{changelist_url(Commitment, queue="failed")}" '
        'title="Commitments: Failed to Export">1</a>'
    ) in page
    assert (
        f'<a href="{changelist_url(Commitment, queue="ready")}" '
        'title="Commitments: Ready to Export">1</a>'
    ) in page
