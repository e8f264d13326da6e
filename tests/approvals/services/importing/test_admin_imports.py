"""The import pages of the admin, with any ERP: link a suggested vendor, import another, add a job
as a project and enable its job costs; each page names the connected ERP in its own nouns. The
scripted ERP holds the vendors and jobs (tests/approvals/scripted_reader.py)."""

import pytest
from django.urls import reverse

from approvals.models import Company, Project
from approvals.services.importing import imports_jobs, imports_vendors
from approvals.states import SyncStatus
from integrations import registry
from integrations.models import ERPKind
from tests.factories import make_company, make_erp_connection, make_project, make_user
from tests.html_forms import form_values

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


def test_an_approver_links_a_suggested_vendor_and_imports_another(
    client, erp_books, erp_connection
):
    erp_books.add_vendor("Star Framing, LLC")
    erp_books.add_vendor("Fresh Vendor")
    imports_vendors.vendors_sync(connection=erp_connection)
    star = make_company(name="Star Framing")
    client.force_login(make_user(role="approver"))
    url = reverse("admin:approvals_imports_vendors")
    page = client.get(url).content.decode()
    assert "same name ignoring &#x27;LLC&#x27;" in page and "Fresh Vendor" in page
    confirm = client.get(url + "?confirm=link_all").content.decode()
    pair = form_values(confirm, containing="pair")["pair"]
    # A company added while the confirmation was open is not linked with the confirmed pairs.
    late = make_company(name="Fresh Vendor Inc")
    done = client.post(url, {"action": "link_all", "confirmed": "yes", "pair": pair})
    assert done.status_code == 302
    star.refresh_from_db()
    late.refresh_from_db()
    assert star.sync_status == SyncStatus.SYNCED
    assert late.sync_status == SyncStatus.NOT_SENT
    late.delete()
    fresh = imports_vendors.vendors_only_in_erp(connection=erp_connection).get()
    client.post(url, {"action": "add", "vendor": fresh.pk})
    assert Company.objects.get(name="Fresh Vendor").sync_status == SyncStatus.SYNCED


def test_project_managers_cannot_open_the_import_pages(client, erp_connection):
    manager = make_user(role="project_manager")
    type(manager).objects.filter(pk=manager.pk).update(is_staff=True)
    client.force_login(manager)
    assert client.get(reverse("admin:approvals_imports_jobs")).status_code == 403
    assert client.get(reverse("admin:approvals_imports_vendors")).status_code == 403


def test_an_approver_adds_a_job_and_enables_its_job_costs(client, erp_books, erp_connection):
    erp_books.add_job("Lincoln Gym", under=erp_books.add_customer("City Schools"))
    imports_jobs.jobs_sync(connection=erp_connection)
    client.force_login(make_user(role="approver"))
    url = reverse("admin:approvals_imports_jobs")
    job = imports_jobs.jobs_ready_to_import(connection=erp_connection).get()
    client.post(url, {"action": "add", "job": job.pk})
    project = Project.objects.get(name="Lincoln Gym")
    assert (project.sync_status, project.customer_name) == (SyncStatus.SYNCED, "City Schools")
    client.post(url, {"action": "enable_job_costs", "project": project.pk})
    project.refresh_from_db()
    assert project.job_cost_sync_enabled


@pytest.mark.parametrize(
    "page, posted",
    [
        ("vendors", {"action": "archive", "vendor": "abc"}),
        ("vendors", {"action": "link", "vendor": "1e3", "company": "1"}),
        ("jobs", {"action": "enable_job_costs", "project": "1e3"}),
        ("jobs", {"action": "link", "job": "²", "project": "1"}),
    ],
)
def test_an_id_that_is_not_a_number_is_answered_with_a_sentence(
    client, erp_connection, page, posted
):
    client.force_login(make_user(role="approver"))
    url = reverse(f"admin:approvals_imports_{page}")

    response = client.post(url, posted, follow=True)

    assert response.status_code == 200
    messages = [str(message) for message in response.context["messages"]]
    assert any("is not one of those listed" in message for message in messages), messages


