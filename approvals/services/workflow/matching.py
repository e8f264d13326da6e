"""Suggested matches between ERP vendors (or jobs) and our companies (or projects), each with its
reasons and a confidence an accountant can act on.

Names are compared the way a bookkeeper and a project manager write one business differently:
case, accents, punctuation, "&" / "+" / "N" for "and", digits for number words ("3 Rivers",
"1st Choice"), abbreviations ("Bros", "Mfg", "Svcs"), a leading or trailing "The", legal forms
(Inc, LLC, GmbH, Pty Ltd...), branch or store suffixes ("- Store 12", "#1234", "Branch 457"),
bookkeeper notes ("(1099)", "*inactive*", "- DO NOT USE", "z-"), "dba" / "t/a" trade names on
either side, joined or split words ("North West" / "Northwest"), and one slip of the keyboard.
Both sides offer every name they have: our name and legal name, the ERP's display name and
company name.

Evidence beyond the name:
- Tax ids shown whole on both sides: equal is proof, different is a veto. ERP lists may mask
  all but the last four digits: different visible digits veto, equal ones add confidence but
  never link on their own.
- The same email address is strong, unless visible tax digits differ (a shared bookkeeper's
  address never links two businesses). Different company email domains, or different cities,
  speak against a match.

Confidence: HIGH suggestions (offered to "Link all") need the same name after normalising with
nothing against it, or a whole tax id, or the same email with a name that agrees. Everything
else that is plausible is MEDIUM and shown for a person to decide. A vendor with two plausible
companies, or a company claimed by two vendors, is AMBIGUOUS: shown, never linked in bulk, and
never resolved by the order the lists happen to be read in.

Near-linear: companies are indexed once by every name key, by the first two words of each
name, by one-letter deletions of each compact name (for typos), by tax id, last four tax
digits and email; each vendor looks up only its candidates.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache


class Confidence(IntEnum):
    MEDIUM = 1
    HIGH = 2


LEGAL_FORMS = (
    # Longest first: "limited liability company" before "company".
    ("limited", "liability", "company"),
    ("limited", "liability", "partnership"),
    ("pty", "ltd"),
    ("pty", "limited"),
    ("co", "ltd"),
    ("s", "a"),
    ("s", "l"),
    ("b", "v"),
    ("n", "v"),
    ("p", "c"),
    ("inc",),
    ("incorporated",),
    ("llc",),
    ("lc",),
    ("ltd",),
    ("limited",),
    ("co",),
    ("company",),
    ("corp",),
    ("corporation",),
    ("plc",),
    ("lp",),
    ("llp",),
    ("lllp",),
    ("pllc",),
    ("pc",),
    ("gmbh",),
    ("sa",),
    ("sas",),
    ("sarl",),
    ("srl",),
    ("bv",),
    ("nv",),
    ("pty",),
    ("ulc",),
)
LEGAL_SUFFIXES = frozenset(form[0] for form in LEGAL_FORMS if len(form) == 1)
ABBREVIATIONS = {
    "bros": "brothers",
    "bro": "brothers",
    "mfg": "manufacturing",
    "mfrs": "manufacturers",
    "svc": "services",
    "svcs": "services",
    "serv": "services",
    "elec": "electric",
    "const": "construction",
    "constr": "construction",
    "cnstr": "construction",
    "intl": "international",
    "assoc": "associates",
    "assocs": "associates",
    "mech": "mechanical",
    "dist": "distribution",
    "distr": "distribution",
    "bldg": "building",
    "bldrs": "builders",
    "eng": "engineering",
    "engr": "engineering",
    "engrg": "engineering",
    "ent": "enterprises",
    "ents": "enterprises",
    "mtn": "mountain",
    "mt": "mount",
    "ft": "fort",
    "natl": "national",
    "htg": "heating",
    "env": "environmental",
    "envtl": "environmental",
    "supp": "supply",
    "sply": "supply",
    "equip": "equipment",
    "eqpt": "equipment",
    "contr": "contractors",
    "contrs": "contractors",
    "ctr": "center",
    "cntr": "center",
    "grp": "group",
    "indus": "industries",
    "inds": "industries",
    "plbg": "plumbing",
    "plmb": "plumbing",
    "rfg": "roofing",
    "pntg": "painting",
    "exc": "excavating",
    "excav": "excavating",
    "landscp": "landscaping",
    "mgmt": "management",
    "mgt": "management",
    "tech": "technologies",
    "sys": "systems",
    "hvac": "hvac",
    "n": "and",
    "ac": "air conditioning",
}
NUMBER_WORDS = {
    "0": "zero",
    "1": "one",
    "2": "two",
    "3": "three",
    "4": "four",
    "5": "five",
    "6": "six",
    "7": "seven",
    "8": "eight",
    "9": "nine",
    "10": "ten",
    "11": "eleven",
    "12": "twelve",
    "13": "thirteen",
    "14": "fourteen",
    "15": "fifteen",
    "16": "sixteen",
    "17": "seventeen",
    "18": "eighteen",
    "19": "nineteen",
    "20": "twenty",
    "30": "thirty",
    "40": "forty",
    "50": "fifty",
    "100": "hundred",
    "1st": "first",
    "2nd": "second",
    "3rd": "third",
    "4th": "fourth",
    "5th": "fifth",
    "6th": "sixth",
    "7th": "seventh",
    "8th": "eighth",
    "9th": "ninth",
    "10th": "tenth",
    "11th": "eleventh",
    "12th": "twelfth",
}
GENERIC_EMAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "comcast.net",
        "att.net",
        "verizon.net",
        "proton.me",
        "protonmail.com",
        "gmx.com",
    }
)
_BRANCH_SUFFIX = re.compile(
    r"\s+(?:(?:store|branch|br|location|loc)\.?\s*(?:no\.?|#)?\s*\d[\w-]*|#\s*[\w-]+|no\.\s*\d+)\s*$",
    re.IGNORECASE,
)
DBA_MARKERS = (
    re.compile(r"\bd\s*/\s*b\s*/\s*a\b", re.IGNORECASE),
    re.compile(r"\bd\.\s*b\.\s*a\.?", re.IGNORECASE),
    re.compile(r"\bdba\b( of)?", re.IGNORECASE),
    re.compile(r"\bt\s*/\s*a\b", re.IGNORECASE),
    re.compile(r"\bdoing business as\b", re.IGNORECASE),
    re.compile(r"\btrading as\b", re.IGNORECASE),
)
_BRACKETED = re.compile(r"\(([^)]*)\)|\[([^\]]*)\]|\{([^}]*)\}|\*([^*]*)\*")
# Bookkeepers sort a vendor last with a lower-case "z-" or "zz "; "Z-Best" is a name.
_NOTE_PREFIX = re.compile(r"^\s*(?:z{1,3}|x{1,3})\s*[-_.:]\s*|^\s*(?:zz+|xx+)\s+")
_SEGMENT_BREAK = re.compile("\\s+[-\u2013\u2014|:]\\s*|\\s*[-\u2013\u2014|]\\s+")
# Notes that never belong to a name, wherever they stand.
_NOTE_WORDS = re.compile(
    r"\b(do not use|don'?t use|inactive|w-?9 on file|coi expired)\b", re.IGNORECASE
)
# What may follow a name after " - " as a bookkeeper's note rather than part of the name.
_NOTE_TAIL = re.compile(
    r"^\s*(?:do not use|don'?t use|inactive|net ?\d+|ach|eft|1099(?:-\w+)?|w-?9.*|use\b.*|old"
    r"|dup(?:licate)?|\d{4}|sub|coi\b.*|per .*)\s*$",
    re.IGNORECASE,
)
_PLUS_AND = re.compile(r"\s*(?:&|\+)\s*|\s+'?n'?\s+|-n-|\s+'n\b|\b'n'\s+", re.IGNORECASE)
_AC = re.compile(r"\ba\s*/\s*c\b", re.IGNORECASE)
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z](?![a-z]))")
_PUNCTUATION = re.compile(r"[^\w\s]|_")
_DROPPED = re.compile("[.'\u2019`\u00b4]")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_SPECIAL_LETTERS = str.maketrans(
    {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L"}
)
_MIN_TAX_ID_DIGITS = 6
_MIN_TYPO_LENGTH = 6
_NON_DIGITS = re.compile(r"\D")


# --- names ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NormalisedName:
    key: str
    dropped: tuple[str, ...]
    weak: bool = False
    """Only part of what was written (the text before " - ", in brackets, a dba's owner): the
    same key then suggests a match to check, never one to link in bulk."""

    @property
    def compact(self) -> str:
        return self.key.replace(" ", "")


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", (text or "").translate(_SPECIAL_LETTERS))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _words(text: str) -> list[str]:
    text = _AC.sub(" air conditioning ", text)
    text = _PLUS_AND.sub(" and ", f" {text} ")
    text = _DROPPED.sub("", text)
    text = _PUNCTUATION.sub(" ", text).casefold()
    text = _LETTER_DIGIT.sub(" ", text)
    words = []
    for word in text.split():
        word = NUMBER_WORDS.get(word, word)
        words.extend(ABBREVIATIONS.get(word, word).split())
    if words[:1] == ["st"]:
        words[0] = "saint"
    return words


def _strip_the(words: list[str]) -> list[str]:
    while len(words) > 1 and words[0] == "the":
        words = words[1:]
    while len(words) > 1 and words[-1] == "the":
        words = words[:-1]
    return words


def _strip_legal(words: list[str], dropped: list[str]) -> list[str]:
    changed = True
    while changed and len(words) > 1:
        changed = False
        for form in LEGAL_FORMS:
            size = len(form)
            if len(words) > size and tuple(words[-size:]) == form:
                dropped.insert(0, " ".join(form))
                words = words[:-size]
                changed = True
                break
    return words


def _normalised(text: str, *, weak: bool = False) -> NormalisedName:
    dropped: list[str] = []
    words = _strip_the(_words(text))
    words = _strip_the(_strip_legal(words, dropped))
    return NormalisedName(key=" ".join(words), dropped=tuple(dropped), weak=weak)


def normalise_name(name: str) -> NormalisedName:
    """The name's key once case, accents, punctuation, 'the', legal forms, branch suffixes and
    notes are set aside (the main name, without what a dba adds)."""
    variants = name_variants(name)
    return variants[0] if variants else NormalisedName(key="", dropped=())


@lru_cache(maxsize=65536)
def _variants(name: str) -> tuple[NormalisedName, ...]:
    text = _plain(name).strip()
    if not text:
        return ()
    text = _CAMEL.sub(" ", text)
    inner: list[str] = []
    for match in _BRACKETED.finditer(text):
        content = next(group for group in match.groups() if group is not None)
        if len(content.split()) >= 2:
            inner.append(content)
    text = _BRANCH_SUFFIX.sub("", _NOTE_PREFIX.sub("", _BRACKETED.sub(" ", text)).strip())
    pieces: list[tuple[str, bool]] = []
    parts = _SEGMENT_BREAK.split(text, maxsplit=1)
    if len(parts) == 2:
        head, tail = parts
        # "Delta Electric - DO NOT USE" is Delta Electric; "Turner - Kiewit JV" is not Turner.
        note = bool(_NOTE_TAIL.match(tail)) or bool(_BRANCH_SUFFIX.match(f" {tail}"))
        pieces.append((head, not note))
        if not note:
            pieces.append((text, False))
    else:
        pieces.append((text, False))
    pieces += [(part, True) for part in inner]
    found: dict[str, NormalisedName] = {}
    for piece, weak in pieces:
        for position, part in enumerate(_split_dba(_NOTE_WORDS.sub(" ", piece))):
            # The trade name of a dba stands for the business; its owner only hints at it.
            normalised = _normalised(part, weak=weak or position > 0)
            if not normalised.key or (weak and len(normalised.key.split()) < 2):
                continue
            known = found.get(normalised.key)
            if known is None or (known.weak and not normalised.weak):
                found[normalised.key] = normalised
    return tuple(found.values())


def name_variants(name: str) -> tuple[NormalisedName, ...]:
    """Every name a text stands for: itself cleaned, and each side of a dba / t/a."""
    return _variants(name or "")


def _split_dba(text: str) -> list[str]:
    for marker in DBA_MARKERS:
        parts = marker.split(text, maxsplit=1)
        if len(parts) > 1:
            owner, trade = parts[0], parts[-1]
            return [trade, owner] if trade.strip() else [owner]
    return [text]


def damerau_distance(left: str, right: str, limit: int = 2) -> int:
    """Optimal string alignment distance, giving up (limit + 1) once it exceeds `limit`."""
    if abs(len(left) - len(right)) > limit:
        return limit + 1
    previous_previous: list[int] = []
    previous = list(range(len(right) + 1))
    for i, left_char in enumerate(left, start=1):
        current = [i] + [0] * len(right)
        for j, right_char in enumerate(right, start=1):
            cost = 0 if left_char == right_char else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and left_char == right[j - 2] and left[i - 2] == right_char:
                current[j] = min(current[j], previous_previous[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous_previous, previous = previous, current
    return previous[-1]


class NameRelation(IntEnum):
    NONE = 0
    PREFIX = 1  # one name is the other with words added ("Falcon Steel" / "... Fabricators")
    TYPO = 2  # one slip of the keyboard apart
    SAME = 3


def name_relation(left: NormalisedName, right: NormalisedName) -> NameRelation:
    if not left.key or not right.key:
        return NameRelation.NONE
    if left.key == right.key or left.compact == right.compact:
        return NameRelation.PREFIX if left.weak or right.weak else NameRelation.SAME
    if _store_number_only(left.key, right.key) or _store_number_only(right.key, left.key):
        # "Sunbelt Rentals 0457" may be a branch, or "Vision 2020" another business.
        return NameRelation.PREFIX
    if (
        min(len(left.compact), len(right.compact)) >= _MIN_TYPO_LENGTH
        and _NON_DIGITS.sub("", left.compact) == _NON_DIGITS.sub("", right.compact)
        and not _short_word_differs(left.key, right.key)
        and damerau_distance(left.compact, right.compact, limit=1) <= 1
    ):
        # A different number is a different business ("Unit 2" / "Unit 3"), and so is a
        # different short word ("Tower A" / "Tower B"): neither is a slip.
        return NameRelation.TYPO
    shorter, longer = sorted((left.key.split(), right.key.split()), key=len)
    if len(shorter) >= 2 and longer[: len(shorter)] == shorter:
        return NameRelation.PREFIX
    return NameRelation.NONE


def _short_word_differs(left: str, right: str) -> bool:
    left_words, right_words = left.split(), right.split()
    if len(left_words) != len(right_words):
        return False
    return any(
        min(len(a), len(b)) < 4 for a, b in zip(left_words, right_words, strict=True) if a != b
    )


def _store_number_only(plain: str, numbered: str) -> bool:
    """'sunbelt rentals' / 'sunbelt rentals 0457': a store number on one side only."""
    head, _, number = numbered.rpartition(" ")
    return head == plain and number.isdigit() and not any(ch.isdigit() for ch in plain)


def name_reason(ours: str, theirs: str) -> str:
    """Why two names count as the same, or "" when they do not."""
    best = _best_names(name_variants(ours), name_variants(theirs))
    if best is None or best[0] != NameRelation.SAME:
        return ""
    return _same_name_reason(ours, theirs, best[1], best[2])


def _best_names(ours, theirs):
    best = None
    for left in ours:
        for right in theirs:
            relation = name_relation(left, right)
            if relation and (best is None or relation > best[0]):
                best = (relation, left, right)
    return best


def _same_name_reason(ours: str, theirs: str, left: NormalisedName, right: NormalisedName):
    if " ".join(ours.split()) == " ".join(theirs.split()):
        return "same name"
    dropped = list(dict.fromkeys(left.dropped + right.dropped))
    if dropped:
        shown = " and ".join(f"'{_form_label(form)}'" for form in dropped)
        return f"same name ignoring {shown}"
    return "same name once spelling, punctuation and notes are set aside"


def _form_label(form: str) -> str:
    if len(form) <= 4 and " " not in form:
        return (
            form.upper()
            if form in {"llc", "lp", "llp", "plc", "pllc", "pc", "ulc"}
            else (form.capitalize())
        )
    return form


# --- tax ids and emails -----------------------------------------------------------------------


def normalise_tax_id(tax_id: str) -> str:
    """The digits of a tax id shown whole; empty for a masked or missing one."""
    text = (tax_id or "").strip()
    if not text or "x" in text.casefold() or "*" in text:
        return ""
    digits = "".join(ch for ch in text if ch.isalnum()).casefold()
    return digits if len(digits) >= _MIN_TAX_ID_DIGITS else ""


def visible_tax_digits(tax_id: str) -> str:
    """The last four digits a tax id shows, whole or masked ('XXXXXXX6789' → '6789')."""
    digits = "".join(ch for ch in (tax_id or "") if ch.isdigit())
    return digits[-4:] if len(digits) >= 4 else ""


def masked_tax_id(tax_id: str) -> str:
    """A tax id as lists show it, whatever the ERP hands over: its last four digits only
    ('93-1234567' and 'XXXXXXX4567' → '•••• 4567'); '' when there is none."""
    if not (tax_id or "").strip():
        return ""
    return f"•••• {visible_tax_digits(tax_id)}".strip()


def normalise_email(email: str) -> str:
    text = (email or "").strip().casefold()
    return text if "@" in text else ""


def company_domain(email: str) -> str:
    domain = normalise_email(email).rpartition("@")[2]
    return "" if domain in GENERIC_EMAIL_DOMAINS else domain


# --- one pair ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """What either side knows of a business."""

    names: tuple[str, ...]
    tax_id: str = ""
    email: str = ""
    city: str = ""


def company_party(company) -> Party:
    return Party(
        names=(company.name, getattr(company, "legal_name", "") or ""),
        tax_id=getattr(company, "tax_id", "") or "",
        email=getattr(company, "email", "") or "",
        city=getattr(company, "city", "") or "",
    )


def vendor_party(vendor) -> Party:
    return Party(
        names=(vendor.display_name, getattr(vendor, "company_name", "") or ""),
        tax_id=getattr(vendor, "tax_id", "") or "",
        email=getattr(vendor, "email", "") or "",
        city=getattr(vendor, "city", "") or "",
    )


@dataclass(frozen=True)
class Assessment:
    confidence: Confidence
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def assess(ours: Party, theirs: Party) -> Assessment | None:
    """Whether two parties look like one business, how sure that is, and why."""
    whole_ours, whole_theirs = normalise_tax_id(ours.tax_id), normalise_tax_id(theirs.tax_id)
    if whole_ours and whole_theirs:
        if whole_ours != whole_theirs:
            return None
        tax = "whole"
    else:
        digits_ours, digits_theirs = (
            visible_tax_digits(ours.tax_id),
            visible_tax_digits(theirs.tax_id),
        )
        if digits_ours and digits_theirs and digits_ours != digits_theirs:
            return None
        tax = "digits" if digits_ours and digits_theirs else ""
    names = _best_names(_all_variants(ours.names), _all_variants(theirs.names))
    relation = names[0] if names else NameRelation.NONE
    same_email = bool(normalise_email(ours.email)) and (
        normalise_email(ours.email) == normalise_email(theirs.email)
    )
    against = _against(ours, theirs, same_email)
    reasons = []
    if relation == NameRelation.SAME:
        reasons.append(_same_name_reason(ours.names[0], theirs.names[0], names[1], names[2]))
    elif relation == NameRelation.TYPO:
        reasons.append(f"names one letter apart ('{ours.names[0]}', '{theirs.names[0]}')")
    elif relation == NameRelation.PREFIX:
        reasons.append("one name is the other with words added")
    if tax == "whole":
        reasons.insert(0, "same tax id")
        return Assessment(Confidence.HIGH, tuple(reasons))
    if tax == "digits":
        reasons.append("same last four tax id digits")
    if same_email:
        reasons.append("same email")
    if not relation and not same_email:
        return None
    if relation == NameRelation.SAME and not against:
        return Assessment(Confidence.HIGH, tuple(reasons))
    if against and relation in (NameRelation.TYPO, NameRelation.PREFIX):
        return None
    if against:
        reasons.append(against)
    return Assessment(Confidence.MEDIUM, tuple(reasons))


def _all_variants(names: Iterable[str]) -> tuple[NormalisedName, ...]:
    found: dict[str, NormalisedName] = {}
    for name in names:
        for variant in name_variants(name):
            found.setdefault(variant.key, variant)
    return tuple(found.values())


def _against(ours: Party, theirs: Party, same_email: bool) -> str:
    """What speaks against one business, in words ('' when nothing does)."""
    if not same_email:
        left, right = company_domain(ours.email), company_domain(theirs.email)
        if left and right and left != right:
            return f"but their email domains differ ({left}, {right})"
    left_city, right_city = _city_key(ours.city), _city_key(theirs.city)
    if left_city and right_city and left_city != right_city:
        return f"but they are in different cities ({ours.city}, {theirs.city})"
    return ""


def _city_key(city: str) -> str:
    """'Portland, OR' and 'portland' are one city; 'St. Louis' and 'Saint Louis' too."""
    return " ".join(_words(_plain(city).split(",")[0]))


# --- many pairs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    vendor: object
    company: object
    reason: str
    confidence: Confidence = Confidence.HIGH
    ambiguous: bool = False

    @property
    def for_link_all(self) -> bool:
        return self.confidence == Confidence.HIGH and not self.ambiguous


class CompanyIndex:
    """Our companies by every key a vendor could meet them by; built once, looked up per vendor."""

    def __init__(self, companies: Iterable, *, party=company_party):
        self._party = party
        self._companies: dict[object, tuple[object, Party]] = {}
        self._by_key: dict[str, set] = {}
        for company in companies:
            self.add(company)

    def add(self, company) -> None:
        party = self._party(company)
        self._companies[company.pk] = (company, party)
        for key in _index_keys(party):
            self._by_key.setdefault(key, set()).add(company.pk)

    def candidates(self, party: Party) -> list[tuple[object, Party]]:
        found: set = set()
        for key in _index_keys(party, looking_up=True):
            found |= self._by_key.get(key, set())
        return [self._companies[pk] for pk in sorted(found, key=str)]

    def matches(self, vendor, *, party=vendor_party) -> list[tuple[object, Assessment]]:
        """Every plausible company for one vendor, the surest first."""
        theirs = party(vendor)
        found = []
        for company, ours in self.candidates(theirs):
            assessment = assess(ours, theirs)
            if assessment is not None:
                found.append((company, assessment))
        found.sort(key=lambda item: -item[1].confidence)
        return found


def _index_keys(party: Party, *, looking_up: bool = False) -> set[str]:
    """Keys a company is filed under, or (looking_up) keys a vendor looks its candidates up by.

    One name a word-prefix of the other: companies are filed under their full name ("f:") and
    under each shorter prefix of two words or more ("p:"); a vendor looks up its own prefixes
    as full names and its full name as a prefix, so a common first word costs nothing.
    """
    keys = set()
    for variant in _all_variants(party.names):
        compact = variant.compact
        keys.add(f"n:{compact}")
        words = variant.key.split()
        prefixes = [" ".join(words[:size]) for size in range(2, len(words))]
        if looking_up:
            keys.update(f"f:{prefix}" for prefix in prefixes)
            keys.add(f"p:{variant.key}")
        else:
            keys.update(f"p:{prefix}" for prefix in prefixes)
            keys.add(f"f:{variant.key}")
        if len(compact) >= _MIN_TYPO_LENGTH:
            # One letter left out, on either side, meets any one-letter slip; digits stay, as a
            # different number is never a slip (and a shared number prefix stays cheap).
            keys.update(
                f"d:{compact[:i]}{compact[i + 1 :]}"
                for i in range(len(compact))
                if not compact[i].isdigit()
            )
            keys.add(f"d:{compact}")
    whole = normalise_tax_id(party.tax_id)
    if whole:
        keys.add(f"t:{whole}")
    email = normalise_email(party.email)
    if email:
        keys.add(f"e:{email}")
    return keys


def suggest_matches(vendors: Iterable, companies) -> list[Suggestion]:
    """Suggestions in the vendors' order; a vendor with several plausible companies, or a company
    several vendors could be, is marked ambiguous whichever order they come in."""
    index = companies if isinstance(companies, CompanyIndex) else CompanyIndex(companies)
    per_vendor = []
    claims: dict[object, int] = {}
    for vendor in vendors:
        found = index.matches(vendor)
        if not found:
            continue
        best = found[0][1].confidence
        top = [
            (company, assessment) for company, assessment in found if assessment.confidence == best
        ]
        per_vendor.append((vendor, top, len(found) > 1))
        for company, _ in top:
            claims[company.pk] = claims.get(company.pk, 0) + 1
    suggestions = []
    for vendor, top, several in per_vendor:
        for company, assessment in top:
            ambiguous = several or claims[company.pk] > 1
            reason = assessment.reason
            if ambiguous:
                reason += "; ambiguous: more than one plausible match"
            suggestions.append(
                Suggestion(
                    vendor=vendor,
                    company=company,
                    reason=reason,
                    confidence=assessment.confidence,
                    ambiguous=ambiguous,
                )
            )
    return suggestions
