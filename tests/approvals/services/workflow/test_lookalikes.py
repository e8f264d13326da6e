"""A company or project that looks like a vendor or job the ERP already has is never exported
as a second one silently: the send says so, the accept links it or creates one for a reason."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django_tasks_db.models import DBTaskResult

from approvals.models import AuditEvent, Company, DirectExportSetting, ERPJob, ERPVendor, Project
from approvals.services import PreconditionsNotMet, record_accept, record_send
from approvals.states import Action, SyncStatus
from tests.approvals.admin.helpers import change_url, decision_url, messages_of, reviewed
from tests.factories import make_company, make_project, make_user
from tests.html_forms import form_values

# The scripted connector asks to link or create companies and projects, as its ERP calls them.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scripted_connector")]


@pytest.fixture
def acme(erp_connection):
    """Acme Drywall Inc, synced and in the imported vendor list."""
    ERPVendor.objects.create(
        erp_connection=erp_connection, erp_id="58", display_name="Acme Drywall Inc"
    )
    company = make_company(name="Acme Drywall Inc", synced=True)
    Company.objects.filter(pk=company.pk).update(erp_connection=erp_connection, erp_id="58")
    return company


def event(record, action):
    return AuditEvent.objects.get(
        content_type=ContentType.objects.get_for_model(type(record)),
        object_id=record.pk,
        action=action,
    )


def test_a_company_like_a_synced_vendor_is_sent_with_the_reason_and_linked_at_accept(
    acme, pm, approver
):
    twin = make_company(name="ACME Drywall, Inc.")
    record_send(record=twin, actor=pm)
    sent = event(twin, Action.SEND)
    assert "already has the vendor 'Acme Drywall Inc' (id 58)" in sent.reason
    assert "already company 'Acme Drywall Inc' here" in sent.reason

    with pytest.raises(PreconditionsNotMet, match="Link it to the existing one, or say why"):
        record_accept(record=twin, actor=approver)
    record_accept(record=twin, actor=approver, link_to="58")

    twin.refresh_from_db()
    assert (twin.sync_status, twin.erp_id) == (SyncStatus.SYNCED, "58")
    assert "instead of creating a new one" in event(twin, Action.LINK).reason
    assert not DBTaskResult.objects.exists()


def test_creating_a_second_vendor_needs_a_reason_kept_in_the_history(acme, pm, approver):
    twin = make_company(name="Acme Drywall")
    record_send(record=twin, actor=pm)
    record_accept(
        record=twin, actor=approver, create_reason="The Seattle branch invoices on its own EIN."
    )
    accepted = event(twin, Action.ACCEPT)
    assert "Accepted to create a new one" in accepted.reason
    assert "The Seattle branch invoices on its own EIN." in accepted.reason
    assert DBTaskResult.objects.count() == 1


def test_direct_export_leaves_a_look_alike_for_an_approver(acme, pm):
    DirectExportSetting.objects.create(
        content_type=ContentType.objects.get_for_model(Company), enabled=True
    )
    twin = make_company(name="Acme Drywall, LLC")
    record_send(record=twin, actor=pm)
    twin.refresh_from_db()
    assert twin.sync_status == SyncStatus.READY_TO_EXPORT
    assert event(twin, Action.SEND).reason.startswith(
        "Kept for an approver although direct export is on"
    )
    different = make_company(name="Zephyr Glazing")
    record_send(record=different, actor=pm)
    different.refresh_from_db()
    assert different.sync_status == SyncStatus.EXPORTING


def test_a_project_named_like_an_imported_job_is_linked_to_it(erp_connection, pm, approver):
    ERPJob.objects.create(
        erp_connection=erp_connection,
        erp_id="301",
        display_name="Harbor Point Parking Garage",
        parent_erp_id="12",
    )
    project = make_project(number="P-2001", name="Harbor Point Parking Garage", members=[pm])
    record_send(record=project, actor=pm)
    assert "already has the job 'Harbor Point Parking Garage' (id 301)" in (
        event(project, Action.SEND).reason
    )

    record_accept(record=project, actor=approver, link_to="301")

    project.refresh_from_db()
    assert (project.sync_status, project.erp_id, project.erp_parent_customer_id) == (
        SyncStatus.SYNCED,
        "301",
        "12",
    )


def test_a_job_already_linked_to_another_project_is_not_given_to_a_second(
    erp_connection, pm, approver
):
    first = make_project(number="P-1001", name="Riverside Clinic Expansion", synced=True)
    Project.objects.filter(pk=first.pk).update(erp_connection=erp_connection, erp_id="77")
    second = make_project(number="P-2002", name="Riverside Clinic Expansion", members=[pm])
    record_send(record=second, actor=pm)

    with pytest.raises(PreconditionsNotMet, match="can be linked to any more"):
        record_accept(record=second, actor=approver, link_to="77")
    record_accept(
        record=second,
        actor=approver,
        create_reason="Phase 2 is a separate contract.",
    )
    second.refresh_from_db()
    assert second.sync_status == SyncStatus.EXPORTING


def test_the_accept_page_asks_link_or_create_and_refuses_no_answer(acme, pm, client):
    twin = make_company(name="ACME Drywall, Inc.")
    record_send(record=twin, actor=pm)
    approver = make_user(role="approver")
    client.force_login(approver)
    page = client.get(decision_url(Company, "accept", [twin])).content.decode()
    assert "Link it to the existing contact &#x27;Acme Drywall Inc&#x27; (id 58)" in page
    assert "Create a new contact" in page

    unanswered = client.post(decision_url(Company, "accept"), reviewed([twin]))
    assert unanswered.status_code == 200
    assert "Choose whether to link it or to create a new one." in unanswered.content.decode()
    no_reason = client.post(
        decision_url(Company, "accept"), {**reviewed([twin]), f"match_{twin.pk}": "create"}
    )
    assert "Say why a new one must be created." in no_reason.content.decode()

    values = form_values(page, containing="ids")
    values[f"match_{twin.pk}"] = ["link:58"]
    done = client.post(decision_url(Company, "accept"), values, follow=True)
    assert "linked to the existing one" in " ".join(messages_of(done))
    twin.refresh_from_db()
    assert twin.erp_id == "58"


def test_an_inactive_vendor_is_named_but_never_linked(erp_connection, pm, approver):
    ERPVendor.objects.create(
        erp_connection=erp_connection,
        erp_id="33",
        display_name="Summit Steel Erectors",
        is_active=False,
    )
    twin = make_company(name="Summit Steel Erectors LLC")
    record_send(record=twin, actor=pm)
    assert "It cannot be linked: the vendor is inactive" in event(twin, Action.SEND).reason
    with pytest.raises(PreconditionsNotMet, match="can be linked to any more"):
        record_accept(record=twin, actor=approver, link_to="33")


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("Keystne Concrete", "Keystone Concrete LLC"),
        ("Pena Drywall", "Peña Drywall"),
        ("Northwest Framing", "North West Framing"),
    ],
)
def test_direct_export_catches_slips_accents_and_split_words(erp_connection, pm, ours, theirs):
    DirectExportSetting.objects.create(
        content_type=ContentType.objects.get_for_model(Company), enabled=True
    )
    ERPVendor.objects.create(erp_connection=erp_connection, erp_id="70", display_name=theirs)
    company = make_company(name=ours)
    record_send(record=company, actor=pm)
    company.refresh_from_db()
    assert company.sync_status == SyncStatus.READY_TO_EXPORT, event(company, Action.SEND).reason


def test_a_job_one_letter_apart_is_to_check_first_and_a_different_building_is_not_one(
    erp_connection, pm
):
    ERPJob.objects.create(
        erp_connection=erp_connection, erp_id="90", display_name="Tower B Residences"
    )
    ERPJob.objects.create(
        erp_connection=erp_connection, erp_id="91", display_name="Harbour View Lofts"
    )
    tower = make_project(number="P-3001", name="Tower A Residences", members=[pm])
    harbor = make_project(number="P-3002", name="Harbor View Lofts", members=[pm])
    record_send(record=tower, actor=pm)
    record_send(record=harbor, actor=pm)
    assert "Tower B" not in event(tower, Action.SEND).reason
    assert "(check first: names one letter apart)" in event(harbor, Action.SEND).reason


def test_a_records_admin_page_names_its_look_alikes_until_it_is_linked(acme, pm, client):
    twin = make_company(name="ACME Drywall, Inc.")
    record_send(record=twin, actor=pm)
    client.force_login(make_user(role="approver"))
    sentence = "already has the vendor &#x27;Acme Drywall Inc&#x27; (id 58)"

    def review():
        page = client.get(change_url(twin)).content.decode()
        shown = page[page.index('id="erp-review"') :]
        return shown[: shown.index("</fieldset>")]

    assert sentence in review()
    record_accept(record=twin, actor=make_user(role="approver"), link_to="58")
    assert sentence not in review()
