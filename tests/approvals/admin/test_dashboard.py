"""The dashboard: counts per record type and queue, the oldest waiting item, recent failures."""

from datetime import timedelta

from django.utils import timezone

from approvals.models import Commitment, Company
from tests.approvals.admin.helpers import changelist_url, send
from tests.approvals.admin.test_queues import scene
from tests.factories import make_company, make_user

DASHBOARD = "/admin/approvals/dashboard/"


def test_the_dashboard_counts_each_queue_and_links_to_it(
    approver_client, approver, project, project_manager, erp_connection
):
    scene(project, project_manager, approver, erp_connection)
    send([make_company(), make_company()], by=project_manager)

    response = approver_client.get(DASHBOARD)

    assert response.status_code == 200
    rows = {row.name: row for row in response.context["rows"]}
    assert set(rows) == {
        "Projects",
        "Companies",
        "Commitments",
        "Commitment change orders",
        "Subcontractor invoices",
    }
    commitments = {cell.label: cell.count for cell in rows["Commitments"].cells}
    assert commitments == {
        "Ready to Export": 1,
        "Failed to Export": 1,
        "Exporting": 0,
        "Synced": 1,
        "Rejected": 1,
    }
    assert rows["Commitments"].not_sent == 1
    assert {cell.label: cell.count for cell in rows["Companies"].cells}["Ready to Export"] == 2
    page = response.content.decode()
    assert f'href="{changelist_url(Commitment, queue="failed")}"' in page
    assert f'href="{changelist_url(Company, queue="ready")}"' in page


def test_the_dashboard_names_the_oldest_waiting_item_and_its_age(approver_client, project_manager):
    older, _ = send([make_company(name="Acme Drywall"), make_company()], by=project_manager)
    # Sent three days ago, as the audit trail would say; the dashboard reads sent_at.
    Company.objects.filter(pk=older.pk).update(sent_at=timezone.now() - timedelta(days=3))

    response = approver_client.get(DASHBOARD)

    oldest = response.context["oldest"]
    assert oldest.title == "company 'Acme Drywall'"
    assert oldest.since == "3\xa0days"
    assert "Company &#x27;Acme Drywall&#x27;</a> has waited 3\xa0days for a decision." in (
        response.content.decode()
    )


def test_the_dashboard_lists_recent_failures_with_their_message(
    approver_client, approver, project, project_manager, erp_connection
):
    records = scene(project, project_manager, approver, erp_connection)

    response = approver_client.get(DASHBOARD)

    (failure,) = response.context["failures"]
    assert failure.title == f"commitment {records['failed'].number} '{records['failed'].title}'"
    assert failure.message == records["failed"].last_export_error
    assert "No accounting system is connected" in failure.message
    assert failure.message in response.content.decode().replace("&#x27;", "'")


def test_the_dashboard_shows_only_the_types_a_person_may_see(client, project_manager):
    send([make_company()], by=project_manager)
    viewer = make_user()
    viewer.is_staff = True
    viewer.save(update_fields=["is_staff"])
    client.force_login(viewer)

    response = client.get(DASHBOARD)

    assert response.context["rows"] == []
    assert response.context["oldest"] is None


def test_the_app_index_links_to_the_dashboard(approver_client):
    page = approver_client.get("/admin/approvals/").content.decode()

    assert f'href="{DASHBOARD}"' in page
