"""The three groups of the app, with the model permissions each role needs."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PROJECT_MANAGERS = "Project managers"
ACCOUNTING_APPROVERS = "Accounting approvers"
ADMINISTRATORS = "Administrators"

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
EXPORTABLE = [
    "project",
    "company",
    "commitment",
    "commitmentchangeorder",
    "subcontractorinvoice",
]


def _ensure_permissions(apps):
    # Permissions are normally created after all migrations; groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def create_groups(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    approvals_perms = Permission.objects.filter(content_type__app_label="approvals")

    managers, _ = Group.objects.get_or_create(name=PROJECT_MANAGERS)
    pm_codenames = [f"{verb}_{model}" for model in PM_EDITABLE for verb in ("add", "change", "view")]
    pm_codenames.append("view_costcode")
    managers.permissions.add(*approvals_perms.filter(codename__in=pm_codenames))

    approvers, _ = Group.objects.get_or_create(name=ACCOUNTING_APPROVERS)
    approver_codenames = [f"approve_{model}" for model in EXPORTABLE]
    approvers.permissions.add(
        *approvals_perms.filter(codename__in=approver_codenames),
        *approvals_perms.filter(codename__startswith="view_"),
        *Permission.objects.filter(content_type__app_label="integrations", codename__startswith="view_"),
    )

    administrators, _ = Group.objects.get_or_create(name=ADMINISTRATORS)
    administrators.permissions.add(
        *Permission.objects.filter(content_type__app_label__in=["approvals", "integrations"])
    )


def remove_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=[PROJECT_MANAGERS, ACCOUNTING_APPROVERS, ADMINISTRATORS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0002_subcontractorinvoice_duplicate_warning"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("integrations", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
