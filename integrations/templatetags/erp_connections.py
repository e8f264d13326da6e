"""The connection page of every ERP the registry names, for the admin index."""

from django import template
from django.urls import reverse

from integrations import registry

register = template.Library()


@register.simple_tag
def erp_connection_pages() -> list[tuple[str, str]]:
    """(ERP name, URL of its connection page), in the registry's order."""
    return [
        (entry.display_name, reverse(entry.connection_page))
        for entry in registry.installed().values()
    ]
