"""QuickBooks Desktop's refusals and warnings in an accountant's words: what happened, why, and
what to do, always with QuickBooks' own status code and message (support staff search for
those)."""

from __future__ import annotations

import re
from decimal import Decimal

from approvals.models import Commitment, CommitmentChangeOrder, Company, Project
from integrations.quickbooks_desktop.qbxml import Answer

NAME_IN_USE = 3100
_INVALID_REFERENCE = re.compile(r'invalid reference to QuickBooks (?P<list>\w+) "(?P<value>[^"]*)"')


def _entry(record) -> str:
    if record is None:
        return "item"
    if isinstance(record, Company):
        return "vendor"
    if isinstance(record, Project):
        return "job"
    if isinstance(record, Commitment):
        return "purchase order"
    if isinstance(record, CommitmentChangeOrder):
        return "change to the purchase order"
    return "bill"


def _is_list_entry(record) -> bool:
    return isinstance(record, Company | Project)


def invalid_reference(answer: Answer) -> tuple[str, str] | None:
    """(list, value) of the reference a 3140 names: ("Item", "80000004-1795813569")."""
    found = _INVALID_REFERENCE.search(answer.status_message)
    return (found["list"], found["value"]) if found else None


def _explained(record, code: int, reference: str = "") -> str:
    entry = _entry(record)
    if code == NAME_IN_USE and entry == "job":
        return (
            "The customer chosen already has a job of that name in QuickBooks Desktop. Link the "
            "project to that job, or rename the project here, then send it again."
        )
    if code == NAME_IN_USE and entry == "vendor":
        # A vendor of that name is looked up first: the name is on another kind of entry.
        return (
            f"QuickBooks Desktop already has the name '{record.name.strip()}' on an entry that "
            "is not a vendor (a customer, job, employee or other name). Customers (and their "
            "jobs), vendors, employees and other names share one list of names in QuickBooks, "
            "so the new vendor cannot take a name any of them already has. Rename the company "
            "here (or that entry in QuickBooks), then retry."
        )
    if code == NAME_IN_USE:
        return (
            f"QuickBooks Desktop already has that name. Customers (and their jobs), vendors, "
            "employees and other names share one list of names in QuickBooks, so the new "
            f"{entry} cannot take a name any of them already has. Rename the record here (or "
            "the other entry in QuickBooks), then retry."
        )
    if code == 3120:
        return (
            f"QuickBooks Desktop no longer holds something the {entry} refers to: the purchase "
            "order (or one of its lines) may have been deleted in QuickBooks. Check the "
            "commitment's purchase order in QuickBooks; relink or unlink the commitment here, "
            "then retry."
        )
    if code == 3140 and _is_list_entry(record):
        return (
            f"The {entry} refers to something QuickBooks Desktop no longer holds (the customer "
            "chosen for the job may have been deleted or made inactive). Import the jobs again, "
            "choose another customer when accepting, then retry."
        )
    if code == 3140:
        what = reference or "a vendor, job, item or account"
        return (
            f"The {entry} refers to {what}, which QuickBooks Desktop does not hold as it was "
            "imported (deleted, made inactive or renamed there since). Import the lists again, "
            "make sure the vendor, the job and each line's item are active in QuickBooks, then "
            "retry."
        )
    if code == 3200:
        return (
            "Someone kept changing the purchase order in QuickBooks Desktop while the change "
            "order was being added: it was read again and the change re-applied once, and it "
            "had changed again. Retry when nobody is editing the purchase order."
        )
    if code == 3020:
        return f"QuickBooks Desktop could not read a date on the {entry}. Correct it, then retry."
    if code == 3250:
        return (
            "A feature this request needs is turned off in the company file's preferences. "
            "Turn it on in QuickBooks (Edit → Preferences), then retry."
        )
    if code == 3260:
        return (
            f"The QuickBooks user the Web Connector signs in as may not add this {entry}. Give "
            "it the rights in QuickBooks (Company → Users, or Edit → Preferences → Integrated "
            "Applications), then retry."
        )
    return f"QuickBooks Desktop refused the {entry}. Correct the cause, then retry."


def _said(answer: Answer) -> str:
    return answer.status_message.strip() or "no message"


def linked_elsewhere(record, other, full_name: str) -> str:
    """A look-up after a lost answer found the name, but on an entry another record has."""
    return (
        f"QuickBooks Desktop's {_entry(record)} '{full_name}' is already linked to {other} "
        f"here, so this record cannot be linked to it too. QuickBooks compares names without "
        "case: rename this record here (or the entry in QuickBooks), then retry."
    )


def _in_their_words(answer: Answer | None) -> str:
    if answer is None:
        return ""
    return f" (QuickBooks status {answer.status_code}: {_said(answer)})"


