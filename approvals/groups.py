"""The three roles as auth groups with the model permissions each needs.

Kept in step after every migrate and every test flush (post_migrate), so a database emptied by
a flush still has the roles the app depends on.
"""

from django.contrib.auth.models import Group, Permission

from approvals.permissions import ACCOUNTING_APPROVERS, ADMINISTRATORS, PROJECT_MANAGERS

PM_EDITABLE = [
    "project",
    "projectmembership",
    "company",
    "commitment",
    "commitmentline",
    "commitmentchangeorder",
    "changeorderline",
    "subcontractorinvoice",
    "invoiceline",
]
ROLE_GROUPS = [PROJECT_MANAGERS, ACCOUNTING_APPROVERS, ADMINISTRATORS]
EXPORTABLE = ["project", "company", "commitment", "commitmentchangeorder", "subcontractorinvoice"]


def ensure_default_groups(*, using: str = "default") -> None:
    permissions = Permission.objects.using(using)
    approvals_perms = permissions.filter(content_type__app_label="approvals")
    groups = Group.objects.using(using)

    managers, _ = groups.get_or_create(name=PROJECT_MANAGERS)
    pm_codenames = [
        f"{verb}_{model}" for model in PM_EDITABLE for verb in ("add", "change", "view")
    ]
    pm_codenames.append("view_costcode")
    managers.permissions.add(*approvals_perms.filter(codename__in=pm_codenames))

    approvers, _ = groups.get_or_create(name=ACCOUNTING_APPROVERS)
    approvers.permissions.add(
        *approvals_perms.filter(codename__in=[f"approve_{model}" for model in EXPORTABLE]),
        *approvals_perms.filter(codename__startswith="view_"),
        *permissions.filter(content_type__app_label="integrations", codename__startswith="view_"),
    )

    administrators, _ = groups.get_or_create(name=ADMINISTRATORS)
    administrators.permissions.add(
        *permissions.filter(content_type__app_label__in=["approvals", "integrations"])
    )


def ensure_default_groups_after_migrate(sender, using="default", **kwargs) -> None:
    ensure_default_groups(using=using)
