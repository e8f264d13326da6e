"""An ERP id without its connection is refused by the database (filled in by 0018)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("approvals", "0018_erp_ids_name_their_connection")]

    operations = [
        migrations.AddConstraint(
            model_name="commitment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("erp_id", ""), ("erp_connection__isnull", False), _connector="OR"
                ),
                name="commitment_erp_id_names_connection",
                violation_error_message="An ERP id must name the connection it belongs to.",
            ),
        ),
        migrations.AddConstraint(
            model_name="commitmentchangeorder",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("erp_id", ""), ("erp_connection__isnull", False), _connector="OR"
                ),
                name="cco_erp_id_names_connection",
                violation_error_message="An ERP id must name the connection it belongs to.",
            ),
        ),
        migrations.AddConstraint(
            model_name="company",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("erp_id", ""), ("erp_connection__isnull", False), _connector="OR"
                ),
                name="company_erp_id_names_connection",
                violation_error_message="An ERP id must name the connection it belongs to.",
            ),
        ),
        migrations.AddConstraint(
            model_name="costcode",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("erp_id", ""), ("erp_connection__isnull", False), _connector="OR"
                ),
                name="costcode_erp_id_names_connection",
                violation_error_message="An ERP id must name the connection it belongs to.",
            ),
        ),
        migrations.AddConstraint(
            model_name="project",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("erp_id", ""), ("erp_connection__isnull", False), _connector="OR"
                ),
                name="project_erp_id_names_connection",
                violation_error_message="An ERP id must name the connection it belongs to.",
            ),
        ),
        migrations.AddConstraint(
            model_name="subcontractorinvoice",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("erp_id", ""), ("erp_connection__isnull", False), _connector="OR"
                ),
                name="invoice_erp_id_names_connection",
                violation_error_message="An ERP id must name the connection it belongs to.",
            ),
        ),
    ]
