"""Changing a synced company: its ERP fields change only through a vendor update, which waits
for an accounting approver. Proposing leaves the company as it is."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from approvals import permissions
from approvals.forms.companies import CompanyForm
from approvals.locking import erp_fields, locked_fields
from approvals.models import ApprovalPolicy, Company, VendorUpdate
from approvals.services import erp
from approvals.services.workflow.errors import PreconditionsNotMet, WorkflowError
from approvals.services.workflow.vendor_updates import (
    NOTHING_CHANGED,
    VendorUpdateOpen,
    change_rows,
    open_vendor_update,
    proposed_changes,
    vendor_update_propose,
    vendor_update_withdraw,
)
from approvals.states import SyncStatus
from approvals.views.access import require_permission


def goes_through_vendor_update(company: Company) -> bool:
    """A synced company's ERP fields change only through a vendor update."""
    return company.sync_status == SyncStatus.SYNCED and bool(company.erp_id)


def may_propose(user) -> bool:
    proposers = ApprovalPolicy.current().vendor_updates_proposed_by
    return permissions.can_propose_vendor_update(user, proposers=proposers)


def vendor_update_panel(user, company: Company) -> dict:
    """What a company page says about changing it: the open vendor update, who may propose."""
    proposers = ApprovalPolicy.current().vendor_updates_proposed_by
    allowed = permissions.can_propose_vendor_update(user, proposers=proposers)
    synced = goes_through_vendor_update(company)
    update = open_vendor_update(company)
    return {
        "vendor_update": update,
        "may_withdraw": update is not None
        and update.status == "waiting"
        and update.proposed_by_id == user.pk,
        "may_decide_vendor_update": permissions.can_decide_type(user, Company),
        "vendor_update_rows": change_rows(update) if update is not None else [],
        "may_propose": synced and allowed,
        "may_edit": (allowed if synced else user.has_perm("approvals.change_company")),
        "vendor_update_refusal": (
            permissions.vendor_update_refusal(proposers=proposers) if synced and not allowed else ""
        ),
    }


def propose_page(request, company: Company):
    """The edit page of a synced company: saving proposes a vendor update."""
    allowed = may_propose(request.user)
    if not allowed:
        # Project managers still see the company's fields, locked, with who may change them.
        require_permission(request.user, "change_company")
    form = _form(request.POST or None, company, allowed)
    open_update = open_vendor_update(company)
    if request.method == "POST" and form.is_valid():
        new_values = {
            name: form.cleaned_data[name] for name in form.fields if name not in form.locked
        }
        if not proposed_changes(Company.objects.get(pk=company.pk), new_values):
            messages.info(request, NOTHING_CHANGED)
            return redirect("approvals:company_detail", pk=company.pk)
        for problem in _erp_problems(company, new_values):
            form.add_error(None, problem)
        if form.is_valid():
            try:
                update = vendor_update_propose(
                    company=Company.objects.get(pk=company.pk),
                    actor=request.user,
                    new_values=new_values,
                )
            except VendorUpdateOpen as error:
                open_update = error.update
                form.add_error(None, error.message)
            except PreconditionsNotMet as error:
                messages.info(request, error.message)
                return redirect("approvals:company_detail", pk=company.pk)
            except WorkflowError as error:
                form.add_error(None, error.message)
            else:
                fields = ", ".join(change["label"].lower() for change in update.changes)
                messages.success(
                    request,
                    f"Your change to {fields} of {company.name} waits for an accounting "
                    "approver. The company and its ERP vendor keep their values until it is "
                    "accepted.",
                )
                return redirect("approvals:company_detail", pk=company.pk)
    context = {
        "form": form,
        "company": Company.objects.get(pk=company.pk),
        "proposing": allowed,
        "vendor_update": open_update,
        "vendor_update_refusal": (
            ""
            if allowed
            else permissions.vendor_update_refusal(
                proposers=ApprovalPolicy.current().vendor_updates_proposed_by
            )
        ),
    }
    return render(request, "approvals/company_form.html", context)


def _form(data, company: Company, allowed: bool) -> CompanyForm:
    locked = frozenset() if allowed else locked_fields(company)
    form = CompanyForm(data, instance=copy.copy(company), locked=locked)
    if not allowed:
        proposers = ApprovalPolicy.current().vendor_updates_proposed_by
        form.locked_message = (
            "{label} cannot be changed here. "
            + permissions.vendor_update_refusal(proposers=proposers)
        )
    return form


def _erp_problems(company: Company, new_values: dict) -> list[str]:
    """What the connected ERP would refuse in the vendor as proposed (checked here, no call)."""
    connector = erp.connector_or_none(company.erp_connection or erp.active_connection_or_none())
    if connector is None:
        return []
    proposed = copy.copy(company)
    for name, value in new_values.items():
        if name in erp_fields(Company):
            setattr(proposed, name, value)
    return connector.export_problems(proposed)


@login_required
@require_POST
def vendor_update_withdraw_view(request, pk: int, update_pk: int):
    # Someone else's proposal answers 404: only its proposer has a withdraw button to press.
    update = get_object_or_404(
        VendorUpdate.objects.select_related("company"),
        pk=update_pk,
        company_id=pk,
        proposed_by_id=request.user.pk,
    )
    try:
        vendor_update_withdraw(update=update, actor=request.user)
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, f"Your vendor update of {update.company.name} was withdrawn; nothing changed."
        )
    return redirect("approvals:company_detail", pk=pk)
