"""When the accounting system cannot answer, the accountant reads why; nothing half happens."""

from approvals.models import Project
from approvals.states import SyncStatus
from tests.approvals.admin.helpers import decision_url, refreshed, reviewed, send
from tests.factories import make_project


def disconnect(connection):
    connection.is_active = False
    connection.save(update_fields=["is_active"])


def test_the_project_accept_page_says_why_customers_cannot_be_chosen(
    approver_client, project_manager, erp_connection
):
    project = make_project(members=[project_manager])
    send([project], by=project_manager)
    disconnect(erp_connection)

    response = approver_client.get(decision_url(Project, "accept", [project]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "No accounting system is connected" in page
    assert 'value="Accept and export"' not in page

    posted = approver_client.post(
        decision_url(Project, "accept"), {**reviewed([project]), "parent_customer_id": "58"}
    )
    assert posted.status_code == 200
    assert refreshed(project).sync_status == SyncStatus.READY_TO_EXPORT
