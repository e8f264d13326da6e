"""The decision pages and a record's own page show what the accountant approves: who and what it
concerns, the document the ERP receives, an invoice's schedule of values, a change order's
commitment before and after it, possible duplicates, the last export error and, on the record's
page, its history with every field changed."""

import re
from decimal import Decimal

import pytest

from approvals.models import (
    AuditEvent,
    ChangeOrderLine,
    Commitment,
    CommitmentChangeOrder,
    CommitmentLine,
    CostCode,
    InvoiceLine,
    SubcontractorInvoice,
)
from approvals.services import record_accept, record_retrieve, record_send
from approvals.services.workflow.edits import exported_values, record_edited
from approvals.states import Action, SyncStatus
from tests.approvals.admin.helpers import (
    change_url,
    decision_url,
    messages_of,
    refreshed,
    reviewed,
    send,
)
from tests.factories import (
    make_change_order,
    make_commitment,
    make_company,
    make_erp_connection,
    make_invoice,
    make_project,
    make_user,
)
from tests.html_forms import form_values


# The decision pages as an accountant sees them for a QuickBooks Online company: what the
# connector describes, in QuickBooks' words (checking and describing need no HTTP).
@pytest.fixture
def erp_connection(db):
    return make_erp_connection()


@pytest.fixture
def project(erp_connection):
    return make_project(synced=True)


@pytest.fixture
def project_manager(project):
    return make_user(role="project_manager", projects=[project], first_name="Pat")


@pytest.fixture
def approver(db):
    return make_user(role="approver", username="alice", first_name="Alice")


@pytest.fixture
def approver_client(client, approver):
    client.force_login(approver)
    return client


