"""Status codes and severities of qbXML responses, in QuickBooks' words where they are known
(the reference's table; the wording of codes it marks unverified is ours)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Status:
    code: int
    severity: str  # Info, Warn or Error
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity == "Error"

    @classmethod
    def ok(cls) -> Status:
        return cls(0, "Info", "Status OK")


def no_match() -> Status:
    return Status(1, "Info", "A query request did not find a matching object in QuickBooks")


def not_all_found(missing: str) -> Status:
    return Status(
        500,
        "Warn",
        "The query request has not been fully completed. There was a required element "
        f'("{missing}") that could not be found in QuickBooks.',
    )


def name_in_use(name: str) -> Status:
    return Status(3100, "Error", f'The name "{name}" of the list element is already in use.')


def not_found(identifier: str) -> Status:
    return Status(3120, "Error", f'Object "{identifier}" specified in the request cannot be found.')


def invalid_reference(list_name: str, value: str, where: str) -> Status:
    return Status(
        3140,
        "Error",
        f'There is an invalid reference to QuickBooks {list_name} "{value}" in the {where}.',
    )


def stale_edit_sequence(given: str) -> Status:
    return Status(3200, "Error", f'The provided edit sequence "{given}" is out-of-date.')


def closed_transaction_linked(txn_id: str) -> Status:
    return Status(
        570, "Warn", f'The transaction "{txn_id}" is closed; the link was made all the same.'
    )
