"""Who may do what to which record.

Project managers send, retrieve and resend records of the projects they are members of (any
project manager may send a company). Approvers accept, reject, retry and unlink with the
per-type right `approvals.approve_<model>`. Administrators (superusers or the Administrators
group) may do everything.
"""

from __future__ import annotations

from approvals.models import Company, VendorUpdateProposers
from approvals.services.workflow.records import plural_noun, project_of

PROJECT_MANAGERS = "Project managers"
ACCOUNTING_APPROVERS = "Accounting approvers"
ADMINISTRATORS = "Administrators"

_GROUP_CACHE = "_approvals_group_names"
_MEMBERSHIP_CACHE = "_approvals_project_ids"


def _is_signed_in(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def _group_names(user) -> frozenset[str]:
    # Cached on the user object so bulk actions ask the database once per request.
    if not hasattr(user, _GROUP_CACHE):
        setattr(user, _GROUP_CACHE, frozenset(user.groups.values_list("name", flat=True)))
    return getattr(user, _GROUP_CACHE)


def _project_ids(user) -> frozenset[int]:
    if not hasattr(user, _MEMBERSHIP_CACHE):
        setattr(user, _MEMBERSHIP_CACHE, frozenset(user.projects.values_list("pk", flat=True)))
    return getattr(user, _MEMBERSHIP_CACHE)


def is_administrator(user) -> bool:
    return _is_signed_in(user) and (user.is_superuser or ADMINISTRATORS in _group_names(user))


def is_project_manager(user) -> bool:
    return _is_signed_in(user) and PROJECT_MANAGERS in _group_names(user)


def approve_permission(model_or_record) -> str:
    return f"approvals.approve_{model_or_record._meta.model_name}"


def can_send(user, record) -> bool:
    """May `user` send, retrieve or resend `record`?"""
    if is_administrator(user):
        return True
    if not is_project_manager(user):
        return False
    project = project_of(record)
    return project is None or project.pk in _project_ids(user)


def can_decide(user, record) -> bool:
    """May `user` accept, reject, retry or unlink `record`?"""
    if is_administrator(user):
        return True
    return _is_signed_in(user) and user.has_perm(approve_permission(record))


def can_decide_type(user, model) -> bool:
    """May `user` decide on records of this type at all (the queue and the digest ask this)?"""
    return is_administrator(user) or (
        _is_signed_in(user) and user.has_perm(approve_permission(model))
    )


def send_refusal(user, record) -> str:
    if not _is_signed_in(user):
        return "Please sign in first."
    project = project_of(record)
    if project is None:
        return "Only project managers can send companies to the ERP."
    return f"Only project managers on project '{project}' can send its {plural_noun(record)}."


def decide_refusal(user, record) -> str:
    if not _is_signed_in(user):
        return "Please sign in first."
    return (
        f"You do not have the right to approve {plural_noun(record)}. "
        "Ask an administrator to give it to you."
    )


def own_part(user, record, *, edited: bool = False) -> str:
    """'created, edited and sent', 'sent'... or '': how `user` had a hand in `record`'s current
    version (`edited`: the user changed what the ERP receives since its last accept)."""
    if not _is_signed_in(user):
        return ""
    parts = []
    if record.created_by_id == user.pk:
        parts.append("created")
    if edited:
        parts.append("edited")
    if record.sent_by_id == user.pk:
        parts.append("sent")
    if len(parts) < 2:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def can_propose_vendor_update(user, *, proposers: str) -> bool:
    """May `user` propose a change to a synced company's ERP fields? `proposers` is the approval
    policy's vendor_updates_proposed_by: "approvers" (approvers and administrators) or
    "editors" (also anyone with the right to edit companies)."""
    if not _is_signed_in(user):
        return False
    if can_decide_type(user, Company):
        return True
    return proposers == VendorUpdateProposers.EDITORS and user.has_perm("approvals.change_company")


def vendor_update_refusal(*, proposers: str) -> str:
    who = (
        "anyone who may edit companies"
        if proposers == VendorUpdateProposers.EDITORS
        else "accounting approvers and administrators"
    )
    return (
        "This company is synced with the ERP, so a change to its name, tax id, email, phone or "
        f"address is a vendor update, which only {who} may propose. Ask one of them to propose "
        "it; an approver then accepts it."
    )
