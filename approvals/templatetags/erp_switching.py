"""How many records are linked to another accounting company than the connected one, for the
notices on the admin index and on an ERP's connection page."""

from django import template

from approvals.services import erp
from approvals.services.workflow import switching

register = template.Library()


@register.simple_tag
def linked_elsewhere_total() -> int:
    connection = erp.active_connection_or_none()
    return sum(found.count for found in switching.linked_elsewhere_counts(connection=connection))
