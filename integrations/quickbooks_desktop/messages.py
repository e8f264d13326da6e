"""QuickBooks Desktop's refusals in an accountant's words: what happened, why, and what to do,
always with QuickBooks' own status code and message (support staff search for those)."""

from __future__ import annotations

from approvals.models import Company
from integrations.quickbooks_desktop.qbxml import Answer


def _entry(record) -> str:
    return "vendor" if isinstance(record, Company) else "job"


def _explained(record, code: int) -> str:
    entry = _entry(record)
    if code == 3100 and entry == "job":
        return (
            "The customer chosen already has a job of that name in QuickBooks Desktop. Link the "
            "project to that job, or rename the project here, then send it again."
        )
    if code == 3100:
        return (
            f"QuickBooks Desktop already has that name. Customers (and their jobs), vendors, "
            "employees and other names share one list of names in QuickBooks, so the new "
            f"{entry} cannot take a name any of them already has. Rename the record here (or "
            "the other entry in QuickBooks), then retry."
        )
    if code == 3140:
        return (
            f"The {entry} refers to something QuickBooks Desktop no longer holds (the customer "
            "chosen for the job may have been deleted or made inactive). Import the jobs again, "
            "choose another customer when accepting, then retry."
        )
    if code == 3250:
        return (
            "A feature this request needs is turned off in the company file's preferences. "
            "Turn it on in QuickBooks (Edit → Preferences), then retry."
        )
    if code == 3260:
        return (
            "The QuickBooks user the Web Connector signs in as may not add to this list. Give "
            "it the rights in QuickBooks (Company → Users, or Edit → Preferences → Integrated "
            "Applications), then retry."
        )
    return f"QuickBooks Desktop refused to add the {entry}. Correct the cause, then retry."


def linked_elsewhere(record, other, full_name: str) -> str:
    """A look-up after a lost answer found the name, but on an entry another record has."""
    return (
        f"QuickBooks Desktop's {_entry(record)} '{full_name}' is already linked to {other} "
        f"here, so this record cannot be linked to it too. QuickBooks compares names without "
        "case: rename this record here (or the entry in QuickBooks), then retry."
    )


def refused(record, answer: Answer) -> str:
    """The sentence a failed export shows for QuickBooks' `answer`."""
    said = answer.status_message.strip() or "no message"
    if not answer.failed:
        # A success without the entry it added: nothing can be linked, so a person must look.
        return (
            f"QuickBooks Desktop answered without the {_entry(record)} it added (status "
            f"{answer.status_code}: {said}). Check QuickBooks for it before retrying."
        )
    return (
        f"{_explained(record, answer.status_code)} (QuickBooks status {answer.status_code}: {said})"
    )