def erp_entry(display_name: str, connection_page: str, **fields) -> registry.ERPEntry:
    return registry.ERPEntry(
        display_name=display_name,
        connector="tests.approvals.scripted_connector.ScriptedConnector",
        reader="",
        connection_page=connection_page,
        sandbox="",
        **fields,
    )


def test_the_admin_index_links_the_connection_page_of_every_erp_the_registry_names(
    client, monkeypatch
):
    monkeypatch.setattr(
        registry,
        "ERPS",
        {
            ERPKind.XERO: erp_entry("Xero", "admin:approvals_imports_vendors"),
            "books_desktop": erp_entry("Books Desktop", "admin:approvals_imports_jobs"),
        },
    )
    client.force_login(make_user(role="administrator"))
    page = client.get(reverse("admin:index")).content.decode()
    assert f'<a href="{reverse("admin:approvals_imports_vendors")}">Xero connection' in page
    assert f'<a href="{reverse("admin:approvals_imports_jobs")}">Books Desktop connection' in page


def test_the_import_pages_name_the_connected_erp_and_use_its_nouns(client, monkeypatch):
    nouns = registry.ImportNouns(
        job="tracking option", jobs="tracking options", vendor="contact", vendors="contacts"
    )
    monkeypatch.setitem(
        registry.ERPS, ERPKind.XERO, erp_entry("Ledger Cloud", "admin:index", nouns=nouns)
    )
    make_erp_connection(kind=ERPKind.XERO)
    client.force_login(make_user(role="approver"))
    jobs = client.get(reverse("admin:approvals_imports_jobs")).content.decode()
    vendors = client.get(reverse("admin:approvals_imports_vendors")).content.decode()
    assert "Tracking options in Ledger Cloud with no project here." in jobs
    assert "No tracking options wait to be imported." in jobs
    assert "Contacts only in Ledger Cloud" in vendors
    index = client.get(reverse("admin:index")).content.decode()
    assert "Tracking options ⇄ projects (0 not linked)</a>" in index
    assert "Contacts ⇄ companies (0 not matched)</a>" in index
    assert "QuickBooks" not in jobs + vendors + index
    assert "Xero" not in jobs + vendors


def _erp_vendor(connection, name: str, **fields):
    from approvals.models import ERPVendor

    return ERPVendor.objects.create(
        erp_connection=connection,
        erp_id=str(ERPVendor.objects.count() + 100),
        display_name=name,
        **fields,
    )


def test_the_vendors_page_shows_what_decides_a_match_with_tax_ids_only_by_their_last_four(
    client, erp_books, erp_connection
):
    from decimal import Decimal

    connection = erp_connection
    # An ERP that hands tax ids over whole, and one that masks them: both show the last four.
    _erp_vendor(
        connection,
        "Keystone Concrete LLC",
        email="ap@keystone.example",
        tax_id="93-1234567",
        address_line1="1200 SE Water Ave",
        city="Portland",
        region="OR",
        postal_code="97214",
        open_balance=Decimal("18250.40"),
        currency="USD",
    )
    _erp_vendor(
        connection,
        "Granite Countertops",
        tax_id="XXXXXXX6789",
        open_balance=Decimal("0.00"),
        currency="CAD",
    )
    make_company(name="Keystone Concrete", tax_id="93-1234567", city="Portland")
    client.force_login(make_user(role="approver"))

    page = client.get(reverse("admin:approvals_imports_vendors")).content.decode()

    assert "ap@keystone.example" in page
    assert "1200 SE Water Ave, Portland, OR 97214" in page
    assert "$18,250.40" in page and "CAD 0.00" in page
    assert "•••• 4567" in page and "•••• 6789" in page
    assert "1234567" not in page and "XXXXXXX" not in page


