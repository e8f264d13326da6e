"""What an approver is asked when accepting a record, as the connected ERP declares it.

Each ERP needs its own answers (the customer a job belongs to, a vendor's type) and decides
whether a record that looks like a vendor or job it already has must be linked to it or created
anyway. The connector declares them per record type, with the choices taken from imported data
or the connection's settings (never from a live call while a person waits); the workflow asks
them on the decision page and checks the answers when it accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

from approvals.models import ERPCustomer, SyncKind


@dataclass(frozen=True)
class AcceptQuestion:
    """One choice asked once for all the records of a type being accepted together."""

    name: str
    """The answer's key: the form field's name, and the key in record_accept(choices=...)."""
    field: str
    """The record's field the answer is kept in."""
    label: str
    choices: tuple[tuple[str, str], ...]
    """(value, what the approver reads), from imported data or the connection's settings."""
    required: bool = False
    help: str = ""
    empty_choice: str = "— choose —"
    missing: str = ""
    """The sentence when a required answer is missing."""
    none_to_choose: str = ""
    """Why no record of the type can be accepted while a required question has no choices."""
    imported_with: str = ""
    """The import that brings the choices (an approvals SyncKind value), so the page can say how
    fresh they are; "" for choices from the settings."""
    imported_noun: str = ""
    """What the choices are, for that sentence ("Customers as of the last sync ...")."""


@dataclass(frozen=True)
class AcceptQuestions:
    """What accepting a record of one type asks."""

    choices: tuple[AcceptQuestion, ...] = ()
    link_or_create: bool = False
    """A record that looks like a vendor or job the imported lists hold is linked to it, or
    created anyway for a stated reason."""
    link_noun: str = ""
    """What the ERP calls the thing to link to ("vendor", "job", "contact")."""


NOTHING_ASKED = AcceptQuestions()


def parent_customer_question(connection, *, erp_name: str, how_to_read: str) -> AcceptQuestion:
    """The customer a project's job is put under, chosen among the active customers the ERP's
    jobs import brought; `how_to_read` says how to bring them when there are none yet."""
    customers = ERPCustomer.objects.filter(erp_connection=connection, is_active=True).values_list(
        "erp_id", "display_name"
    )
    return AcceptQuestion(
        name="parent_customer_id",
        field="erp_parent_customer_id",
        label="Customer the job belongs to",
        choices=tuple(customers),
        required=True,
        help=f"The project becomes a job under this customer in {erp_name}.",
        empty_choice="— choose a customer —",
        missing="Please choose the customer this job belongs to.",
        none_to_choose=(
            f"No customers of {erp_name} were read yet, so there is none to put the job "
            f"under. {how_to_read}, then accept."
        ),
        imported_with=SyncKind.JOBS,
        imported_noun="Customers",
    )
