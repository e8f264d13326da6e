"""Every stored ERP id names its connection.

Records linked before every write of an ERP id also wrote its connection may hold an id without
one. Where the connection can be known (only one connection ever existed here), it is filled in.
Where it cannot (none, or several, ever existed), the ids are not dropped, since a record that
forgot its id would be exported a second time: they are given to one inactive connection named
"company not recorded", so they show as linked to another connection than the active one, and an
administrator re-links or unlinks them on the "Switching accounting systems" page. Nothing that
depends on them is exported meanwhile.

The ERP's cost-code items are also kept as imported (ERPCostCode), to re-link cost codes against.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

LINKED = [
    "costcode",
    "company",
    "project",
    "commitment",
    "commitmentchangeorder",
    "subcontractorinvoice",
]
UNKNOWN_COMPANY_ID = "unknown"
UNKNOWN_COMPANY_NAME = "company not recorded"


def name_the_connection(apps, schema_editor):
    ERPConnection = apps.get_model("integrations", "ERPConnection")
    unnamed = [
        apps.get_model("approvals", name)
        .objects.exclude(erp_id="")
        .filter(erp_connection__isnull=True)
        for name in LINKED
    ]
    if not any(rows.exists() for rows in unnamed):
        return
    connections = list(ERPConnection.objects.order_by("pk")[:2])
    if len(connections) == 1:
        owner = connections[0]
    else:
        # Its kind only names the ERP on the pages: the active one's, else the first one's.
        known = ERPConnection.objects.order_by("-is_active", "pk").first()
        owner, _ = ERPConnection.objects.get_or_create(
            kind=known.kind if known else "quickbooks_online",
            company_id=UNKNOWN_COMPANY_ID,
            defaults={
                "company_name": UNKNOWN_COMPANY_NAME,
                "is_active": False,
                "disconnected_at": timezone.now(),
            },
        )
    for rows in unnamed:
        rows.update(erp_connection=owner)


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0017_neutral_erp_version"),
        ("integrations", "0002_webhook_deliveries"),
    ]

    operations = [
        migrations.CreateModel(
            name="ERPCostCode",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("erp_id", models.CharField(max_length=64, verbose_name="ERP id")),
                ("erp_version", models.CharField(blank=True, max_length=32)),
                ("code", models.CharField(max_length=100)),
                ("name", models.CharField(blank=True, max_length=500)),
                ("is_active", models.BooleanField(default=True)),
                ("seen_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "ERP cost code",
                "ordering": ["code"],
            },
        ),
        migrations.AddField(
            model_name="erpcostcode",
            name="erp_connection",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="integrations.erpconnection",
            ),
        ),
        migrations.AddConstraint(
            model_name="erpcostcode",
            constraint=models.UniqueConstraint(
                fields=("erp_connection", "erp_id"), name="erpcostcode_unique_per_connection"
            ),
        ),
        migrations.RunPython(name_the_connection, migrations.RunPython.noop),
    ]
