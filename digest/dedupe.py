"""Duplicate stories: exact copies by content hash, near copies by MinHash LSH over characters.

Character n-grams, not words: Khmer has no spaces and Korean particles change word forms. LSH only
proposes candidates (with a low threshold, so rewritten wire copies are not missed); each candidate
is then checked exactly: Jaccard similarity of the two shingle sets, or containment of the shorter
text in the longer one (an outlet that runs the first half of a wire story).

The low LSH threshold proposes many unrelated articles once the index holds thousands; each candidate
is first screened on the MinHash signatures already computed (estimated Jaccard and containment,
with a wide margin), so only plausible ones pay for the exact check. Shingles are hashed with CRC-32
(C speed, deterministic across processes) rather than datasketch's default SHA-1.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import MinHash, MinHashLSH

from digest.textnorm import normalize

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
MIN_CHARS = 80  # below this a text is too short to call a near-duplicate
KEEP_CHARS = 6000  # how much of each indexed text is kept for the exact check
# How far below a threshold a MinHash estimate may fall and still get the exact check: two standard
# errors or more with 128 permutations (0.04 at Jaccard 0.3), so a true match is seldom screened out,
# while the upper tail of unrelated articles (estimates near 0.2 among thousands) is.
JACCARD_MARGIN = 0.08
CONTAINMENT_MARGIN = 0.2


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
    return _shingles(_letters(text), k)


def _shingles(letters: str, k: int) -> set[str]:
    return {letters[i : i + k] for i in range(max(1, len(letters) - k + 1))}


@lru_cache(maxsize=4)
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's permutations for its default seed, made once rather than per MinHash."""
    return MinHash(num_perm=num_perm, scheme="affine32").permutations


def _minhash_of(shingles: set[str], num_perm: int) -> MinHash:
    m = MinHash(
        num_perm=num_perm,
        hashfunc=zlib.crc32,
        permutations=_permutations(num_perm),
        scheme="affine32",
    )
    m.update_batch([s.encode("utf-8") for s in shingles])
    return m


def minhash(text: str, k: int = 5, num_perm: int = 128) -> MinHash:
    return _minhash_of(shingle_set(text, k), num_perm)


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
        # Indexed articles by row (the LSH key): article id, MinHash signature, number of shingles.
        self._row: dict[int, int] = {}
        self._ids = np.zeros(0, dtype=np.int64)
        self._signatures = np.zeros((0, s.num_perm), dtype=np.uint32)
        self._sizes = np.zeros(0, dtype=np.int64)
        self._last: tuple[str, set[str], MinHash | None] | None = None  # `match`, `add`: one sketch

    def _sketch(self, text: str) -> tuple[set[str], MinHash | None]:
        """Shingles and MinHash of `text` (None for a text too short to index)."""
        if self._last is None or self._last[0] != text:
            letters = _letters(text)
            shingles = _shingles(letters, self.settings.k)
            short = len(letters) < MIN_CHARS
            m = None if short else _minhash_of(shingles, self.settings.num_perm)
            self._last = (text, shingles, m)
        return self._last[1], self._last[2]

    def add(self, article_id: int, cluster_id: int, text: str) -> None:
        self.cluster_of[article_id] = cluster_id
        if article_id in self._row:
            return
        text = text[:KEEP_CHARS]
        shingles, m = self._sketch(text)
        if m is None:
            return
        row = len(self._row)
        if row == len(self._sizes):  # grow by half: amortised appends
            extra = max(64, row // 2)
            self._signatures = np.vstack(
                [self._signatures, np.zeros((extra, self.settings.num_perm), dtype=np.uint32)]
            )
            self._sizes = np.concatenate([self._sizes, np.zeros(extra, dtype=np.int64)])
            self._ids = np.concatenate([self._ids, np.zeros(extra, dtype=np.int64)])
        self.lsh.insert(row, m)
        self.texts[article_id] = text
        self._signatures[row] = m.hashvalues
        self._sizes[row] = len(shingles)
        self._ids[row] = article_id
        self._row[article_id] = row

    def match(self, text: str) -> int | None:
        """The cluster of the most similar indexed article that passes the exact check, or None."""
        found = self.best_match(text)
        return self.cluster_of[found[0]] if found else None

    def _plausible(self, rows: np.ndarray, m: MinHash, size: int) -> list[int]:
        """Ids of the candidate rows whose signatures do not rule out a match (module docstring)."""
        s = self.settings
        jaccard = (self._signatures[rows] == m.hashvalues.astype(np.uint32)).mean(axis=1)
        sizes = self._sizes[rows]
        # |A ∩ B| = J (|A| + |B|) / (1 + J); containment divides it by the smaller set.
        contained = (
            jaccard * (sizes + size) / ((1 + jaccard) * np.maximum(np.minimum(sizes, size), 1))
        )
        keep = (jaccard >= s.jaccard - JACCARD_MARGIN) | (
            (np.minimum(sizes, size) >= s.min_shingles)
            & (contained >= s.containment - CONTAINMENT_MARGIN)
        )
        return [int(i) for i in self._ids[rows[keep]]]

    def best_match(self, text: str) -> tuple[int, float, float] | None:
        """(article id, Jaccard, containment) of the closest duplicate of `text`, or None."""
        s = self.settings
        text = text[:KEEP_CHARS]
        mine, m = self._sketch(text)
        if m is None:
            return None
        candidates = self.lsh.query(m)
        rows = np.fromiter(candidates, dtype=np.int64, count=len(candidates))
        best: tuple[int, float, float] | None = None
        for key in self._plausible(rows, m, len(mine)) if len(rows) else []:
            other = shingle_set(self.texts[key], s.k)
            jac, contained = similarity(mine, other)
            long_enough = min(len(mine), len(other)) >= s.min_shingles
            if jac >= s.jaccard or (long_enough and contained >= s.containment):
                if best is None or (jac, -key) > (best[1], -best[0]):
                    best = (key, jac, contained)
        return best