def text_of(html: str) -> str:
    """The page as read: tags dropped, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def row_text(html: str, table_class: str, label: str) -> str:
    """The text of the row of `table_class` whose first cell starts with `label`."""
    table = html[html.index(f"erp-document-lines {table_class}") :]
    table = table[: table.index("</table>")]
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S):
        read = text_of(row).strip()
        if read.startswith(label):
            return read
    raise AssertionError(f"No row {label!r} in {text_of(table)!r}")


def test_an_invoice_shows_its_schedule_of_values_and_what_it_belongs_to(
    approver_client, project, project_manager
):
    vendor = make_company(name="Keystone Concrete", synced=True)
    commitment = make_commitment(
        project=project, vendor=vendor, lines=["10000.00", "5000.00"], synced=True
    )
    earlier, invoice = send(
        [
            make_invoice(
                commitment=commitment,
                lines=[{"work_completed": "4000.00", "retainage_withheld": "400.00"}],
            ),
            make_invoice(
                commitment=commitment,
                lines=[
                    {"work_completed": "3000.00", "retainage_withheld": "300.00"},
                    {
                        "work_completed": "1000.00",
                        "materials_stored": "500.00",
                        "retainage_withheld": "150.00",
                    },
                ],
            ),
        ],
        by=project_manager,
    )

    page = approver_client.get(decision_url(SubcontractorInvoice, "accept", [invoice]))
    html = page.content.decode()

    read = text_of(html)
    assert f"Vendor Keystone Concrete Synced QuickBooks Online id {vendor.erp_id}" in read
    assert f"Project {project} Synced QuickBooks Online id {project.erp_id}" in read
    assert f'href="{change_url(vendor)}"' in html
    # Revised, previously billed, work this period, stored, % complete, balance, retainage.
    assert row_text(html, "erp-schedule", "1.") == (
        "1. Line 1 "
        f"{commitment.lines.get(position=1).cost_code} "
        "$10,000.00 $4,000.00 $3,000.00 $0.00 70.00% $3,000.00 $300.00"
    )
    assert row_text(html, "erp-schedule", "2.").endswith(
        "$5,000.00 $0.00 $1,000.00 $500.00 30.00% $3,500.00 $150.00"
    )
    assert row_text(html, "erp-schedule", "Total") == (
        "Total $15,000.00 $4,000.00 $4,000.00 $500.00 56.67% $6,500.00 $450.00"
    )
    # The bill: gross less retainage, as QuickBooks Online receives it.
    assert "Retainage withheld $450.00" in read
    assert "Total $4,050.00" in read
    assert earlier.pk != invoice.pk


def test_a_change_order_shows_its_commitment_before_and_after_line_by_line(
    approver_client, project, project_manager
):
    commitment = make_commitment(project=project, lines=["1000.00", "500.00"], synced=True)
    first_line, second_line = commitment.lines.order_by("position")
    # Approved and synced earlier: part of the commitment before this change order.
    earlier = make_change_order(commitment=commitment, lines=[])
    ChangeOrderLine.objects.create(
        change_order=earlier,
        commitment_line=first_line,
        cost_code=first_line.cost_code,
        amount=Decimal("200.00"),
    )
    change_order = make_change_order(commitment=commitment, lines=[])
    ChangeOrderLine.objects.create(
        change_order=change_order,
        commitment_line=second_line,
        cost_code=second_line.cost_code,
        amount=Decimal("-100.00"),
    )
    ChangeOrderLine.objects.create(
        change_order=change_order,
        cost_code=second_line.cost_code,
        description="Rock <excavation>\n40 CY",
        amount=Decimal("300.00"),
    )
    send([change_order], by=project_manager)

    html = approver_client.get(
        decision_url(CommitmentChangeOrder, "accept", [change_order])
    ).content.decode()

    assert row_text(html, "erp-changes", "1.").endswith("$1,200.00 — $1,200.00")
    assert row_text(html, "erp-changes", "2.").endswith("$500.00 -$100.00 $400.00")
    added = row_text(html, "erp-changes", f"CCO {change_order.number}.1.")
    assert added.endswith("— $300.00 $300.00")
    assert "Rock &lt;excavation&gt;<br>40 CY" in html
    assert "<excavation>" not in html
    assert row_text(html, "erp-changes", "Commitment total") == (
        "Commitment total $1,700.00 $200.00 $1,900.00"
    )


def test_the_reject_page_of_a_failed_record_shows_the_last_export_error_and_possible_duplicates(
    approver_client, approver, project, project_manager
):
    commitment = make_commitment(project=project, vendor=make_company(synced=True), synced=True)
    original, twin = send(
        [make_invoice(commitment=commitment, number="1043") for _ in range(2)], by=project_manager
    )
    SubcontractorInvoice.objects.filter(pk=twin.pk).update(
        sync_status=SyncStatus.EXPORT_FAILED,
        last_export_error="Duplicate Document Number Error\n<DocNumber> 1043",
    )

    html = approver_client.get(
        decision_url(SubcontractorInvoice, "reject", [twin])
    ).content.decode()

    assert "Last export error: Duplicate Document Number Error<br>&lt;DocNumber&gt; 1043" in html
    assert "Possible duplicate" in html
    assert f"invoice 1043 ({commitment.vendor.name}, $900.00" in html
    assert original.pk != twin.pk


def test_a_records_page_shows_the_same_review_and_every_field_changed(
    approver_client, approver, project, project_manager
):
    commitment = make_commitment(project=project, lines=["800.00"])
    before = exported_values(commitment)
    Commitment.objects.filter(pk=commitment.pk).update(title="Drywall <level 2>")
    CommitmentLine.objects.filter(commitment=commitment).update(amount=Decimal("950.00"))
    record_edited(record=commitment, before=before, actor=project_manager)
    send([refreshed(commitment)], by=project_manager)

    html = approver_client.get(change_url(commitment)).content.decode()

    read = text_of(html)
    assert "What QuickBooks Online receives" in read
    assert f"Vendor {commitment.vendor.name} Synced" in read
    assert "QuickBooks Online purchase order" in read
    assert "$950.00" in read
    history = text_of(html[html.index('id="erp-history"') :])
    assert "Title: Drywall package" in history
    assert "→ Drywall &lt;level 2&gt;" in history
    assert "Line 1 · $800.00 →" in history
    assert "Line 1 · $950.00" in history


def test_a_synced_records_page_shows_the_document_as_approved(
    approver_client, approver, project, project_manager, erp_connection
):
    (commitment,) = send([make_commitment(project=project, lines=["500.00"])], by=project_manager)
    record_accept(record=commitment, actor=approver)
    Commitment.objects.filter(pk=commitment.pk).update(
        sync_status=SyncStatus.SYNCED, erp_id="77", erp_connection=erp_connection
    )
    # Changed behind the workflow's back: the page still says what was approved.
    CommitmentLine.objects.filter(commitment=commitment).update(amount=Decimal("999.00"))

    read = text_of(approver_client.get(change_url(commitment)).content.decode())

    assert "What QuickBooks Online was sent, as approved" in read
    assert "$500.00" in read


def test_a_decision_page_left_open_while_the_sender_edits_cannot_accept_what_it_never_showed(
    approver_client, project, project_manager
):
    (commitment,) = send([make_commitment(project=project, lines=["500.00"])], by=project_manager)
    shown = approver_client.get(decision_url(Commitment, "accept", [commitment]))
    assert "$500.00" in shown.content.decode()
    posted = form_values(shown.content.decode(), containing="ids")

    # Meanwhile the project manager takes it back, raises the line and sends it again.
    record_retrieve(record=commitment, actor=project_manager)
    before = exported_values(commitment)
    CommitmentLine.objects.filter(commitment=commitment).update(amount=Decimal("5000.00"))
    record_edited(record=commitment, before=before, actor=project_manager)
    record_send(record=refreshed(commitment), actor=project_manager)

    response = approver_client.post(decision_url(Commitment, "accept"), posted, follow=True)

    assert any("changed after you opened this page" in message for message in messages_of(response))
    assert refreshed(commitment).sync_status == SyncStatus.READY_TO_EXPORT


def test_a_document_re_linked_while_the_page_is_open_is_not_accepted_unseen(
    approver_client, project, project_manager
):
    """The record itself did not change, but what the ERP would receive did: an import
    re-linked a cost code to another item."""
    vendor = make_company(synced=True)
    commitment = make_commitment(project=project, vendor=vendor, lines=["5000.00"], synced=True)
    invoice, other = send(
        [make_invoice(commitment=commitment, number=number) for number in ("A-1", "A-2")],
        by=project_manager,
    )
    (purchase,) = send([make_commitment(project=project, lines=["500.00"])], by=project_manager)
    pages = [
        approver_client.get(decision_url(SubcontractorInvoice, "accept", [invoice, other])),
        approver_client.get(decision_url(Commitment, "accept", [purchase])),
    ]
    posted = [form_values(page.content.decode(), containing="ids") for page in pages]
    for relinked, record in enumerate((commitment, purchase), start=990):
        CostCode.objects.filter(pk=record.lines.get().cost_code_id).update(erp_id=str(relinked))
    for values in posted:
        values[f"confirm_duplicate_{other.pk}"] = ["on"]
        values[f"confirm_duplicate_{invoice.pk}"] = ["on"]

    invoices = approver_client.post(
        decision_url(SubcontractorInvoice, "accept"), posted[0], follow=True
    )
    purchases = approver_client.post(decision_url(Commitment, "accept"), posted[1], follow=True)

    said = messages_of(invoices) + messages_of(purchases)
    assert said.count("0 of 2 invoices done.") == 1
    assert said.count("0 of 1 commitments done.") == 1
    assert sum("would receive for this" in message for message in said) == 3
    assert {refreshed(record).sync_status for record in (invoice, other, purchase)} == {
        SyncStatus.READY_TO_EXPORT
    }


def test_what_an_accept_approves_is_what_the_page_showed(approver_client, project, project_manager):
    (invoice,) = send(
        [
            make_invoice(
                commitment=make_commitment(
                    project=project, vendor=make_company(synced=True), synced=True
                )
            )
        ],
        by=project_manager,
    )
    page = approver_client.get(decision_url(SubcontractorInvoice, "accept", [invoice]))
    shown = page.context["rows"][0].review.document

    done = approver_client.post(
        decision_url(SubcontractorInvoice, "accept"),
        form_values(page.content.decode(), containing="ids"),
        follow=True,
    )

    assert messages_of(done)[0] == "1 of 1 invoices done."
    accepted = AuditEvent.objects.get(object_id=invoice.pk, action=Action.ACCEPT)
    approved = accepted.approved["description"]
    assert [line.amount for line in shown.lines] == ["$1,000.00", "-$100.00"]
    assert [line["amount"] for line in approved["lines"]] == ["1000.00", "-100.00"]
    assert dict(shown.totals)["Total"] == "$900.00"
    assert approved["total"] == "900.00"


def test_a_reject_with_an_empty_reason_rejects_none_of_the_selected_records(
    approver_client, project, project_manager
):
    commitments = send([make_commitment(project=project) for _ in range(3)], by=project_manager)

    for reason in ("", "   \n  "):
        response = approver_client.post(
            decision_url(Commitment, "reject"), {**reviewed(commitments), "reason": reason}
        )
        assert response.status_code == 200
        assert "Please say why you reject it" in response.content.decode()
    assert {refreshed(c).sync_status for c in commitments} == {SyncStatus.READY_TO_EXPORT}


def test_descriptions_with_markup_and_line_breaks_are_shown_as_text(
    approver_client, project, project_manager
):
    commitment = make_commitment(
        project=project, vendor=make_company(synced=True), lines=["1700.00"], synced=True
    )
    CommitmentLine.objects.filter(commitment=commitment).update(
        description="<script>alert(1)</script>\nSlab"
    )
    (invoice,) = send([make_invoice(commitment=commitment)], by=project_manager)

    html = approver_client.get(
        decision_url(SubcontractorInvoice, "accept", [invoice])
    ).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>Slab" in html


def invoice_with_lines(commitment, count: int):
    invoice = make_invoice(commitment=commitment, lines=[])
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            commitment_line=line,
            work_completed=Decimal("10.00"),
            retainage_withheld=Decimal("1.00"),
        )
        for line in commitment.lines.order_by("position")[:count]
    )
    return invoice


def test_a_decision_page_costs_as_many_queries_for_many_long_invoices_as_for_one(
    approver_client, project, project_manager, django_assert_max_num_queries
):
    vendor = make_company(synced=True)
    commitments = [
        make_commitment(project=project, vendor=vendor, lines=["100.00"] * 40, synced=True)
        for _ in range(4)
    ]
    one = send([invoice_with_lines(commitments[0], 40)], by=project_manager)
    with django_assert_max_num_queries(60) as captured:
        assert (
            approver_client.get(decision_url(SubcontractorInvoice, "accept", one)).status_code
            == 200
        )
    for_one = len(captured)
    many = send(
        [invoice_with_lines(commitment, 40) for commitment in commitments for _ in range(3)],
        by=project_manager,
    )

    with django_assert_max_num_queries(for_one) as captured:
        page = approver_client.get(decision_url(SubcontractorInvoice, "accept", many))

    assert page.content.decode().count("erp-document-lines erp-schedule") == 12
    print(f"accept page: {for_one} queries for 1 invoice, {len(captured)} for 12 of 40 lines")


def test_a_change_order_page_costs_as_many_queries_for_many_as_for_one(
    approver_client, project, project_manager, erp_connection, django_assert_max_num_queries
):
    def change_orders(count):
        commitment = make_commitment(project=project, lines=["100.00"] * 30, synced=True)
        make_change_order(commitment=commitment, erp_id="5", erp_connection=erp_connection)
        return send(
            [make_change_order(commitment=commitment, lines=["10.00"] * 20) for _ in range(count)],
            by=project_manager,
        )

    one = change_orders(1)
    with django_assert_max_num_queries(60) as captured:
        approver_client.get(decision_url(CommitmentChangeOrder, "accept", one))
    many = change_orders(3) + change_orders(3)

    with django_assert_max_num_queries(len(captured)):
        page = approver_client.get(decision_url(CommitmentChangeOrder, "accept", many))

    assert page.content.decode().count("erp-document-lines erp-changes") == 6


def test_an_invoice_of_hundreds_of_lines_costs_as_many_queries_as_one_of_two(
    approver_client, project, project_manager, django_assert_max_num_queries
):
    vendor = make_company(synced=True)
    short, long = (
        make_commitment(project=project, vendor=vendor, lines=["100.00"] * count, synced=True)
        for count in (2, 400)
    )
    (few,) = send([invoice_with_lines(short, 2)], by=project_manager)
    (many,) = send([invoice_with_lines(long, 400)], by=project_manager)
    with django_assert_max_num_queries(60) as captured:
        approver_client.get(decision_url(SubcontractorInvoice, "accept", [few]))

    with django_assert_max_num_queries(len(captured)):
        page = approver_client.get(decision_url(SubcontractorInvoice, "accept", [many]))

    assert page.content.decode().count('<td class="erp-amount">$10.00</td>') == 2 * 400
