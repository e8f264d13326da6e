"""The labeled set of vendor ⇄ company pairs the matcher is measured on.

Each row of vendor_pairs.csv is one company as we have it and one vendor as QuickBooks shows it
(tax ids masked the way its lists show them), labeled `same` (one business) or `different`
(look-alikes that are different businesses), with the kind of variation and a one-line reason.
Every third row (id divisible by 3) is held out: the matcher is never tuned on it, and
`make bench` reports precision and recall on it alone.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

PAIRS_FILE = Path(__file__).with_name("vendor_pairs.csv")
KINDS = (
    "abbreviation",
    "branch",
    "typo",
    "dba",
    "digits",
    "accents",
    "the",
    "and",
    "joined",
    "legal_form",
    "note",
    "company_name",
    "tax_id",
)


@dataclass(frozen=True)
class Side:
    name: str
    other_name: str  # our legal name, or the ERP's company name
    tax_id: str
    email: str
    city: str


@dataclass(frozen=True)
class LabeledPair:
    id: int
    kind: str
    ours: Side
    erp: Side
    same: bool
    reason: str

    @property
    def held_out(self) -> bool:
        return self.id % 3 == 0


def labeled_pairs() -> list[LabeledPair]:
    with PAIRS_FILE.open(newline="", encoding="utf-8") as source:
        return [
            LabeledPair(
                id=int(row["id"]),
                kind=row["kind"],
                ours=Side(
                    row["ours_name"],
                    row["ours_legal_name"],
                    row["ours_tax_id"],
                    row["ours_email"],
                    row["ours_city"],
                ),
                erp=Side(
                    row["erp_display_name"],
                    row["erp_company_name"],
                    row["erp_tax_id"],
                    row["erp_email"],
                    row["erp_city"],
                ),
                same=row["label"] == "same",
                reason=row["reason"],
            )
            for row in csv.DictReader(source)
        ]


def held_out() -> list[LabeledPair]:
    return [pair for pair in labeled_pairs() if pair.held_out]


def tuning() -> list[LabeledPair]:
    return [pair for pair in labeled_pairs() if not pair.held_out]
