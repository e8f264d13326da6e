"""Proposing a vendor update from a synced company's edit page, and seeing it on the company page."""

import pytest
from django.urls import reverse

from approvals.models import ApprovalPolicy, Company, VendorUpdate
from approvals.states import SyncStatus
from tests.approvals.views.conftest import messages_of
from tests.factories import make_company, make_user

pytestmark = pytest.mark.django_db

FIELDS = (
    "name",
    "legal_name",
    "tax_id",
    "email",
    "phone",
    "address_line1",
    "city",
    "region",
    "postal_code",
    "country",
)


@pytest.fixture
def company(connection):
    return make_company(
        name="Acme Drywall",
        email="ap@acme.test",
        tax_id="12-3456789",
        city="Portland",
        sync_status=SyncStatus.SYNCED,
        erp_id="58",
        erp_connection=connection,
    )


@pytest.fixture
def accountant(db):
    return make_user(role="approver", username="pat", first_name="Pat")


def posted(company, **changes) -> dict:
    return {name: getattr(company, name) for name in FIELDS} | changes


def edit_url(company) -> str:
    return reverse("approvals:company_edit", args=[company.pk])


def detail_url(company) -> str:
    return reverse("approvals:company_detail", args=[company.pk])


def test_an_approver_proposes_and_the_company_keeps_its_values(client, company, accountant):
    client.force_login(accountant)
    page = client.get(edit_url(company)).content.decode()
    assert "saving proposes a vendor update" in page
    assert 'name="tax_id"' in page and "disabled" not in page.split('name="tax_id"')[1][:80]

    response = client.post(edit_url(company), posted(company, tax_id="98-7654321"), follow=True)

    assert response.redirect_chain[-1][0] == detail_url(company)
    assert messages_of(response) == [
        "Your change to tax id of Acme Drywall waits for an accounting approver. The company "
        "and its ERP vendor keep their values until it is accepted."
    ]
    company.refresh_from_db()
    assert company.tax_id == "12-3456789"
    [update] = VendorUpdate.objects.all()
    assert update.changes[0]["new"] == "98-7654321"
    page = response.content.decode()
    assert 'id="vendor-update"' in page
    assert "12-3456789" in page and "98-7654321" in page


def test_a_project_manager_sees_the_fields_locked_and_who_may_propose(client, company):
    pm = make_user(role="project_manager")
    client.force_login(pm)
    page = client.get(edit_url(company)).content.decode()
    assert "only accounting approvers and administrators may propose" in page

    response = client.post(edit_url(company), posted(company, tax_id="98-7654321"))

    assert response.status_code == 200
    assert "Tax id cannot be changed here." in response.content.decode()
    assert not VendorUpdate.objects.exists()
    detail = client.get(detail_url(company)).content.decode()
    assert "Propose a change" not in detail
    assert "only accounting approvers and administrators may propose" in detail


def test_someone_who_may_neither_edit_nor_propose_is_refused(client, company):
    client.force_login(make_user())
    assert client.post(edit_url(company), posted(company, phone="1")).status_code == 403
    assert not VendorUpdate.objects.exists()


def test_with_the_setting_a_project_manager_proposes_too(client, company):
    ApprovalPolicy.objects.create(vendor_updates_proposed_by="editors")
    pm = make_user(role="project_manager")
    client.force_login(pm)
    client.post(edit_url(company), posted(company, phone="555-0199"))
    [update] = VendorUpdate.objects.all()
    assert update.proposed_by == pm


def test_a_submit_without_a_change_creates_nothing(client, company, accountant):
    client.force_login(accountant)
    response = client.post(edit_url(company), posted(company), follow=True)
    assert messages_of(response) == [
        "Nothing the ERP holds for this vendor changed, so no vendor update was proposed."
    ]
    assert not VendorUpdate.objects.exists()


def test_a_second_proposal_is_refused_naming_the_first_with_a_link(client, company, accountant):
    client.force_login(accountant)
    client.post(edit_url(company), posted(company, phone="555-0199"))
    other = make_user(role="approver", username="alice")
    client.force_login(other)

    response = client.post(edit_url(company), posted(company, city="Salem"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "The vendor update of Acme Drywall is still open (waiting for approval): Pat" in page
    assert f'href="{detail_url(company)}#vendor-update"' in page
    assert VendorUpdate.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "sentence"),
    [
        ("name", "Acme\r\nDrywall", "must be a single line"),
        ("city", "Port\tland", "must be a single line"),
        ("email", "not-an-email", "Enter a valid email address."),
        ("postal_code", "9" * 31, "at most 30 characters"),
    ],
)
def test_bad_input_gets_a_sentence_and_no_proposal(
    client, company, accountant, field, value, sentence
):
    client.force_login(accountant)
    response = client.post(edit_url(company), posted(company, **{field: value}))
    assert response.status_code == 200
    assert sentence in response.content.decode()
    assert not VendorUpdate.objects.exists()


def test_a_change_the_erp_would_refuse_gets_its_sentence_and_no_proposal(
    client, company, accountant, scripted_connector
):
    scripted_connector.PROBLEMS.append("The ERP refuses names with a colon.")
    client.force_login(accountant)
    response = client.post(edit_url(company), posted(company, name="Acme: Drywall"))
    assert response.status_code == 200
    assert "The ERP refuses names with a colon." in response.content.decode()
    assert not VendorUpdate.objects.exists()


def test_values_are_shown_escaped_on_the_company_page(client, company, accountant):
    client.force_login(accountant)
    client.post(edit_url(company), posted(company, legal_name="<script>alert(1)</script>"))
    page = client.get(detail_url(company)).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_everyone_who_can_see_the_company_sees_the_waiting_change(client, company, accountant):
    client.force_login(accountant)
    client.post(edit_url(company), posted(company, city="Salem"))
    client.force_login(make_user(role="project_manager"))
    page = client.get(detail_url(company)).content.decode()
    assert 'id="vendor-update"' in page and "Salem" in page
    assert "Withdraw the change" not in page


def test_the_proposer_withdraws_a_waiting_change(client, company, accountant):
    client.force_login(accountant)
    client.post(edit_url(company), posted(company, city="Salem"))
    update = VendorUpdate.objects.get()
    assert "Withdraw the change" in client.get(detail_url(company)).content.decode()

    url = reverse("approvals:vendor_update_withdraw", args=[company.pk, update.pk])
    response = client.post(url, follow=True)

    assert messages_of(response) == [
        "Your vendor update of Acme Drywall was withdrawn; nothing changed."
    ]
    update.refresh_from_db()
    assert update.status == "withdrawn"
    assert "Vendor update withdrawn" in response.content.decode()  # in the company's history


def test_someone_else_cannot_withdraw_it(client, company, accountant):
    client.force_login(accountant)
    client.post(edit_url(company), posted(company, city="Salem"))
    update = VendorUpdate.objects.get()
    client.force_login(make_user(role="approver"))
    url = reverse("approvals:vendor_update_withdraw", args=[company.pk, update.pk])
    assert client.post(url).status_code == 404
    update.refresh_from_db()
    assert update.status == "waiting"


def test_an_unsynced_company_is_still_edited_directly(client, accountant):
    pm = make_user(role="project_manager")
    company = make_company(name="Bravo Paint")
    client.force_login(pm)
    client.post(edit_url(company), posted(company, city="Salem"))
    assert Company.objects.get(pk=company.pk).city == "Salem"
    assert not VendorUpdate.objects.exists()
