"""Why a workflow step was refused, in words for the person who tried it."""

from __future__ import annotations


class WorkflowError(Exception):
    """Base of every refusal; `message` is shown to the user as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class StaleState(WorkflowError):
    """Someone else changed the record first (compare-and-set found no row to update)."""


class TransitionNotAllowed(WorkflowError):
    """The state table has no such step from the record's current status."""


class NotPermitted(WorkflowError):
    """The actor lacks the right for this step on this record."""


class PreconditionsNotMet(WorkflowError):
    """The record is not ready; `reasons` lists every sentence at once."""

    def __init__(self, reasons: list[str]):
        self.reasons = list(reasons)
        super().__init__(" ".join(self.reasons))


class PastBalance(WorkflowError):
    """The invoice bills past a line's balance, which the approval policy allows only when the
    approver confirms it, line by line."""

    def __init__(self, sentences: list[str]):
        self.sentences = list(sentences)
        super().__init__(
            " ".join(self.sentences) + " Confirm billing past the balance to accept it anyway."
        )


class PossibleDuplicate(WorkflowError):
    """The invoice may already be billed; accept again with confirm_duplicate=True to go on."""

    def __init__(self, twins: list[str]):
        self.twins = list(twins)
        super().__init__(
            "This invoice may be a duplicate of "
            + "; ".join(self.twins)
            + ". Check it, then confirm to accept it anyway."
        )
