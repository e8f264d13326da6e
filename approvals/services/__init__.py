"""The approval workflow's write side. Admin actions, PM views, commands and tasks call only these.

Every function takes keyword arguments and raises a WorkflowError subclass whose `.message` can
be shown to the user as is; when one is raised nothing was changed.
"""

from approvals.services.exporting.exports import export_run, exports_recover_stuck
from approvals.services.workflow.actions import (
    record_accept,
    record_cancel_hand_off,
    record_reject,
    record_resend,
    record_retrieve,
    record_retry,
    record_send,
    record_unlink,
)
from approvals.services.workflow.bulk import (
    Outcome,
    invoices_send_bulk,
    records_accept_bulk,
    records_reject_bulk,
    records_resend_bulk,
)
from approvals.services.workflow.errors import (
    NotPermitted,
    PossibleDuplicate,
    PreconditionsNotMet,
    StaleState,
    TransitionNotAllowed,
    WorkflowError,
)
from approvals.services.workflow.transitions import record_transition

__all__ = [
    "NotPermitted",
    "Outcome",
    "PossibleDuplicate",
    "PreconditionsNotMet",
    "StaleState",
    "TransitionNotAllowed",
    "WorkflowError",
    "export_run",
    "exports_recover_stuck",
    "invoices_send_bulk",
    "record_accept",
    "record_cancel_hand_off",
    "record_reject",
    "record_resend",
    "record_retrieve",
    "record_retry",
    "record_send",
    "record_transition",
    "record_unlink",
    "records_accept_bulk",
    "records_reject_bulk",
    "records_resend_bulk",
]
