"""The jobs ⇄ projects page: a job becomes a project its project managers see, numbered as the
team knows it; the link drop-down offers a project ready to link only when it is the job's."""

import re
import threading

import pytest
from django.db import connection as database
from django.test import Client
from django.urls import reverse

from approvals.models import AuditEvent, ERPJob, Project
from approvals.services.importing import imports_jobs
from approvals.states import Action, SyncStatus
from tests.factories import make_erp_connection, make_project, make_user
from tests.html_forms import form_values

pytestmark = pytest.mark.django_db

URL = "admin:approvals_imports_jobs"


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


def _job(connection, name: str, *, customer: str = "City Schools", **fields) -> ERPJob:
    return ERPJob.objects.create(
        erp_connection=connection,
        erp_id=str(500 + ERPJob.objects.count()),
        display_name=name,
        fully_qualified_name=f"{customer}:{name}",
        parent_erp_id="58",
        parent_name=customer,
        **fields,
    )


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_a_job_added_with_its_project_managers_is_a_project_they_see(client):
    connection = make_erp_connection()
    job = _job(connection, "Lincoln Gym", address="12 Elm St, Salem")
    chosen, other = make_user(role="project_manager"), make_user(role="project_manager")
    accountant = make_user(role="approver")
    client.force_login(accountant)

    done = client.post(
        reverse(URL), {"action": "add", "job": job.pk, "managers": [chosen.pk]}, follow=True
    )

    project = Project.objects.get(erp_id=job.erp_id)
    # No number of its own: the job's name, never the ERP's internal id.
    assert (project.number, project.name, str(project)) == (
        "Lincoln Gym",
        "Lincoln Gym",
        "Lincoln Gym",
    )
    assert (project.customer_name, project.address) == ("City Schools", "12 Elm St, Salem")
    assert project.sync_status == SyncStatus.SYNCED
    assert list(project.members.all()) == [chosen]
    [event] = AuditEvent.objects.filter(object_id=project.pk, action=Action.IMPORT)
    assert f"project managers: {chosen.get_username()}" in event.reason
    assert f"{chosen.get_username()} can see it now" in " ".join(_messages(done))

    manager = Client()
    manager.force_login(chosen)
    assert "Lincoln Gym" in manager.get(reverse("approvals:home")).content.decode()
    assert manager.get(reverse("approvals:project_detail", args=[project.pk])).status_code == 200
    outsider = Client()
    outsider.force_login(other)
    assert outsider.get(reverse("approvals:project_detail", args=[project.pk])).status_code == 404


def test_a_job_with_its_own_number_gives_the_project_that_number():
    connection = make_erp_connection()
    job = _job(connection, "P-104 Riverside Clinic")

    project = imports_jobs.job_add_to_projects(job=job, actor=make_user(role="approver"))

    # Named as an exported project's job is: its number, then its name.
    assert (project.number, project.name, str(project)) == (
        "P-104",
        "Riverside Clinic",
        "P-104 Riverside Clinic",
    )


def test_only_project_managers_can_be_given_the_project(client):
    connection = make_erp_connection()
    job = _job(connection, "Lincoln Gym")
    accountant = make_user(role="approver")
    client.force_login(accountant)

    done = client.post(
        reverse(URL), {"action": "add", "job": job.pk, "managers": [accountant.pk]}, follow=True
    )

    assert not Project.objects.exists()
    assert any("no longer an active project manager" in m for m in _messages(done))


def test_a_job_named_with_markup_and_line_breaks_becomes_a_one_line_project_shown_as_text(
    client,
):
    connection = make_erp_connection()
    job = _job(
        connection,
        "Gym <script>alert('x')</script>\nPhase 2",
        customer="Oak\r\nSchools",
        address="1 Main St\nSalem",
    )
    manager = make_user(role="project_manager")
    client.force_login(make_user(role="approver"))

    page = client.get(reverse(URL)).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    done = client.post(
        reverse(URL), {"action": "add", "job": job.pk, "managers": [manager.pk]}, follow=True
    )

    project = Project.objects.get()
    assert project.name == "Gym <script>alert('x')</script> Phase 2"
    assert (project.customer_name, project.address) == ("Oak Schools", "1 Main St Salem")
    assert project.number == "Gym <script>alert('x')</script"[:30]
    assert "<script>alert" not in done.content.decode()
    project.full_clean()  # what the project's own form would accept


