from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = "ERP Integrations"

    def ready(self):
        from approvals.groups import ensure_default_groups_after_migrate

        # Runs after the permissions of every app exist (auth's own post_migrate comes first).
        post_migrate.connect(ensure_default_groups_after_migrate, sender=self)
