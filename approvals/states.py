"""The one table of allowed sync-status transitions. Services consult it; nothing else writes a status."""

from django.db import models


class SyncStatus(models.TextChoices):
    NOT_SENT = "not_sent", "Not sent"
    READY_TO_EXPORT = "ready_to_export", "Ready to export"
    REJECTED = "rejected", "Rejected"
    EXPORTING = "exporting", "Exporting"
    # Handed to an ERP's own agent, which answers when it next collects requests.
    AWAITING_ERP = "awaiting_erp", "Waiting for the ERP"
    SYNCED = "synced", "Synced"
    EXPORT_FAILED = "export_failed", "Failed to export"


class Action(models.TextChoices):
    SEND = "send", "Sent to ERP"
    RETRIEVE = "retrieve", "Retrieved"
    REJECT = "reject", "Rejected"
    RESEND = "resend", "Resent to ERP"
    ACCEPT = "accept", "Accepted"
    HAND_OFF = "hand_off", "Handed to the ERP"
    EXPORT_SUCCEEDED = "export_succeeded", "Exported"
    EXPORT_FAILED = "export_failed", "Export failed"
    RETRY = "retry", "Export retried"
    UNLINK = "unlink", "Unlinked"
    LINK = "link", "Linked to an existing ERP record"
    IMPORT = "import", "Imported from ERP"
    FOUND_IN_ERP = "found_in_erp", "Found in the ERP and linked"
    CANCEL_HAND_OFF = "cancel_hand_off", "Cancelled before the ERP collected it"


class ERPDrift(models.TextChoices):
    """What became of a synced document in the ERP after the export."""

    NONE = "", "As exported"
    EDITED = "edited", "Edited in the ERP"
    VOIDED = "voided", "Voided in the ERP"
    DELETED = "deleted", "Deleted in the ERP"


class Note(models.TextChoices):
    """History entries that record a decision without changing the sync status."""

    ENABLE_JOB_COSTS = "enable_job_costs", "Job-cost syncing enabled"
    EDIT = "edit", "Edited"
    ERP_PROBLEM = "erp_problem", "Problem in the ERP"
    ERP_PROBLEM_CLEARED = "erp_problem_cleared", "Problem in the ERP solved"
    ERP_DRIFT = "erp_drift", "Changed in the ERP"
    ERP_DRIFT_CLEARED = "erp_drift_cleared", "Back to the approved document in the ERP"
    VENDOR_UPDATE_PROPOSED = "vendor_update_proposed", "Vendor update proposed"
    VENDOR_UPDATE_ACCEPTED = "vendor_update_accepted", "Vendor update accepted"
    VENDOR_UPDATE_RETRIED = "vendor_update_retried", "Vendor update retried"
    VENDOR_UPDATE_APPLIED = "vendor_update_applied", "Vendor updated in the ERP"
    VENDOR_UPDATE_FAILED = "vendor_update_failed", "Vendor update failed"
    VENDOR_UPDATE_REJECTED = "vendor_update_rejected", "Vendor update rejected"
    VENDOR_UPDATE_WITHDRAWN = "vendor_update_withdrawn", "Vendor update withdrawn"
    ERP_ANSWER_IGNORED = "erp_answer_ignored", "Answer from the ERP ignored"


S = SyncStatus
TRANSITIONS: dict[Action, tuple[tuple[SyncStatus, ...], SyncStatus]] = {
    Action.SEND: ((S.NOT_SENT,), S.READY_TO_EXPORT),
    # From export_failed only once a look-up found nothing the last attempt left in the ERP;
    # when it finds the document, FOUND_IN_ERP links the record instead.
    Action.RETRIEVE: ((S.READY_TO_EXPORT, S.EXPORT_FAILED), S.NOT_SENT),
    Action.REJECT: ((S.READY_TO_EXPORT, S.EXPORT_FAILED), S.REJECTED),
    Action.RESEND: ((S.REJECTED,), S.READY_TO_EXPORT),
    Action.ACCEPT: ((S.READY_TO_EXPORT,), S.EXPORTING),
    # An ERP that answers later: its answer settles the hand-off (services.inbound).
    Action.HAND_OFF: ((S.EXPORTING,), S.AWAITING_ERP),
    Action.EXPORT_SUCCEEDED: ((S.EXPORTING, S.AWAITING_ERP), S.SYNCED),
    Action.EXPORT_FAILED: ((S.EXPORTING, S.AWAITING_ERP), S.EXPORT_FAILED),
    Action.RETRY: ((S.EXPORT_FAILED,), S.EXPORTING),
    Action.UNLINK: ((S.SYNCED,), S.NOT_SENT),
    # From ready_to_export: accepted by linking to the vendor or job the ERP already has; from
    # synced: re-linked to the connected ERP's vendor or job after switching accounting systems.
    Action.LINK: ((S.NOT_SENT, S.REJECTED, S.READY_TO_EXPORT, S.SYNCED), S.SYNCED),
    Action.IMPORT: ((), S.SYNCED),
    Action.FOUND_IN_ERP: ((S.EXPORT_FAILED,), S.SYNCED),
    # An approver withdraws a handed-off export its ERP's agent has not collected: nothing
    # reached the ERP, so the record can be retried, retrieved or rejected as a failed one.
    Action.CANCEL_HAND_OFF: ((S.AWAITING_ERP,), S.EXPORT_FAILED),
}

# Shown to users with Procore's colours.
BADGE_COLOURS = {
    S.NOT_SENT: "grey",
    S.READY_TO_EXPORT: "blue",
    S.EXPORTING: "blue",
    S.AWAITING_ERP: "blue",
    S.SYNCED: "green",
    S.REJECTED: "yellow",
    S.EXPORT_FAILED: "red",
}

# After send, the fields the ERP depends on may not change (ARCHITECTURE: locking); a failed
# record too, so a retry exports what was approved: it is retrieved or rejected to be corrected.
LOCKED_STATUSES = frozenset(
    {S.READY_TO_EXPORT, S.EXPORTING, S.AWAITING_ERP, S.EXPORT_FAILED, S.SYNCED}
)


def status_label(status: str, *, erp_name: str = "the ERP") -> str:
    """How a sync status is shown to people: a record waiting for an ERP names it."""
    if status == S.AWAITING_ERP:
        return f"Waiting for {erp_name}"
    return SyncStatus(status).label


def event_label(action: str) -> str:
    """How the history names an audit event's action."""
    for choices in (Action, Note):
        if action in choices.values:
            return choices(action).label
    return action


def allowed_from(action: Action) -> tuple[SyncStatus, ...]:
    return TRANSITIONS[action][0]


def target_of(action: Action) -> SyncStatus:
    return TRANSITIONS[action][1]