def test_the_link_drop_down_chooses_a_project_only_when_it_is_the_jobs(client):
    connection = make_erp_connection()
    numbered = _job(connection, "P-200 Harbor Clinic")
    unmatched = _job(connection, "Harbor Point Parking Garage")
    clinic = make_project(number="P-200", name="Harbor Clinic")
    make_project(number="P-1003", name="Harbor Point Lofts")
    client.force_login(make_user(role="approver"))

    page = client.get(reverse(URL)).content.decode()

    def chosen(job):
        row = page[page.index(f'id="erp-job-{job.pk}"') :].split("</tr>")[0]
        return form_values(row, containing="project")["project"]

    assert chosen(numbered) == [str(clinic.pk)]
    assert chosen(unmatched) == [""]


def test_linking_with_no_project_chosen_says_so_and_changes_nothing(client):
    connection = make_erp_connection()
    job = _job(connection, "Harbor Point Parking Garage")
    client.force_login(make_user(role="approver"))

    done = client.post(
        reverse(URL),
        {"action": "link", "job": job.pk, "project": "", "confirmed": "yes"},
        follow=True,
    )

    assert any("Choose the project to link job" in m for m in _messages(done))
    assert not Project.objects.filter(erp_id=job.erp_id).exists()


def test_a_project_manager_cannot_enable_job_cost_syncing_by_posting(client):
    project = make_project(synced=True)
    manager = make_user(role="project_manager", projects=[project])
    client.force_login(manager)

    refused = client.post(reverse(URL), {"action": "enable_job_costs", "project": project.pk})
    # A project manager with admin access still has no right to it.
    type(manager).objects.filter(pk=manager.pk).update(is_staff=True)
    forbidden = client.post(reverse(URL), {"action": "enable_job_costs", "project": project.pk})

    assert refused.status_code == 302 and "/login/" in refused["Location"]
    assert forbidden.status_code == 403
    project.refresh_from_db()
    assert not project.job_cost_sync_enabled


def test_job_cost_syncing_is_enabled_only_on_a_synced_project(client):
    make_erp_connection()
    unsynced = make_project()
    client.force_login(make_user(role="approver"))

    done = client.post(
        reverse(URL), {"action": "enable_job_costs", "project": unsynced.pk}, follow=True
    )

    assert any("must be synced with the ERP" in m for m in _messages(done))
    unsynced.refresh_from_db()
    assert not unsynced.job_cost_sync_enabled


@pytest.mark.django_db(transaction=True)
def test_two_accountants_adding_the_same_job_at_once_make_one_project():
    connection = make_erp_connection()
    job = _job(connection, "Lincoln Gym")
    managers = [make_user(role="project_manager"), make_user(role="project_manager")]
    accountants = [make_user(role="approver"), make_user(role="administrator")]
    start = threading.Barrier(2)
    said = []

    def add(accountant, manager):
        try:
            client = Client()
            client.force_login(accountant)
            start.wait(timeout=10)
            response = client.post(
                reverse(URL),
                {"action": "add", "job": job.pk, "managers": [manager.pk]},
                follow=True,
            )
            # Not response.context: the test client collects it from every thread's rendering.
            page = response.content.decode()
            said.extend(re.findall(r'<li class="[a-z]+">([^<]*)</li>', page))
        finally:
            database.close()

    threads = [threading.Thread(target=add, args=pair) for pair in zip(accountants, managers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    [project] = Project.objects.filter(erp_id=job.erp_id)
    assert AuditEvent.objects.filter(object_id=project.pk, action=Action.IMPORT).count() == 1
    # The project managers of the accountant who was first, and only theirs.
    assert project.members.count() == 1
    assert len(said) == 2
    assert sum("can see it now" in message for message in said) == 1, said
    assert any(
        "already project" in message or "added as a project by someone else" in message
        for message in said
    ), said
