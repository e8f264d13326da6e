"""The project manager's rejected records: everything the approvers sent back, with their
reasons, to resend together once fixed; each record gets its own outcome."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from approvals.models import (
    Commitment,
    CommitmentChangeOrder,
    Company,
    SubcontractorInvoice,
)
from approvals.selectors import projects_for_user
from approvals.services import records_resend_bulk
from approvals.services.workflow.records import record_title
from approvals.states import SyncStatus
from approvals.views.records import record_kind, record_url

NOTHING_CHOSEN = "Tick at least one record to resend."


def rejected_records(user) -> list:
    """The records on the user's projects, and the companies they sent, that were rejected;
    the latest rejection first."""
    projects = projects_for_user(user)
    rejected = SyncStatus.REJECTED
    found = [
        *projects.filter(sync_status=rejected).select_related("decided_by"),
        *Company.objects.filter(sync_status=rejected, sent_by=user).select_related("decided_by"),
        *Commitment.objects.filter(sync_status=rejected, project__in=projects).select_related(
            "project", "vendor", "decided_by"
        ),
        *CommitmentChangeOrder.objects.filter(
            sync_status=rejected, commitment__project__in=projects
        ).select_related("commitment__project", "commitment__vendor", "decided_by"),
        *SubcontractorInvoice.objects.filter(
            sync_status=rejected, commitment__project__in=projects
        ).select_related("commitment__project", "commitment__vendor", "decided_by"),
    ]
    return sorted(
        found, key=lambda record: (record.decided_at is None, record.decided_at), reverse=True
    )


def _key(record) -> str:
    return f"{record_kind(record)}:{record.pk}"


@login_required
def rejected_list(request):
    records = rejected_records(request.user)
    if request.method == "POST":
        chosen = set(request.POST.getlist("record"))
        picked = [record for record in records if _key(record) in chosen]
        if not picked:
            messages.error(request, NOTHING_CHOSEN)
        else:
            outcomes = records_resend_bulk(records=picked, actor=request.user)
            done = sum(1 for outcome in outcomes if outcome.ok)
            level = messages.SUCCESS if done == len(outcomes) else messages.WARNING
            messages.add_message(request, level, f"{done} of {len(outcomes)} records resent.")
            for outcome in outcomes:
                level = messages.SUCCESS if outcome.ok else messages.ERROR
                messages.add_message(request, level, outcome.message)
        return redirect("approvals:rejected_list")
    rows = [
        {
            "key": _key(record),
            "title": record_title(record),
            "url": record_url(record),
            "project": _project_name(record),
            "rejected_by": _person(record.decided_by),
            "rejected_at": record.decided_at,
            "reason": record.rejection_reason,
        }
        for record in records
    ]
    return render(request, "approvals/rejected_list.html", {"rows": rows})


def _project_name(record) -> str:
    if isinstance(record, Commitment):
        return str(record.project)
    if isinstance(record, CommitmentChangeOrder | SubcontractorInvoice):
        return str(record.commitment.project)
    return ""


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
