"""How far "Link all" can be trusted: the vendor matcher on the held-out third of the labeled
set (tests/matching/vendor_pairs.csv), which the matcher was never tuned on.

Each pair is matched as the accountant's page matches it: the company indexed, the vendor
looked up. Precision counts the suggestions offered to "Link all" (high confidence, not
ambiguous) that are the same business; recall counts the same-business pairs that are
suggested at all (to link in bulk, or to check first). Every miss and false link is listed.
"""

from __future__ import annotations

from types import SimpleNamespace

from approvals.services.workflow.matching import CompanyIndex, suggest_matches
from bench.table import Row
from tests.matching.labeled import held_out, tuning

TITLE = "Vendor matching, labeled set"
FULL = {"part": "held out"}
TOY = {"part": "held out"}
PRECISION_TARGET = 0.98
RECALL_TARGET = 0.85


def _suggestion(pair):
    company = SimpleNamespace(
        pk=pair.id,
        name=pair.ours.name,
        legal_name=pair.ours.other_name,
        tax_id=pair.ours.tax_id,
        email=pair.ours.email,
        city=pair.ours.city,
    )
    vendor = SimpleNamespace(
        display_name=pair.erp.name,
        company_name=pair.erp.other_name,
        tax_id=pair.erp.tax_id,
        email=pair.erp.email,
        city=pair.erp.city,
    )
    found = suggest_matches([vendor], CompanyIndex([company]))
    return found[0] if found else None


def _pair_text(pair) -> str:
    theirs = pair.erp.name + (f" / {pair.erp.other_name}" if pair.erp.other_name else "")
    return f"#{pair.id} {pair.kind}: '{pair.ours.name}' ⇄ '{theirs}'"


def run(*, part: str) -> list[Row]:
    pairs = {"held out": held_out, "tuning": tuning}[part]()
    offered = correct = shown_same = 0
    misses, false_links = [], []
    for pair in pairs:
        suggestion = _suggestion(pair)
        if suggestion is not None and suggestion.for_link_all:
            offered += 1
            if pair.same:
                correct += 1
            else:
                false_links.append(
                    f"{_pair_text(pair)} ({pair.reason}; matched as {suggestion.reason})"
                )
        if pair.same:
            if suggestion is not None:
                shown_same += 1
            else:
                misses.append(f"{_pair_text(pair)} ({pair.reason})")
    same = sum(pair.same for pair in pairs)
    precision = correct / offered if offered else 0.0
    recall = shown_same / same if same else 0.0
    size = f"{len(pairs)} {part} pairs ({same} same, {len(pairs) - same} look-alikes)"
    return [
        Row(
            TITLE,
            size,
            f"precision {precision:.3f}",
            target=f"≥ {PRECISION_TARGET} of the suggestions offered to Link all",
            met=offered > 0 and precision >= PRECISION_TARGET,
            note=(
                f"{offered} offered to Link all, {correct} of them right; false links: "
                + ("; ".join(false_links) or "none")
            ),
        ),
        Row(
            TITLE,
            size,
            f"recall {recall:.3f}",
            target=f"≥ {RECALL_TARGET} of same-business pairs suggested",
            met=recall >= RECALL_TARGET,
            note=f"{shown_same} of {same} suggested; misses: " + ("; ".join(misses) or "none"),
        ),
    ]
