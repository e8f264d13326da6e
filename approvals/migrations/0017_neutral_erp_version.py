"""The ERP document's version is named for what it is in every ERP (QuickBooks calls it a
SyncToken), and ERP line ids take a 36-character UUID. Renames keep every stored value."""

from django.db import migrations, models

LINKED = [
    "costcode",
    "company",
    "project",
    "commitment",
    "commitmentchangeorder",
    "subcontractorinvoice",
    "erpjob",
    "erpvendor",
]


class Migration(migrations.Migration):
    dependencies = [("approvals", "0016_exports_handed_off_to_the_erp")]

    operations = [
        *(
            migrations.RenameField(
                model_name=model, old_name="erp_sync_token", new_name="erp_version"
            )
            for model in LINKED
        ),
        migrations.AlterField(
            model_name="commitmentline",
            name="erp_line_id",
            field=models.CharField(blank=True, max_length=36),
        ),
        migrations.AlterField(
            model_name="changeorderline",
            name="erp_line_id",
            field=models.CharField(blank=True, max_length=36),
        ),
    ]