def test_a_vendor_with_a_suggested_match_is_not_offered_for_the_directory_and_the_page_says_why(
    client, erp_books, erp_connection
):
    erp_books.add_vendor("Star Framing, LLC")
    erp_books.add_vendor("Home Depot Pro")
    imports_vendors.vendors_sync(connection=erp_connection)
    make_company(name="Star Framing")
    client.force_login(make_user(role="approver"))

    page = client.get(reverse("admin:approvals_imports_vendors")).content.decode()

    only_in_erp = page[page.index('id="erp-only-vendors"') :]
    star = only_in_erp[only_in_erp.index("Star Framing, LLC") :].split("</tr>")[0]
    depot = only_in_erp[only_in_erp.index("Home Depot Pro") :].split("</tr>")[0]
    assert "Add to company directory" not in star
    assert "Suggested match: company 'Star Framing' (same name ignoring" in star
    assert "Add to company directory" in depot

    # Posted all the same, from a page shown before the company existed: refused, with why.
    star_vendor = imports_vendors.vendors_only_in_erp(connection=erp_connection).get(
        display_name="Star Framing, LLC"
    )
    done = client.post(
        reverse("admin:approvals_imports_vendors"),
        {"action": "add", "vendor": star_vendor.pk},
        follow=True,
    )
    said = " ".join(str(message) for message in done.context["messages"])
    assert "looks like a company already here: link it instead" in said
    assert not Company.objects.filter(erp_id=star_vendor.erp_id).exists()


def _waiting_scene(connection):
    from approvals.models import ERPJob

    ERPJob.objects.create(erp_connection=connection, erp_id="71", display_name="Lincoln Gym")
    ERPJob.objects.create(erp_connection=connection, erp_id="72", display_name="Linked")
    linked = make_project(synced=True)
    Project.objects.filter(pk=linked.pk).update(erp_id="72")
    _erp_vendor(connection, "Star Framing, LLC")
    _erp_vendor(connection, "Home Depot Pro")
    make_company(name="Star Framing")


def test_the_admin_index_lists_both_import_pages_with_what_waits_on_them(
    client, erp_books, erp_connection
):
    _waiting_scene(erp_connection)
    client.force_login(make_user(role="approver"))

    index = client.get(reverse("admin:index")).content.decode()

    jobs = reverse("admin:approvals_imports_jobs")
    vendors = reverse("admin:approvals_imports_vendors")
    assert f'<a href="{jobs}">Jobs ⇄ projects (1 not linked)</a>' in index
    assert (
        f'<a href="{vendors}">Vendors ⇄ companies (2 not matched, 1 suggested match)</a>' in index
    )


def test_every_admin_page_links_the_import_pages_in_its_sidebar(client, erp_books, erp_connection):
    _waiting_scene(erp_connection)
    client.force_login(make_user(role="approver"))

    page = client.get(reverse("admin:approvals_commitment_changelist")).content.decode()

    sidebar = page[page.index('id="nav-sidebar"') :]
    assert "Jobs ⇄ projects (1 not linked)</a>" in sidebar
    # The matcher runs where an accountant lands, not on every page.
    assert "Vendors ⇄ companies (2 not matched)</a>" in sidebar


def test_the_dashboard_links_the_import_pages_with_their_counts(client, erp_books, erp_connection):
    _waiting_scene(erp_connection)
    client.force_login(make_user(role="approver"))

    page = client.get(reverse("admin:approvals_dashboard")).content.decode()

    module = page[page.index('id="erp-imports"') :].split("</div>")[0]
    assert "From Xero" in module
    assert "Jobs ⇄ projects</a>: 1 not linked" in module
    assert "Vendors ⇄ companies</a>: 2 not matched, 1 suggested match" in module
    sidebar = page[page.index('id="nav-sidebar"') :]
    assert "Vendors ⇄ companies (2 not matched, 1 suggested match)</a>" in sidebar


def test_an_approver_of_projects_only_is_shown_only_the_jobs_page(
    client, erp_books, erp_connection
):
    _waiting_scene(erp_connection)
    approver = make_user(approve=[Project])
    type(approver).objects.filter(pk=approver.pk).update(is_staff=True)
    client.force_login(approver)

    index = client.get(reverse("admin:index")).content.decode()

    assert "Jobs ⇄ projects" in index and "⇄ companies" not in index
