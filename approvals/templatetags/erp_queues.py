"""The queues table of the admin index: what waits in each queue, as on the dashboard."""

from django import template
from django.contrib import admin

from approvals.admin.dashboard import QueueTable, queue_table

register = template.Library()


@register.simple_tag(takes_context=True)
def erp_queue_table(context) -> QueueTable:
    return queue_table(context["request"], admin.site)
