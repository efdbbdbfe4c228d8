"""Term matching for rule files: whole words in scripts with spaces, substrings in Korean and Khmer;
and the zones (title, lead, body sentences) that relevance and topics both match terms in."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate

from digest.analysis.textnorm import normalize

_SPACED = re.compile(r"[A-Za-z]")
# Letters that case-insensitive matching pairs with ASCII letters besides their own two cases
# (Python's re documents these four: İ ı ſ K).
_ASCII_FOLDS = "\u0130\u0131\u017f\u212a"


def compile_terms(terms: Iterable[str]) -> re.Pattern[str] | None:
    """One regex for a list of terms.

    Latin-script terms must stand as words (Korea ≠ Koreatown is fine, ROK ≠ rocket); Hangul and Khmer
    terms match inside words, since particles attach to Korean nouns and Khmer has no spaces.
    Terms in capitals are case-sensitive acronyms; others ignore case.

    Each alternative starts with a plain character (one alternative per case of the first
    letter), so the regex engine skips at once the positions where no term can start, instead of
    trying every term at every character: several times faster on long texts, same matches.
    """
    parts = []
    for term in sorted({normalize(t) for t in terms if t.strip()}, key=len, reverse=True):
        parts.extend(_alternatives(term))
    return re.compile("|".join(parts)) if parts else None


def _alternatives(term: str) -> list[str]:
    """Alternatives matching exactly what `(?i:(?<![\\w])term(?![\\w]))` (or its case-sensitive,
    or non-word form) matches, each beginning with a literal first character."""
    spaced = bool(_SPACED.search(term))
    ignore_case = not term.isupper()
    first, rest = term[0], re.escape(term[1:]).replace(r"\ ", r"[\s\-]?")
    if ignore_case:
        if not first.isascii() and first.lower() != first.upper():
            return [_plain(term, spaced, ignore_case)]  # a cased non-ASCII first letter: as is
        pattern = re.compile(f"(?i:{re.escape(first)})")
        candidates = {first, first.lower(), first.upper(), *_ASCII_FOLDS}
        firsts = sorted(c for c in candidates if len(c) == 1 and pattern.fullmatch(c))
        rest = f"(?i:{rest})"
    else:
        firsts = [first]
    # After the first character, "not preceded by a word character" looks two characters back.
    guard = r"(?s:(?<![\w].))" if spaced else ""
    tail = r"(?![\w])" if spaced else ""
    return [f"{re.escape(c)}{guard}{rest}{tail}" for c in firsts]


def _plain(term: str, spaced: bool, ignore_case: bool) -> str:
    body = re.escape(term).replace(r"\ ", r"[\s\-]?")
    if spaced:
        body = rf"(?<![\w]){body}(?![\w])"
    return f"(?i:{body})" if ignore_case else body


# Letters that ignore-case matching pairs with an ASCII letter but whose `str.lower` is not that
# letter's: a text holding one of them is not screened by `term_keys` (ſ matches s, ı and İ match i).
UNSCREENED = "\u0130\u0131\u017f"


def term_keys(terms: Iterable[str]) -> tuple[str, ...] | None:
    """One lowercase word of each term, which every match of `compile_terms(terms)` contains, so
    a text whose `str.lower()` holds none of them (and none of UNSCREENED) cannot match: a
    substring test is much cheaper than the regex. None when a term has no usable word (one
    with a cased letter outside ASCII, whose ignore-case matches `str.lower` does not mirror)."""
    keys = set()
    for term in {normalize(t) for t in terms if t.strip()}:
        word = max(term.split(" "), key=len)
        if not all(c.isascii() or c.lower() == c == c.upper() for c in word):
            return None
        keys.add(word.lower())
    return tuple(sorted(keys)) or None


LEAD_CHARS = 400  # without a lead of its own, the opening sentences up to this many characters
_SENTENCE = re.compile(r"(?<=[.!?។៕])\s+|\n+|(?<=다\.)")


def sentences(text: str) -> list[str]:
    """Sentences of a text in any of the three languages (deduplicated: captions repeat)."""
    seen: set[str] = set()
    found = []
    for part in _SENTENCE.split(text):
        part = part.strip()
        if part and part not in seen:
            seen.add(part)
            found.append(part)
    return found


Zones = dict[str, list[str]]  # "title", "lead", "body": the zone's sentences
JOINER = "\x00"  # joins sentences for one regex pass: in no term, and not a word character


def split_zones(title: str, text: str, lead: str = "") -> Zones:
    """An article's sentences by zone; without a lead of its own, the opening sentences are the
    lead. Relevance and topics read the same zones: split once, pass to both."""
    text, lead = normalize(text), normalize(lead)
    parts = sentences(text)
    if not lead:
        lead_parts: list[str] = []
        while parts and sum(len(p) for p in lead_parts) < LEAD_CHARS:
            lead_parts.append(parts.pop(0))
    else:
        lead_parts = sentences(lead)
    return {"title": sentences(normalize(title)), "lead": lead_parts, "body": parts}


@dataclass(frozen=True)
class Joined:
    """Sentences joined by JOINER for one regex pass over all of them (see `matches`)."""

    parts: list[str]
    text: str | None  # None when a sentence itself contains JOINER
    starts: list[int]  # where each sentence starts in `text`


def join(parts: list[str]) -> Joined:
    text = JOINER.join(parts)
    if text.count(JOINER) != max(0, len(parts) - 1):
        return Joined(parts, None, [])
    return Joined(parts, text, list(accumulate((len(p) + 1 for p in parts[:-1]), initial=0)))


def matches(joined: Joined, pattern: re.Pattern[str]) -> list[tuple[int, int, int, str]]:
    """(sentence index, start, end, text) of each match of `pattern` in each sentence, the
    positions within the sentence.

    Runs once over the sentences joined by JOINER rather than once per sentence: the same matches
    for patterns of terms (`digest.analysis.rules.compile_terms`), which never span a JOINER and see it
    as they see a sentence edge, as a non-word character."""
    if joined.text is None:
        return [
            (i, m.start(), m.end(), m.group())
            for i, part in enumerate(joined.parts)
            for m in pattern.finditer(part)
        ]
    starts = joined.starts
    found = []
    for m in pattern.finditer(joined.text):
        start = m.start()
        index = bisect_right(starts, start) - 1
        offset = starts[index]
        found.append((index, start - offset, m.end() - offset, m.group()))
    return found
