from django.apps import AppConfig


class QuickBooksDesktopConfig(AppConfig):
    """QuickBooks Desktop as one folder: the Web Connector's SOAP service, its request queue,
    the qbXML it speaks and its connection pages."""

    name = "integrations.quickbooks_desktop"
    label = "quickbooks_desktop"
    verbose_name = "QuickBooks Desktop"
