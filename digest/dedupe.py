"""Duplicate stories: exact copies by content hash, near copies by MinHash LSH over characters.

Character n-grams, not words: Khmer has no spaces and Korean particles change word forms. LSH only
proposes candidates (with a low threshold, so rewritten wire copies are not missed); each candidate
is then checked exactly: Jaccard similarity of the two shingle sets, or containment of the shorter
text in the longer one (an outlet that runs the first half of a wire story).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

from digest.textnorm import normalize

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
MIN_CHARS = 80  # below this a text is too short to call a near-duplicate
KEEP_CHARS = 6000  # how much of each indexed text is kept for the exact check


@dataclass(frozen=True)
class DedupeSettings:
    """Thresholds for calling two texts the same story (see module docstring)."""

    k: int = 5
    num_perm: int = 128
    candidate_threshold: float = 0.2
    jaccard: float = 0.3
    containment: float = 0.6
    min_shingles: int = 150  # containment is only trusted when the shorter text is this long


def _letters(text: str) -> str:
    """Lower-cased letters and digits only: punctuation and spacing differ between copies."""
    return _NON_WORD.sub("", normalize(text).lower())


def content_hash(text: str) -> str:
    return hashlib.sha256(_letters(text).encode("utf-8")).hexdigest()


def shingle_set(text: str, k: int = 5) -> set[str]:
    letters = _letters(text)
    return {letters[i : i + k] for i in range(max(1, len(letters) - k + 1))}


def minhash(text: str, k: int = 5, num_perm: int = 128) -> MinHash:
    m = MinHash(num_perm=num_perm)
    m.update_batch([s.encode("utf-8") for s in shingle_set(text, k)])
    return m


def similarity(a: set[str], b: set[str]) -> tuple[float, float]:
    """(Jaccard, containment of the smaller set in the larger)."""
    if not a or not b:
        return 0.0, 0.0
    common = len(a & b)
    return common / len(a | b), common / min(len(a), len(b))


class Deduper:
    """An LSH index of recent articles; `match` finds the cluster a new text belongs to."""

    def __init__(self, settings: DedupeSettings | None = None) -> None:
        self.settings = settings or DedupeSettings()
        s = self.settings
        self.lsh = MinHashLSH(threshold=s.candidate_threshold, num_perm=s.num_perm)
        self.cluster_of: dict[int, int] = {}
        self.texts: dict[int, str] = {}

    def add(self, article_id: int, cluster_id: int, text: str) -> None:
        self.cluster_of[article_id] = cluster_id
        text = text[:KEEP_CHARS]
        if len(_letters(text)) >= MIN_CHARS and str(article_id) not in self.lsh:
            self.lsh.insert(str(article_id), minhash(text, self.settings.k, self.settings.num_perm))
            self.texts[article_id] = text

    def match(self, text: str) -> int | None:
        """The cluster of the most similar indexed article that passes the exact check, or None."""
        found = self.best_match(text)
        return self.cluster_of[found[0]] if found else None

    def best_match(self, text: str) -> tuple[int, float, float] | None:
        """(article id, Jaccard, containment) of the closest duplicate of `text`, or None."""
        s = self.settings
        text = text[:KEEP_CHARS]
        if len(_letters(text)) < MIN_CHARS:
            return None
        mine = shingle_set(text, s.k)
        best: tuple[int, float, float] | None = None
        for key in self.lsh.query(minhash(text, s.k, s.num_perm)):
            other = shingle_set(self.texts[int(key)], s.k)
            jac, contained = similarity(mine, other)
            long_enough = min(len(mine), len(other)) >= s.min_shingles
            if jac >= s.jaccard or (long_enough and contained >= s.containment):
                if best is None or (jac, -int(key)) > (best[1], -best[0]):
                    best = (int(key), jac, contained)
        return best
