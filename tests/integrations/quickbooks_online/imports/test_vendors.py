"""The vendor import from QuickBooks Online: a vendor renamed or made inactive in QuickBooks comes
with the next import's one change-data-capture request and reaches the company linked to it.
(The import itself, with any ERP, is tested in tests/approvals/services/importing/test_vendors.py.)"""

import pytest

from approvals.models import AuditEvent, ERPVendor
from approvals.services.importing import imports_vendors
from approvals.states import Note
from tests.factories import make_company, make_user

pytestmark = pytest.mark.django_db


def test_a_renamed_and_a_deactivated_vendor_reach_their_companies(qbo_sandbox, qbo_connection, qbo):
    kept = qbo.create("Vendor", {"DisplayName": "Acme Drywall"}, request_id="v-acme")
    gone = qbo.create("Vendor", {"DisplayName": "Old Paint Co"}, request_id="v-old")
    imports_vendors.vendors_sync(connection=qbo_connection)
    approver = make_user(role="approver")
    acme, old = make_company(name="Acme Drywall"), make_company(name="Old Paint")
    for company, vendor in ((acme, kept), (old, gone)):
        imports_vendors.vendor_link(
            vendor=ERPVendor.objects.get(erp_id=vendor["Id"]), company=company, actor=approver
        )

    qbo.update(
        "Vendor",
        {"Id": kept["Id"], "SyncToken": kept["SyncToken"], "DisplayName": "Acme Drywall Inc"},
        request_id="v-acme-rename",
        sparse=True,
    )
    qbo.update(
        "Vendor",
        {"Id": gone["Id"], "SyncToken": gone["SyncToken"], "Active": False},
        request_id="v-old-off",
        sparse=True,
    )
    qbo_sandbox.clear_request_log()
    summary = imports_vendors.vendors_sync(connection=qbo_connection)

    assert not summary.full_read and len(qbo_sandbox.request_log()) == 1
    assert summary.updated == 2
    acme.refresh_from_db()
    old.refresh_from_db()
    assert acme.name == "Acme Drywall Inc" and not acme.is_archived
    assert old.is_archived
    rename = AuditEvent.objects.get(object_id=acme.pk, action=Note.EDIT)
    assert rename.actor_label == "vendor sync from the ERP"
    assert rename.changes == [{"field": "Name", "old": "Acme Drywall", "new": "Acme Drywall Inc"}]
    assert not ERPVendor.objects.get(erp_id=gone["Id"]).is_active
    assert ERPVendor.objects.get(erp_id=kept["Id"]).erp_version == str(int(kept["SyncToken"]) + 1)