def vendor_of_another_business(full_name: str, taken: Answer | None) -> str:
    """A vendor named like the company, whose details are not the company's: it was keyed in
    for another business (`taken`: QuickBooks' refusal of our vendor's name, if it came)."""
    return (
        f"QuickBooks Desktop already has a vendor named '{full_name}' whose details (legal "
        "name, phone, email or address) differ from this company's, so the company was not "
        "linked to it. Link the company to that vendor if it is the same business, or rename "
        f"one of them, then retry.{_in_their_words(taken)}"
    )


def vendor_inactive(full_name: str, taken: Answer | None) -> str:
    """The company's own vendor (its details) is inactive in QuickBooks: never linked so."""
    return (
        f"QuickBooks Desktop has the vendor '{full_name}' with this company's details, but it "
        "is inactive there, so it was not linked. Make it active in QuickBooks Desktop, then "
        f"retry.{_in_their_words(taken)}"
    )


def numbered_elsewhere(record, txn_id: str) -> str:
    """A look-up after a lost answer found the vendor's document with this number, but not the
    one this attempt added: adding another would make two."""
    return (
        f"QuickBooks Desktop already has a {_entry(record)} numbered {record.number} for this "
        f"vendor (transaction {txn_id}), which this export did not add. It was not added a "
        "second time. Check that document in QuickBooks: delete it if it is a mistake and "
        "retry, or give this record another number."
    )


def refused(record, answer: Answer, reference: str = "") -> str:
    """The sentence a failed export shows for QuickBooks' `answer`; `reference` is how the
    accountant knows what a 3140 names ("vendor 'Bolt Electric'")."""
    if not answer.failed:
        # A success without the entry it added: nothing can be linked, so a person must look.
        return (
            f"QuickBooks Desktop answered without the {_entry(record)} it added (status "
            f"{answer.status_code}: {_said(answer)}). Check QuickBooks for it before retrying."
        )
    return (
        f"{_explained(record, answer.status_code, reference)} (QuickBooks status "
        f"{answer.status_code}: "
        f"{_said(answer)})"
    )


def warning(answer: Answer) -> str:
    """What a warning on a carried-out request means ("" when there is none)."""
    if answer.severity != "Warn":
        return ""
    if answer.status_code == 570:
        meaning = (
            "The bill was linked to a purchase order that is closed in QuickBooks Desktop. "
            "Check that the order should be billed further."
        )
    else:
        meaning = "QuickBooks Desktop carried out the request with a warning."
    return f"{meaning} (QuickBooks status {answer.status_code}: {_said(answer)})"


def retainage_item_refused(account: str, answer: Answer) -> str:
    return (
        'The bill holds retainage, which goes on QuickBooks Desktop\'s "Retainage" item, and '
        f"QuickBooks would not add that item on the account '{account}'. Check that the "
        "retainage-payable account chosen on the QuickBooks Desktop connection exists in "
        'QuickBooks (or add a "Retainage" item there yourself), then retry. (QuickBooks '
        f"status {answer.status_code}: {_said(answer)})"
    )


def below_zero(change_order, total: Decimal) -> str:
    return (
        f"Change order {change_order.number} would bring purchase order "
        f"{change_order.commitment.number} below zero in QuickBooks Desktop ({total:,.2f}), "
        "so nothing was sent. Check the purchase order in QuickBooks."
    )


def already_on_order(change_order, total: Decimal) -> str:
    return (
        f"Purchase order {change_order.commitment.number} in QuickBooks Desktop already has "
        f"lines of change order {change_order.number} totalling {total:,.2f}, not the "
        f"{sum((line.amount for line in change_order.lines.all()), Decimal(0)):,.2f} approved "
        "(an earlier export of it, or lines changed by hand), so nothing was sent. Correct the "
        "purchase order in QuickBooks so it carries what was approved, or remove those lines "
        "there, then retry."
    )


def applied_differently(change_order, total: Decimal) -> str:
    return (
        f"The lines of change order {change_order.number} on the purchase order in QuickBooks "
        f"Desktop total {total:,.2f}, not what was approved. Check the purchase order in "
        "QuickBooks."
    )


def unlinked_bill_lines(labels: list[str]) -> str:
    if not labels:
        return ""
    return (
        f"Line(s) {', '.join(labels)} of the bill are not linked to a purchase-order line "
        "(the commitment's lines are not known here): link them in QuickBooks if its "
        "purchase order should show them billed."
    )


def item_name_in_use(answer: Answer) -> str:
    return (
        "QuickBooks Desktop already has an item of that name (added by an earlier run whose "
        "answer was lost, or by hand): the item list is read again, which links the cost code "
        f"to it when its code matches. (QuickBooks status {answer.status_code}: {_said(answer)})"
    )


def item_refused(answer: Answer) -> str:
    if answer.status_code == 3140:
        meaning = (
            "QuickBooks Desktop does not hold the expense account chosen for the cost code any "
            "more. Let the Web Connector read the accounts again, choose another, then export "
            "the cost code again."
        )
    else:
        meaning = _explained(None, answer.status_code)
    return f"{meaning} (QuickBooks status {answer.status_code}: {_said(answer)})"
