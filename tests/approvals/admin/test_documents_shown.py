"""The decision pages show each record as the connected ERP's connector describes it, from local
data, escaped; the retry page shows what was approved, not what the record says since, and an
export of a record whose description changed after the accept is refused in the description's
words. The scripted connector describes here (tests/approvals/scripted_connector.py); QuickBooks
Online's descriptions are tested in tests/integrations/quickbooks_online/test_documents_shown.py.
"""

from approvals.models import Commitment, CommitmentLine, CostCode
from approvals.services import record_accept
from approvals.services.exporting.exports import export_run
from approvals.states import SyncStatus
from tests.approvals.admin.helpers import decision_url, refreshed, send
from tests.factories import make_commitment, make_company, make_cost_code


def test_the_accept_page_shows_each_document_escaped_and_to_the_cent(
    approver_client, project, project_manager, scripted_connector
):
    vendor = make_company(name="Acme <Drywall>", synced=True)
    code = make_cost_code(code="09-2900", name="Gypsum <board>")
    commitment = make_commitment(
        project=project, vendor=vendor, number="SC-7", lines=[(code, "1234.56")]
    )
    CommitmentLine.objects.filter(commitment=commitment).update(description="<b>Board</b>\nlevel 2")
    send([commitment], by=project_manager)

    page = approver_client.get(decision_url(Commitment, "accept", [commitment])).content.decode()

    assert "What Scripted ERP receives" in page
    assert "Scripted ERP commitment" in page
    assert "Acme &lt;Drywall&gt;" in page
    assert "&lt;b&gt;Board&lt;/b&gt;<br>level 2" in page
    assert "09-2900 Gypsum &lt;board&gt;" in page
    assert "<b>Board</b>" not in page and "<Drywall>" not in page
    # The line among the record's values, then the line and the total of the document.
    assert page.count("$1,234.56") == 3
    assert scripted_connector.CALLS == []  # describing asked nothing of the ERP


def test_the_retry_page_shows_the_approved_document_and_the_last_export_error(
    approver_client, approver, project, project_manager
):
    code = make_cost_code(code="09-2900", name="Gypsum board")
    (commitment,) = send(
        [make_commitment(project=project, lines=[(code, "500.00")])], by=project_manager
    )
    record_accept(record=commitment, actor=approver)
    CostCode.objects.filter(pk=code.pk).update(name="Drywall")  # renamed since
    Commitment.objects.filter(pk=commitment.pk).update(
        sync_status=SyncStatus.EXPORT_FAILED, last_export_error="Vendor <Acme> is inactive."
    )

    page = approver_client.get(decision_url(Commitment, "retry", [commitment])).content.decode()

    assert "Last export error: Vendor &lt;Acme&gt; is inactive." in page
    assert "09-2900 Gypsum board" in page
    assert "09-2900 Drywall" not in page


def test_a_cost_code_renamed_after_the_accept_is_refused_in_the_descriptions_words(
    approver, project, project_manager, scripted_connector
):
    code = make_cost_code(code="09-2900", name="Gypsum board")
    (commitment,) = send(
        [make_commitment(project=project, lines=[(code, "500.00")])], by=project_manager
    )
    record_accept(record=commitment, actor=approver)
    CostCode.objects.filter(pk=code.pk).update(name="Drywall")

    outcome = export_run(model_label="approvals.commitment", record_id=commitment.pk)

    commitment = refreshed(commitment)
    assert outcome == "failed: changed since approved"
    assert commitment.sync_status == SyncStatus.EXPORT_FAILED
    assert "'09-2900 Gypsum board' → '09-2900 Drywall'" in commitment.last_export_error
    assert scripted_connector.CALLS == []  # nothing was sent
