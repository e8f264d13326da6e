"""Suggested matches between ERP vendors and our companies, each with the reason it matched.

Near-linear: our companies are indexed once by normalised name, tax id and e-mail in dicts,
then each vendor is looked up, so 10,000 by 10,000 takes well under a second or two.

Normalising a name: case-folded; full stops and apostrophes removed ("L.L.C." → "llc",
"Dianne's" → "diannes"); "&" read as "and"; every other punctuation mark a space; whitespace
collapsed; then trailing legal suffixes dropped, repeatedly: inc, incorporated, llc, ltd,
limited, co, company, corp, corporation, plc, lp, llp ("Star Framing, LLC" → "star framing";
"Acme Co. Inc." → "acme"). A name that is only a suffix keeps it.

A tax id counts only when both sides show it whole: QuickBooks masks tax ids in lists
("XXXXXXX6789"), and four digits alone would match strangers. E-mail addresses match
case-insensitively. A name shared by several of our companies suggests none of them: an
accountant must choose.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

LEGAL_SUFFIXES = frozenset(
    {
        "inc",
        "incorporated",
        "llc",
        "ltd",
        "limited",
        "co",
        "company",
        "corp",
        "corporation",
        "plc",
        "lp",
        "llp",
    }
)
_SUFFIX_SPELLING = {"llc": "LLC", "lp": "LP", "llp": "LLP", "plc": "PLC"}
_DROPPED = re.compile("[.'\u2019`]")
_PUNCTUATION = re.compile(r"[^\w\s]|_")
_MIN_TAX_ID_DIGITS = 6


@dataclass(frozen=True)
class NormalisedName:
    key: str
    dropped: tuple[str, ...]


@dataclass(frozen=True)
class Suggestion:
    vendor: object
    company: object
    reason: str


def _words(name: str) -> list[str]:
    text = unicodedata.normalize("NFKC", name or "")
    text = _DROPPED.sub("", text).replace("&", " and ")
    return _PUNCTUATION.sub(" ", text).split()


def normalise_name(name: str) -> NormalisedName:
    words = _words(name)
    folded = [word.casefold() for word in words]
    dropped: list[str] = []
    while len(folded) > 1 and folded[-1] in LEGAL_SUFFIXES:
        folded.pop()
        dropped.insert(0, _suffix_label(words.pop()))
    return NormalisedName(key=" ".join(folded), dropped=tuple(dropped))


def _suffix_label(word: str) -> str:
    return _SUFFIX_SPELLING.get(word.casefold(), word[:1].upper() + word[1:].lower())


def normalise_tax_id(tax_id: str) -> str:
    """The digits of a tax id shown whole; empty for a masked or missing one."""
    text = (tax_id or "").strip()
    if not text or "x" in text.casefold() or "*" in text:
        return ""
    digits = "".join(ch for ch in text if ch.isalnum()).casefold()
    return digits if len(digits) >= _MIN_TAX_ID_DIGITS else ""


def normalise_email(email: str) -> str:
    text = (email or "").strip().casefold()
    return text if "@" in text else ""


def name_reason(ours: str, theirs: str) -> str:
    """Why two names count as the same, or "" when they do not."""
    left, right = normalise_name(ours), normalise_name(theirs)
    if not left.key or left.key != right.key:
        return ""
    if " ".join(ours.split()) == " ".join(theirs.split()):
        return "same name"
    dropped = list(dict.fromkeys(left.dropped + right.dropped))
    if dropped:
        quoted = " and ".join(f"'{word}'" for word in dropped)
        return f"same name ignoring {quoted}"
    return "same name ignoring case and punctuation"


class CompanyIndex:
    """Our companies by normalised name, tax id and e-mail; built once, looked up per vendor."""

    def __init__(self, companies: Iterable, *, name=lambda c: c.name):
        self._name = name
        self.by_name: dict[str, list] = {}
        self.by_tax_id: dict[str, list] = {}
        self.by_email: dict[str, list] = {}
        for company in companies:
            self.add(company)

    def add(self, company) -> None:
        key = normalise_name(self._name(company)).key
        if key:
            self.by_name.setdefault(key, []).append(company)
        tax_id = normalise_tax_id(getattr(company, "tax_id", ""))
        if tax_id:
            self.by_tax_id.setdefault(tax_id, []).append(company)
        email = normalise_email(getattr(company, "email", ""))
        if email:
            self.by_email.setdefault(email, []).append(company)

    def best_match(self, vendor, *, taken: set | None = None) -> tuple[object, str] | None:
        """(company, reason) for one vendor: tax id first, then e-mail, then a unique name."""
        taken = taken if taken is not None else set()
        vendor_name = vendor.display_name
        candidates = []
        tax_id = normalise_tax_id(getattr(vendor, "tax_id", ""))
        if tax_id:
            candidates.append((self.by_tax_id.get(tax_id, []), "same tax id"))
        email = normalise_email(getattr(vendor, "email", ""))
        if email:
            candidates.append((self.by_email.get(email, []), "same email"))
        key = normalise_name(vendor_name).key
        if key:
            candidates.append((self.by_name.get(key, []), ""))
        for companies, reason in candidates:
            free = [company for company in companies if company.pk not in taken]
            if len(free) != 1:
                continue
            company = free[0]
            reasons = [reason] if reason else []
            by_name = name_reason(self._name(company), vendor_name)
            if by_name:
                reasons.append(by_name)
            return company, "; ".join(reasons)
        return None


def suggest_matches(vendors: Iterable, companies: Iterable) -> list[Suggestion]:
    """At most one suggestion per vendor and per company, in the vendors' order."""
    index = companies if isinstance(companies, CompanyIndex) else CompanyIndex(companies)
    taken: set = set()
    suggestions = []
    for vendor in vendors:
        found = index.best_match(vendor, taken=taken)
        if found is None:
            continue
        company, reason = found
        taken.add(company.pk)
        suggestions.append(Suggestion(vendor=vendor, company=company, reason=reason))
    return suggestions
