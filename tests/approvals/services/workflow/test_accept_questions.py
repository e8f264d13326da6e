"""The accept page asks what the connected ERP declares, and shows what that ERP describes.

The scripted ERP asks for a contact group and never for a customer: the same pages and services
that ask QuickBooks Online's questions ask these, so approvals/ holds no ERP's questions.
"""

import pytest

from approvals.models import Company, Project
from approvals.services import record_send
from approvals.states import SyncStatus
from integrations.questions import AcceptQuestion, AcceptQuestions
from tests.approvals.admin.helpers import decision_url, refreshed, reviewed
from tests.factories import make_company, make_project

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scripted_connector")]


@pytest.fixture
def approver_client(client, approver):
    client.force_login(approver)
    return client


def test_a_company_is_asked_the_scripted_erps_question_and_keeps_the_answer(approver_client, pm):
    company = make_company(name="Keystone <Concrete>")
    record_send(record=company, actor=pm)

    page = approver_client.get(decision_url(Company, "accept", [company])).content.decode()
    assert "Contact group" in page
    assert '<option value="trades">Trades</option>' in page
    assert "Vendor type" not in page
    assert "Scripted ERP company" in page  # its description
    assert "Keystone &lt;Concrete&gt;" in page

    response = approver_client.post(
        decision_url(Company, "accept"), {**reviewed([company]), "vendor_type": "suppliers"}
    )
    assert response.status_code == 302
    company = refreshed(company)
    assert (company.sync_status, company.vendor_type) == (SyncStatus.EXPORTING, "suppliers")


def test_a_project_is_accepted_without_a_customer_where_the_erp_asks_none(
    approver_client, pm, erp_connection
):
    project = make_project(members=[pm])
    record_send(record=project, actor=pm)

    page = approver_client.get(decision_url(Project, "accept", [project])).content.decode()
    assert "Customer" not in page

    response = approver_client.post(decision_url(Project, "accept"), reviewed([project]))
    assert response.status_code == 302
    assert refreshed(project).sync_status == SyncStatus.EXPORTING


def test_a_required_question_with_nothing_to_choose_says_why_on_the_page(
    approver_client, pm, scripted_connector, monkeypatch
):
    region = AcceptQuestion(
        name="parent_customer_id",
        field="erp_parent_customer_id",
        label="Region",
        choices=(),
        required=True,
        none_to_choose="No regions were imported yet; import them, then accept.",
    )
    monkeypatch.setattr(
        scripted_connector.ScriptedConnector,
        "accept_questions",
        lambda self, model: AcceptQuestions(choices=(region,)),
    )
    project = make_project(members=[pm])
    record_send(record=project, actor=pm)

    page = approver_client.get(decision_url(Project, "accept", [project])).content.decode()
    assert "No regions were imported yet; import them, then accept." in page
    assert 'value="Accept and export"' not in page
