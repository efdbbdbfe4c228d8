"""The figures a story quotes, read the same way in English, Korean and Khmer.

A translated story (a Yonhap Korean original and its English version) shares almost no characters
with its original, but it quotes the same amounts and counts in the same order: "$60 million" and
"6천만 달러", "200,000" and "20만", "50,970" and "5만 970명", "៣០.០០០" and "30,000". These are the
language-independent trace `digest.analysis.dedupe` links translations by.

Only figures that identify a story count: 100 and more (days, ages and percentages are shared by
unrelated stories), and not a bare year.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta

from digest.analysis.dates import fold_digits

MIN_FIGURE = 100
_SCALE = {
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "trillion": 1e12,
    "ពាន់": 1e3,
    "ម៉ឺន": 1e4,
    "សែន": 1e5,
    "លាន": 1e6,
    "ប៊ីលាន": 1e9,
    "ពាន់លាន": 1e9,  # a thousand millions
}
_KO_UNIT = {"천": 1e3, "만": 1e4, "억": 1e8, "조": 1e12}
_NUMBER = r"\d+(?:,\d{3})*(?:\.\d+)?"
# A run of Korean number parts (4천700만, 5만 970, 1조3700억) or one number with an optional scale.
_FIGURE = re.compile(
    rf"(?<![A-Za-z0-9.,])(?P<ko>(?:{_NUMBER}\s*[천만억조]+\s*)+(?:{_NUMBER}(?![\d.,]))?)"
    rf"|(?<![A-Za-z0-9.,])(?P<num>{_NUMBER})(?![\d])"
    rf"(?:\s*(?P<scale>{'|'.join(sorted(_SCALE, key=len, reverse=True))})(?![A-Za-z]))?",
    re.IGNORECASE,
)
_KO_PART = re.compile(rf"({_NUMBER})?\s*([천만억조])?")
_KHMER_THOUSANDS = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{3})+(?![\d.])")


def figures(text: str, lang: str = "") -> list[float]:
    """The story's figures (see module docstring), in the order the text gives them."""
    folded = fold_digits(text)
    if lang == "km":  # Khmer writes thousands with dots: ៣០.០០០ = 30,000
        folded = _KHMER_THOUSANDS.sub(lambda m: m.group().replace(".", ","), folded)
    found = []
    for match in _FIGURE.finditer(folded):
        if match.group("ko"):
            value = _korean_value(match.group("ko"))
            plain = False
        else:
            raw = match.group("num")
            scale = (match.group("scale") or "").lower()
            value = float(raw.replace(",", "")) * _SCALE.get(scale, 1.0)
            plain = not scale and "," not in raw and "." not in raw
        if value < MIN_FIGURE or (plain and (1900 <= value <= 2100 or value >= 1e9)):
            continue  # a bare year, or a long digit string (an id, a phone number)
        found.append(round(value, 2))
    return found


def _korean_value(text: str) -> float:
    """4천700만 → 47,000,000; 6천만 → 60,000,000; 5만 970 → 50,970; 1조3700억 → 1.37e12."""
    total = section = 0.0
    for number, unit in _KO_PART.findall(text):
        value = float(number.replace(",", "")) if number else 0.0
        if unit == "천":
            section += (value or 1.0) * 1e3
        elif unit:
            total += (section + value) * _KO_UNIT[unit]
            section = 0.0
        else:
            section += value
    return total + section


def same_figures(
    a: list[float], b: list[float], *, least: int = 4, share: float = 0.6, of_larger: bool = False
) -> bool:
    """Whether two stories quote the same figures in the same order: at least `least` in common,
    `share` of the smaller story's figures (of the larger's, with `of_larger`: two reports of one
    event share the headline figures but each adds its own), and mostly in one order (longest
    common subsequence)."""
    first_a = list(dict.fromkeys(a))
    first_b = list(dict.fromkeys(b))
    common = set(first_a) & set(first_b)
    sizes = (len(first_a), len(first_b))
    if len(common) < least or len(common) < share * (max(sizes) if of_larger else min(sizes)):
        return False
    order_a = [x for x in first_a if x in common]
    order_b = [x for x in first_b if x in common]
    return _lcs(order_a, order_b) >= share * len(common)


def _lcs(a: list[float], b: list[float]) -> int:
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


TRANSLATION_DAYS = 3  # a translation appears within days of its original


class FigureIndex:
    """Recent stories by the figures they quote, to find a story's translation.

    Only links stories in different languages (the character comparison finds same-language
    copies) and, when both dates are known, published within `TRANSLATION_DAYS`. A story that
    quotes fewer than `least` figures is not indexed: too little to tell a translation from
    another report of the same event. Takes each story's `figures`, which the caller reads once
    with the rest of what it indexes of the text."""

    def __init__(self, least: int = 4, share: float = 0.6) -> None:
        self.least, self.share = least, share
        self._stories: dict[int, tuple[str, list[float], datetime | None]] = {}
        self._by_figure: dict[float, set[int]] = {}

    def add(
        self, key: int, found: list[float], lang: str, published: datetime | None = None
    ) -> None:
        if key in self._stories or len(set(found)) < self.least:
            return
        self._stories[key] = (lang, found, published)
        for value in set(found):
            self._by_figure.setdefault(value, set()).add(key)

    def match(self, found: list[float], lang: str, published: datetime | None = None) -> int | None:
        """The indexed story in another language quoting the same `found` figures in the same
        order."""
        if len(set(found)) < self.least:
            return None
        shared = Counter(k for value in set(found) for k in self._by_figure.get(value, ()))
        best: tuple[int, int] | None = None  # (figures in common, -key)
        for key, common in shared.items():
            other_lang, other, when = self._stories[key]
            if common < self.least or other_lang == lang:
                continue
            if published and when and abs(published - when) > timedelta(days=TRANSLATION_DAYS):
                continue
            if same_figures(found, other, least=self.least, share=self.share, of_larger=True):
                if best is None or (common, -key) > best:
                    best = (common, -key)
        return -best[1] if best else None
