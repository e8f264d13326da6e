from django.apps import AppConfig


class XeroConfig(AppConfig):
    """Xero as one folder: its connector, pages, templates and sandbox."""

    name = "integrations.xero"
    label = "xero"
    verbose_name = "Xero"

    def ready(self):
        from integrations.xero import admin_actions, checks  # noqa: F401  (registers its checks)

        admin_actions.register()
