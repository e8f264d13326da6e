from django.apps import AppConfig


class QuickBooksOnlineConfig(AppConfig):
    """QuickBooks Online as one folder: its connector, reader, pages, templates and sandbox."""

    name = "integrations.quickbooks_online"
    label = "quickbooks_online"
    verbose_name = "QuickBooks Online"

    def ready(self):
        from integrations.quickbooks_online import checks  # noqa: F401  (registers its checks)
