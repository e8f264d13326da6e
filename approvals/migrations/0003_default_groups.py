"""The three groups of the app, with the model permissions each role needs."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from approvals.groups import ROLE_GROUPS, ensure_default_groups


def _ensure_permissions(apps):
    # Permissions are normally created after all migrations; groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def create_groups(apps, schema_editor):
    _ensure_permissions(apps)
    ensure_default_groups(using=schema_editor.connection.alias)


def remove_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=ROLE_GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0002_subcontractorinvoice_duplicate_warning"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("integrations", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
