"""Who may manage an ERP connection: its pages are for administrators only."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def is_connection_administrator(user) -> bool:
    return user.is_active and (
        user.is_superuser or (user.is_staff and user.has_perm("integrations.change_erpconnection"))
    )


def administrator_required(view):
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_connection_administrator(request.user):
            raise PermissionDenied("Only administrators manage the accounting system connection.")
        return view(request, *args, **kwargs)

    return guarded
