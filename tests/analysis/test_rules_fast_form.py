"""The fast form of the term regex (`digest.analysis.rules.compile_terms`) matches exactly what the plain
form matches: same spans, same matched text, on the shipped term lists and on texts built to hit
the edges (word boundaries, case, the letters re folds with ASCII, hyphens and line breaks)."""

from __future__ import annotations

import random
import re
import tomllib
from importlib import resources
from pathlib import Path

from digest.analysis.rules import compile_terms
from digest.analysis.textnorm import normalize

_SPACED = re.compile(r"[A-Za-z]")


def plain_form(terms: list[str]) -> re.Pattern[str]:
    """One `(?i:(?<![\\w])term(?![\\w]))` alternative per term, longest first: the reference."""
    parts = []
    for term in sorted({normalize(t) for t in terms if t.strip()}, key=len, reverse=True):
        body = re.escape(term).replace(r"\ ", r"[\s\-]?")
        if _SPACED.search(term):
            body = rf"(?<![\w]){body}(?![\w])"
        parts.append(body if term.isupper() else f"(?i:{body})")
    return re.compile("|".join(parts))


def term_lists() -> list[list[str]]:
    lists = []
    for name in ("relevance.toml", "topics.toml"):
        data = tomllib.loads(
            Path(str(resources.files("digest").joinpath(f"data/{name}"))).read_text("utf-8")
        )
        for table in data.values():
            if isinstance(table, dict):
                lists.extend(v for v in table.values() if isinstance(v, list) and v)
    return lists


def texts(terms: list[str], rng: random.Random) -> list[str]:
    """Each term as is, in other cases, glued to words, hyphenated, split by a line break, and with
    its first letter swapped for a letter re folds with it (İ ı ſ K)."""
    found = []
    for term in terms:
        variants = [term, term.upper(), term.lower(), term.title(), term.swapcase()]
        variants += [term.replace(" ", "-"), term.replace(" ", ""), term.replace(" ", "\n")]
        for swap in ("\u0130", "\u0131", "\u017f", "\u212a"):
            variants.append(swap + term[1:])
        for variant in variants:
            left = rng.choice(["", " ", "x", "9", "_", "(", "\n", "한", "ក", "-"])
            right = rng.choice(["", " ", "s", "9", ".", "에서", "ក", "-"])
            found.append(f"The {left}{variant}{right} and more.")
    words = [t for ts in term_lists() for t in ts]
    for _ in range(300):
        found.append(" ".join(rng.choice(words) for _ in range(rng.randint(2, 8))))
    return found


def spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in pattern.finditer(text)]


def test_fast_form_matches_the_plain_form_on_every_shipped_term_list() -> None:
    rng = random.Random(7)
    checked = 0
    for terms in term_lists():
        fast, plain = compile_terms(terms), plain_form(terms)
        assert fast is not None
        for text in texts(terms, rng):
            assert spans(fast, text) == spans(plain, text), (terms[:3], text)
            checked += 1
    assert checked > 1000


def test_fast_form_keeps_word_boundaries_case_and_folds() -> None:
    pattern = compile_terms(["Korea", "ROK", "foreign minister", "캄보디아"])
    assert pattern is not None
    assert [m.group() for m in pattern.finditer("KOREA, korea; Koreatown")] == ["KOREA", "korea"]
    assert pattern.search("rok") is None and pattern.search("ROK") is not None
    assert pattern.search("the Foreign-Minister said") is not None
    assert pattern.search("캄보디아에서") is not None
    assert pattern.search("\u212aorea") is not None  # Kelvin sign: re folds it with k
    assert pattern.search("xKorea") is None
