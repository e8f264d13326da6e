"""The project manager's pages without a browser: lines added without the page's script, line
numbers in errors, typed totals, the invoice number check, the possible-duplicate warning said
once, locked forms, wording per record type, people and currencies."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from approvals.models import Commitment, ERPBill, SubcontractorInvoice
from approvals.selectors_job_costs import CostCodeRow
from tests.approvals.views.conftest import messages_of
from tests.factories import (
    make_commitment,
    make_company,
    make_cost_code,
    make_invoice,
    make_user,
)
from tests.html_forms import form_values


@pytest.fixture
def vendor(project):
    company = make_company(synced=True, name="Acme Drywall")
    project.companies.add(company)
    return company


@pytest.fixture
def commitment(project, vendor):
    return make_commitment(
        project=project, vendor=vendor, lines=[Decimal("10000.00"), Decimal("5000.00")], synced=True
    )


def _lines(prefix_total: int, lines: dict) -> dict:
    data = {
        "lines-TOTAL_FORMS": str(prefix_total),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, values in lines.items():
        data.update({f"lines-{index}-{name}": value for name, value in values.items()})
    return data


def _new_commitment(vendor, **lines) -> dict:
    return {
        "vendor": vendor.pk,
        "kind": "subcontract",
        "number": "SC-500",
        "title": "Framing",
        "status": "approved",
        "default_retainage_percent": "10",
        **lines,
    }


def test_a_new_commitment_starts_with_one_blank_line(pm_client, project):
    page = pm_client.get(reverse("approvals:commitment_create", args=[project.pk]))

    text = page.content.decode()
    assert 'name="lines-TOTAL_FORMS" value="1"' in text
    assert 'name="add_line"' in text
    assert "<template data-empty-line" in text


def test_add_a_line_without_the_script_keeps_what_was_typed_and_saves_nothing(
    pm_client, project, vendor
):
    cost_code = make_cost_code()
    data = _new_commitment(
        vendor,
        **_lines(1, {0: {"cost_code": cost_code.pk, "amount": "1200.50"}}),
        add_line="1",
    )

    page = pm_client.post(reverse("approvals:commitment_create", args=[project.pk]), data)

    assert page.status_code == 200
    assert not Commitment.objects.exists()
    values = form_values(page.content.decode(), containing="lines-TOTAL_FORMS")
    assert values["lines-TOTAL_FORMS"] == ["2"]
    assert values["lines-0-amount"] == ["1200.50"]
    assert values["lines-1-amount"] == [""]
    assert "$1,200.50" in page.content.decode()


def test_errors_number_lines_as_shown_skipping_removed_ones(pm_client, project, vendor):
    cost_code = make_cost_code()
    data = _new_commitment(
        vendor,
        **_lines(
            3,
            {
                0: {"cost_code": cost_code.pk, "amount": "1000.10"},
                1: {"quantity": "3", "unit_cost": "33.3333", "DELETE": "on"},
                2: {"amount": "5"},
            },
        ),
    )

    page = pm_client.post(reverse("approvals:commitment_create", args=[project.pk]), data)

    text = page.content.decode()
    assert "Line <span data-line-number>2</span>, cost code: This field is required." in text
    # The removed line's own problem (no cost code) is not shown, nor counted in the total.
    assert text.count("cost code: This field is required.") == 1
    assert "$1,005.10" in text
    assert not Commitment.objects.exists()


def test_the_invoice_form_totals_what_was_typed(pm_client, commitment):
    first, second = commitment.lines.order_by("position")
    data = {
        "number": "1043",
        "billing_date": "2026-06-01",
        "period_start": "2026-05-01",
        "period_end": "2026-06-31",  # not a date: the page comes back with the typed figures
        "status": "approved",
        "is_retainage_release": "on",
        "retainage_released": "50",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "2",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-key": f"c{first.pk}",
        "lines-0-work_completed": "1000",
        "lines-0-materials_stored": "33.33",
        "lines-1-key": f"c{second.pk}",
        "lines-1-work_completed": "200",
        "lines-1-retainage_withheld": "0",
    }

    page = pm_client.post(reverse("approvals:invoice_create", args=[commitment.pk]), data)

    totals = page.context["typed_totals"]
    # 10% of 1,033.33 is 103.333, to the cent 103.33; the second line withholds nothing.
    assert totals == {
        "work_completed": Decimal("1200.00"),
        "materials_stored": Decimal("33.33"),
        "retainage_withheld": Decimal("103.33"),
        "retainage_released": Decimal("50.00"),
        "gross": Decimal("1233.33"),
        "net": Decimal("1180.00"),
    }
    assert not SubcontractorInvoice.objects.exists()


def _number_check(client, commitment, number, **params):
    url = reverse("approvals:invoice_number_check", args=[commitment.pk])
    return client.get(url, {"number": number, **params})


def test_the_number_check_names_the_vendors_invoices_and_imported_bills(
    pm_client, commitment, connection
):
    existing = make_invoice(commitment=commitment, number="1043")
    ERPBill.objects.create(
        erp_connection=connection,
        erp_id="501",
        vendor_erp_id=commitment.vendor.erp_id,
        number="1043",
        billed_on=date(2026, 4, 30),
        total=Decimal("900.00"),
        pre_tax_total=Decimal("900.00"),
        balance=Decimal("900.00"),
    )

    answer = _number_check(pm_client, commitment, " 1043 ").json()

    assert answer["number"] == "1043"
    assert answer["warning"].startswith("Possible duplicate of invoice 1043 (Acme Drywall, ")
    assert "; bill 1043 in " in answer["warning"]
    assert answer["warning"].count("Possible duplicate") == 1
    # The invoice being edited is not its own duplicate; another number has none.
    alone = _number_check(pm_client, commitment, "1043", invoice=existing.pk).json()
    assert alone["warning"].startswith("Possible duplicate of bill 1043 ")
    assert _number_check(pm_client, commitment, "1044").json()["warning"] == ""


def test_the_number_check_is_only_for_members_who_enter_invoices(
    outsider_client, client, commitment, project
):
    assert _number_check(outsider_client, commitment, "1043").status_code == 404
    reader = make_user(projects=[project])
    client.force_login(reader)
    assert _number_check(client, commitment, "1043").status_code == 403


def test_the_invoice_page_says_a_possible_duplicate_once_and_follows_edits(
    pm_client, commitment, connection
):
    make_invoice(commitment=commitment, number="1043")
    invoice = make_invoice(
        commitment=commitment, number="1043", lines=[{"work_completed": "77.00"}]
    )
    detail = reverse("approvals:invoice_detail", args=[invoice.pk])

    text = pm_client.get(detail).content.decode()
    assert text.count("Possible duplicate") == 1

    edit = reverse("approvals:invoice_edit", args=[invoice.pk])
    values = form_values(pm_client.get(edit).content.decode(), containing="number")
    values["number"] = ["1044"]
    pm_client.post(edit, values)
    assert "Possible duplicate" not in pm_client.get(detail).content.decode()

    values["number"] = ["1043"]
    pm_client.post(edit, values)
    response = pm_client.post(
        reverse("approvals:record_action", args=["invoice", invoice.pk, "send"]), follow=True
    )
    assert "Possible duplicate" not in " ".join(messages_of(response))
    # Once at the top; the history keeps the send's reason as it was recorded.
    above_history = response.content.decode().split('id="history"')[0]
    assert above_history.count("Possible duplicate") == 1


def test_a_form_with_nothing_left_to_change_offers_no_save(pm_client, commitment):
    page = pm_client.get(reverse("approvals:commitment_edit", args=[commitment.pk]))

    text = page.content.decode()
    assert '<button type="submit">Save</button>' not in text
    assert ">Back</a>" in text


def test_a_synced_project_speaks_of_unlinking_not_change_orders(pm_client, project, pm):
    project.sent_by = pm
    project.save()

    text = pm_client.get(reverse("approvals:project_detail", args=[project.pk])).content.decode()

    assert "change order" not in text.split('id="erp"')[1].split("</section>")[0]
    assert "an accounting approver can unlink it" in text


def test_people_are_named_and_amounts_carry_their_currency(pm_client, project, vendor, pm):
    commitment = make_commitment(
        project=project, vendor=vendor, lines=[Decimal("1234.50")], currency="CAD", sent_by=pm
    )
    pm.last_name = "Morgan"
    pm.save()
    commitment.sent_by = pm
    commitment.sync_status = "ready_to_export"
    commitment.sent_at = commitment.created_at
    commitment.save()

    text = pm_client.get(reverse("approvals:commitment_detail", args=[commitment.pk])).content
    text = text.decode()

    assert "by Pat Morgan" in text
    assert "CAD 1,234.50" in text
    assert "<span>Pat Morgan</span>" in text


@pytest.mark.parametrize(
    ("committed", "invoiced", "waiting", "actual", "overrun"),
    [
        ("100", "50", "0", "120", "20"),
        ("100", "80", "40", "90", "20"),
        ("100", "100", "0", "100", "0"),
    ],
)
def test_an_overrun_is_what_passes_the_committed_amount(
    committed, invoiced, waiting, actual, overrun
):
    row = CostCodeRow(
        cost_code=None,
        committed=Decimal(committed),
        invoiced=Decimal(invoiced),
        waiting=Decimal(waiting),
        actual=Decimal(actual),
    )
    assert row.overrun == Decimal(overrun)
