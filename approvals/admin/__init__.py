"""The accountant's side: the Django admin as the "ERP Integrations" queue."""

from django.contrib import admin

from approvals.admin.dashboard import register_dashboard
from approvals.admin.imports import register_imports
from approvals.admin.records import (
    CommitmentAdmin,
    CommitmentChangeOrderAdmin,
    CompanyAdmin,
    ProjectAdmin,
    SubcontractorInvoiceAdmin,
)
from approvals.admin.reference import (
    ApprovalPolicyAdmin,
    CostCodeAdmin,
    DirectExportSettingAdmin,
)
from approvals.admin.switching import register_switching
from approvals.admin.vendor_updates import VendorUpdateAdmin
from approvals.models import (
    ApprovalPolicy,
    Commitment,
    CommitmentChangeOrder,
    Company,
    CostCode,
    DirectExportSetting,
    Project,
    SubcontractorInvoice,
    VendorUpdate,
)

admin.site.register(Project, ProjectAdmin)
admin.site.register(Company, CompanyAdmin)
admin.site.register(Commitment, CommitmentAdmin)
admin.site.register(CommitmentChangeOrder, CommitmentChangeOrderAdmin)
admin.site.register(SubcontractorInvoice, SubcontractorInvoiceAdmin)
admin.site.register(CostCode, CostCodeAdmin)
admin.site.register(DirectExportSetting, DirectExportSettingAdmin)
admin.site.register(ApprovalPolicy, ApprovalPolicyAdmin)
admin.site.register(VendorUpdate, VendorUpdateAdmin)
register_dashboard(admin.site)
register_imports(admin.site)
register_switching(admin.site)
