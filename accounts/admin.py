"""Users and groups in the admin choose groups and permissions from a plain labelled list:
Django's two-list picker names its search boxes with an aria-label on an element that may not
carry one, which screen readers skip (WCAG 4.1.2)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group


class PeopleAdmin(UserAdmin):
    filter_horizontal = ()


class PeopleGroupAdmin(GroupAdmin):
    filter_horizontal = ()


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), PeopleAdmin)
admin.site.unregister(Group)
admin.site.register(Group, PeopleGroupAdmin)
