"""Term matching for rule files: whole words in scripts with spaces, substrings in Korean and Khmer."""

from __future__ import annotations

import re
from collections.abc import Iterable

from digest.textnorm import normalize

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
