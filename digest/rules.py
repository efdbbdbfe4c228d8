"""Term matching for rule files: whole words in scripts with spaces, substrings in Korean and Khmer."""

from __future__ import annotations

import re
from collections.abc import Iterable

from digest.textnorm import normalize

_SPACED = re.compile(r"[A-Za-z]")


def compile_terms(terms: Iterable[str]) -> re.Pattern[str] | None:
    """One regex for a list of terms.

    Latin-script terms must stand as words (Korea ≠ Koreatown is fine, ROK ≠ rocket); Hangul and Khmer
    terms match inside words, since particles attach to Korean nouns and Khmer has no spaces.
    Terms in capitals are case-sensitive acronyms; others ignore case.
    """
    parts = []
    for term in sorted({normalize(t) for t in terms if t.strip()}, key=len, reverse=True):
        body = re.escape(term).replace(r"\ ", r"[\s\-]?")
        if _SPACED.search(term):
            body = rf"(?<![\w]){body}(?![\w])"
        parts.append(body if term.isupper() else f"(?i:{body})")
    return re.compile("|".join(parts)) if parts else None
