"""Duplicate stories: exact copies by content hash, near copies by MinHash LSH over characters.

Character n-grams, not words: Khmer has no spaces and Korean particles change word forms. LSH only
proposes candidates (with a low threshold, so rewritten wire copies are not missed); each candidate
is then checked exactly: Jaccard similarity of the two shingle sets, or containment of the shorter
text in the longer one (an outlet that runs the first half of a wire story).

LSH layout: 96 bands of 3 rows of a 288-permutation MinHash. A pair at Jaccard 0.3 (the exact
threshold) is proposed with probability 0.93, at 0.4 with 0.998 (the former 28 bands of 2 rows:
0.93 and 0.99), while an unrelated pair of the same language (Jaccard about 0.06) is proposed about
five times less often. Below 0.3, where only containment can match, recall is lower (0.54 at 0.2,
against 0.68). The bands live in `digest.bands.BandIndex` (numpy arrays, 12 bytes per band).

Each candidate is screened on the MinHash signatures kept in memory: the Jaccard an exact match
needs (the Jaccard threshold, or for a long enough pair the Jaccard that the containment threshold
implies at the two sizes) less three standard errors of the estimate, first on the last 64 signature
columns, then on all of them. Only the survivors' texts are fetched (`texts`, e.g. from the
database) and shingled for the exact check, so the index keeps per article a signature and a
shingle count, never the text.

Shingles are hashed to 64 bits with numpy (a polynomial over the code points of each window, then
mixed), and folded to 32 bits for datasketch's MinHash.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import MinHash

from digest.bands import BandIndex, fmix64

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
MIN_CHARS = 80  # below this a text is too short to call a near-duplicate
KEEP_CHARS = 6000  # how much of each text the comparison reads
Z = 3.0  # standard errors below the needed Jaccard a MinHash estimate may fall and still be checked
SCREEN_COLUMNS = 64  # signature columns of the first, cheap screening pass
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd: a bijection of each window's last code point

# What `texts` returns: the text of each indexed article asked for (headline and body, as indexed).
TextLookup = Callable[[list[int]], Mapping[int, str]]


@dataclass(frozen=True)
class DedupeSettings:
    """Thresholds for calling two texts the same story (see module docstring)."""

    k: int = 5
    num_perm: int = 288
    bands: int = 96  # LSH layout: bands x rows of the signature (module docstring)
    rows: int = 3
    jaccard: float = 0.3
    containment: float = 0.6
    min_shingles: int = 150  # containment is only trusted when the shorter text is this long


def _letters(text: str) -> str:
    """Lower-cased letters and digits only: punctuation and spacing differ between copies.

    NFC so that composed and decomposed Hangul or accents compare equal; zero-width characters
    (Khmer word breaks) and spaces are non-word characters, removed with the rest."""
    return _NON_WORD.sub("", unicodedata.normalize("NFC", text).lower())


def content_hash(text: str) -> str:
    return hashlib.sha256(_letters(text).encode("utf-8")).hexdigest()


def shingle_set(text: str, k: int = 5) -> set[str]:
    letters = _letters(text)
    return {letters[i : i + k] for i in range(max(1, len(letters) - k + 1))}


def similarity(a: set[str], b: set[str]) -> tuple[float, float]:
    """(Jaccard, containment of the smaller set in the larger)."""
    if not a or not b:
        return 0.0, 0.0
    common = len(a & b)
    return common / len(a | b), common / min(len(a), len(b))


def shingle_hashes(text: str, k: int = 5) -> np.ndarray:
    """The shingles of `text` (as `shingle_set` cuts them) as sorted, distinct 64-bit hashes."""
    return _hashes(_letters(text), k)


def _hashes(letters: str, k: int) -> np.ndarray:
    codes = np.frombuffer(letters.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    windows = max(1, len(codes) - k + 1)
    hashes = np.zeros(windows, dtype=np.uint64)
    for j in range(min(k, len(codes))):
        hashes = hashes * _MULTIPLIER + codes[j : j + windows]  # wraps modulo 2**64
    # The high bits of a polynomial over small code points are nearly linear in them: mixed, or
    # MinHash estimates come out biased (by +0.025 to +0.08 in a trial on the synthetic texts).
    hashes = fmix64(hashes)
    hashes.sort()  # then distinct values: cheaper than np.unique for a few thousand
    return hashes[np.concatenate(([True], hashes[1:] != hashes[:-1]))]


def hashed_similarity(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """`similarity` of two `shingle_hashes` arrays."""
    if not len(a) or not len(b):
        return 0.0, 0.0
    common = len(np.intersect1d(a, b, assume_unique=True))
    return common / (len(a) + len(b) - common), common / min(len(a), len(b))


@lru_cache(maxsize=4)
def _permutations(num_perm: int) -> np.ndarray:
    """datasketch's permutations for its default seed, made once rather than per MinHash."""
    return MinHash(num_perm=num_perm, scheme="affine32").permutations


def _minhash_of(hashes: np.ndarray, num_perm: int) -> MinHash:
    m = MinHash(
        num_perm=num_perm, hashfunc=int, permutations=_permutations(num_perm), scheme="affine32"
    )
    m.update_batch(((hashes >> np.uint64(32)) ^ hashes).astype(np.uint32).tolist())
    return m


def minhash(text: str, k: int = 5, num_perm: int = 256) -> MinHash:
    return _minhash_of(shingle_hashes(text, k), num_perm)


