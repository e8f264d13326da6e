"""What the contract suite asks of each ERP it runs against: one small adapter per connector.

An adapter opens books in its ERP's sandbox (our project, vendor and subcontract already
there), makes that ERP misbehave the way a case needs, and reads back what the ERP holds, so
every case is written once, in the workflow's words. A case that cannot happen with an ERP is
named in its `does_not_apply`, with the reason, and skipped there. An ERP joins by writing an
adapter and listing it in conftest.ADAPTERS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import pytest

from approvals.models import Commitment, Company, CostCode, Project
from integrations.models import ERPConnection

# The sentences of the contract, as does_not_apply names them.
EXPORTING_TWICE = "exporting twice makes one document"
LOST_ANSWER = "a lost answer ends in a link, not a duplicate"
STALE_VERSION = "a stale version is re-read and re-applied"
INACTIVE_REFERENCE = "an inactive or missing reference is named in the message"
TAKEN_NAME = "a taken name is linked when clearly ours, or refused with the reason"
HAND_OFF = "a handed-off export settles once"
IMPORT = "an import is idempotent and resumes where it stopped"


@dataclass
class Books:
    """The people working here and what of ours the ERP already holds."""

    connection: ERPConnection
    pm: object
    approver: object
    project: Project
    vendor: Company
    commitment: Commitment
    cost_codes: dict[str, CostCode]


class ERPUnderTest(Protocol):
    does_not_apply: dict[str, str]
    """Sentence of the contract -> why it cannot happen with this ERP."""
    erp_name: str
    """How the workflow names the ERP ("Waiting for <erp_name>"); asked of hand-off ERPs."""
    connector_name: str
    """How its connector names itself in the history of a hand-off."""

    def open_books(self) -> Books:
        """A company of its own in the sandbox, with our project, vendor and subcontract."""

    def documents(self, record) -> list[str]:
        """Ids of what the ERP holds that a person would take for `record`'s document (by its
        name or number; for a change order, the lines it adds)."""

    def agent_answers(self) -> list[str]:
        """The ERP's own agent visits and answers what was handed to it: how each answer
        settled (none for an ERP that answers while the worker waits)."""

    def lose_next_answer(self, record) -> None:
        """The ERP stores `record`'s next write, and its answer never reaches us."""

    def save_while_we_write(self, record) -> None:
        """Someone saves the document `record` changes after we read it, before our write."""

    def their_save_kept(self, record) -> bool:
        """The change `save_while_we_write` made is still in the ERP's document."""

    def deactivate(self, record) -> None:
        """Someone makes `record`'s ERP counterpart (a vendor) inactive in the ERP."""

    def key_in_by_hand(self, company: Company, *, same_business: bool) -> None:
        """Someone types a vendor named like `company` into the ERP: with `company`'s details
        (clearly ours), or another business's."""

    def agent_fails_next(self) -> str:
        """The agent's next answer says the request failed; returns the ERP's own words for
        why, which the record's message carries."""

    def answer_again(self, record, *, attempt: int | None = None) -> str:
        """The agent's answer for `record`'s request of `attempt` (its last by default) reaches
        us once more: how it settled."""

    def answer_twice_at_once(self, record) -> list[str]:
        """The agent carries out `record`'s pending request and its answer arrives twice at the
        same moment: how each settled, sorted."""

    def batch_requests(self) -> int:
        """Requests that carried several exports at once since the books were opened (asked only
        of an ERP whose connector batches, as are the next ones)."""

    def lose_next_batch_answer(self, *, stored: int) -> None:
        """The ERP stores the first `stored` documents of the next batch, then its answer never
        reaches us (the rest of the batch is never carried out)."""

    def seed_vendors(self, pages: int) -> None:
        """The ERP holds enough vendors that a full import reads `pages` pages."""

    def stop_reads_after(self, pages: int) -> None:
        """The ERP answers `pages` pages of the next import, then fails until `resume_reads`."""

    def resume_reads(self) -> None:
        """The ERP answers again; counting of reads starts anew."""

    def reads(self) -> int:
        """Pages the import read from the ERP since the last `resume_reads`."""


def applies(erp: ERPUnderTest, sentence: str) -> None:
    """Skip the calling case, with the reason, when its sentence cannot happen with `erp`."""
    reason = erp.does_not_apply.get(sentence)
    if reason:
        pytest.skip(f"{type(erp).__name__}: {reason}")