class Deduper:
    """An LSH index of recent articles; `match` finds the cluster a new text belongs to.

    `texts` fetches indexed articles' texts for the exact check; without it the index keeps each
    text itself (fine for a few hundred, as in tests)."""

    def __init__(self, settings: DedupeSettings | None = None, texts: TextLookup | None = None):
        self.settings = settings or DedupeSettings()
        s = self.settings
        if s.bands * s.rows > s.num_perm or SCREEN_COLUMNS > s.num_perm:
            raise ValueError(f"{s.num_perm} permutations: too few for the bands or screening")
        self.index = BandIndex(s.bands, s.rows)
        self.cluster_of: dict[int, int] = {}
        self._kept: dict[int, str] | None = None if texts else {}
        self._texts = texts or self._kept_texts
        # Indexed articles by row (the LSH key): article id, MinHash signature, number of shingles;
        # the screening columns (those after the bands) also in their own contiguous array.
        self._row: dict[int, int] = {}
        self._ids = np.zeros(0, dtype=np.int64)
        self._signatures = np.zeros((0, s.num_perm), dtype=np.uint32)
        self._screen = np.zeros((0, SCREEN_COLUMNS), dtype=np.uint32)
        self._sizes = np.zeros(0, dtype=np.int64)
        self._last: tuple[str, np.ndarray, MinHash | None] | None = None  # `match`, `add`: once

    def __len__(self) -> int:
        return len(self._row)

    def _kept_texts(self, ids: list[int]) -> Mapping[int, str]:
        assert self._kept is not None  # not an assert of input: only set up without `texts`
        return {i: self._kept[i] for i in ids}

    def _sketch(self, text: str) -> tuple[np.ndarray, MinHash | None]:
        """Shingle hashes and MinHash of `text` (None for a text too short to index)."""
        text = text[:KEEP_CHARS]
        if self._last is None or self._last[0] != text:
            letters = _letters(text)
            hashes = _hashes(letters, self.settings.k)
            m = None if len(letters) < MIN_CHARS else _minhash_of(hashes, self.settings.num_perm)
            self._last = (text, hashes, m)
        return self._last[1], self._last[2]

    def add(self, article_id: int, cluster_id: int, text: str) -> None:
        self.cluster_of[article_id] = cluster_id
        if article_id in self._row:
            return
        hashes, m = self._sketch(text)
        if m is None:
            return
        row = len(self._row)
        if row == len(self._sizes):  # grow by half: amortised appends
            self._grow(max(64, row // 2))
        self.index.insert(row, m.hashvalues)
        if self._kept is not None:
            self._kept[article_id] = text[:KEEP_CHARS]
        start = self.settings.num_perm - SCREEN_COLUMNS
        self._signatures[row] = m.hashvalues
        self._screen[row] = m.hashvalues[start : start + SCREEN_COLUMNS]
        self._sizes[row] = len(hashes)
        self._ids[row] = article_id
        self._row[article_id] = row

    def _grow(self, extra: int) -> None:
        def more(array: np.ndarray) -> np.ndarray:
            return np.concatenate([array, np.zeros((extra, *array.shape[1:]), dtype=array.dtype)])

        self._signatures = more(self._signatures)
        self._screen = more(self._screen)
        self._sizes = more(self._sizes)
        self._ids = more(self._ids)

    def match(self, text: str, texts: TextLookup | None = None) -> int | None:
        """The cluster of the most similar indexed article that passes the exact check, or None."""
        found = self.best_match(text, texts)
        return self.cluster_of[found[0]] if found else None

    def _needed(self, sizes: np.ndarray, size: int) -> np.ndarray:
        """The least Jaccard at which an exact match is possible, per candidate size: the Jaccard
        threshold, or for a long enough pair the Jaccard of containment at the threshold."""
        s = self.settings
        small, large = np.minimum(sizes, size), np.maximum(sizes, size)
        common = s.containment * small
        contained = common / np.maximum(small + large - common, 1)
        return np.where(small >= s.min_shingles, np.minimum(s.jaccard, contained), s.jaccard)

    def _plausible(self, rows: np.ndarray, m: MinHash, size: int) -> np.ndarray:
        """The candidate rows whose signatures do not rule out a match (module docstring)."""
        start = self.settings.num_perm - SCREEN_COLUMNS
        mine = m.hashvalues.astype(np.uint32)
        needed = self._needed(self._sizes[rows], size)
        for columns, signatures in (
            (mine[start : start + SCREEN_COLUMNS], self._screen),
            (mine, self._signatures),
        ):
            estimate = (signatures[rows] == columns).mean(axis=1)
            keep = estimate >= needed - Z * np.sqrt(needed * (1 - needed) / len(columns))
            rows, needed = rows[keep], needed[keep]
            if not len(rows):
                break
        return rows

    def best_match(
        self, text: str, texts: TextLookup | None = None
    ) -> tuple[int, float, float] | None:
        """(article id, Jaccard, containment) of the closest duplicate of `text`, or None.

        `texts` fetches the candidates' texts (default: the lookup the index was made with)."""
        s = self.settings
        mine, m = self._sketch(text)
        if m is None:
            return None
        rows = self.index.query(m.hashvalues)
        if not len(rows):
            return None
        ids = [int(i) for i in self._ids[self._plausible(rows, m, len(mine))]]
        best: tuple[int, float, float] | None = None
        for key, other_text in (texts or self._texts)(ids).items() if ids else ():
            other = shingle_hashes(other_text[:KEEP_CHARS], s.k)
            jac, contained = hashed_similarity(mine, other)
            long_enough = min(len(mine), len(other)) >= s.min_shingles
            if jac >= s.jaccard or (long_enough and contained >= s.containment):
                if best is None or (jac, -key) > (best[1], -best[0]):
                    best = (key, jac, contained)
        return best
