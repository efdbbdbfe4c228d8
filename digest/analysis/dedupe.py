"""Duplicate stories: exact copies by content hash, near copies by MinHash LSH over characters.

Character n-grams, not words: Khmer has no spaces and Korean particles change word forms. LSH
(datasketch's `MinHashLSH`) only proposes candidates, with a low threshold so rewritten wire copies
are not missed; each candidate is then checked exactly: Jaccard similarity of the two shingle sets,
or containment of the shorter text in the longer one (an outlet that runs the first half of a wire
story).

Shingles are 8 characters of the letters (punctuation and spacing removed): long enough that
unrelated articles in one language share few of them (Jaccard 0.010 on average between such pages of
the labelled corpus, 0.037 with 5 characters), while copies keep theirs, since an edit only changes
the shingles around it (the corpus's wire copies and press releases: 0.36 to 0.43, against 0.41 to
0.47 with 5). Fewer unrelated articles then share a band with a new one, so the candidates stay few
as the index grows.

Candidates are screened on the MinHash signatures kept in memory (estimated Jaccard, and the
containment it implies at the two sizes, each with a margin), first on the last 64 signature
columns (not used by the bands, so unbiased), then on all of them. Only the survivors' texts are
fetched (`texts`, e.g. from the database) for the exact check, so the index keeps per article a
signature, a shingle count and its LSH entries, never the text. Shingles are hashed in numpy, all
windows of a text at once (deterministic across processes), and given to datasketch's MinHash as
one array.

Translations share no characters with their original; when the caller gives languages (and dates),
a story in another language that quotes the same figures in the same order joins the original's
cluster (`digest.analysis.figures`).
"""

from __future__ import annotations

import hashlib
import re
import sys
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import numpy as np
import regex
from datasketch import MinHash, MinHashLSH

from digest.analysis.figures import FigureIndex, figures

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
# Combining marks are part of a word, though not `\w` to Python: Khmer vowel signs and the coeng
# that stacks consonants (ការ is not ករ), Hangul and other scripts' diacritics.
_MARK = regex.compile(r"\p{M}")
MIN_CHARS = 80  # below this a text is too short to call a near-duplicate
KEEP_CHARS = 6000  # how much of each text the comparison reads
SHINGLE_CHARS = 8  # shingle length (module docstring)
# How far below a threshold a MinHash estimate may fall and still get the exact check: two standard
# errors or more with 128 permutations (0.04 at Jaccard 0.3), so a true match is seldom screened out,
# while the upper tail of unrelated articles (estimates near 0.2 among thousands) is.
JACCARD_MARGIN = 0.08
CONTAINMENT_MARGIN = 0.2
SCREEN_COLUMNS = 64  # signature columns of the first, cheap screening pass
_BASE = np.uint64(0x9E3779B97F4A7C15)  # of the shingle hash: odd, bits well mixed

# What `texts` returns: the text of each indexed article asked for (headline and body, as indexed).
TextLookup = Callable[[list[int]], Mapping[int, str]]


@dataclass(frozen=True)
class DedupeSettings:
    """Thresholds for calling two texts the same story (see module docstring)."""

    k: int = SHINGLE_CHARS
    num_perm: int = 128
    bands: int = 28  # LSH layout: bands x rows of the signature; 0.93 at Jaccard 0.3
    rows: int = 2
    jaccard: float = 0.3
    containment: float = 0.6
    min_shingles: int = 150  # containment is only trusted when the shorter text is this long


def _letters(text: str) -> str:
    """Lower-cased letters, digits and their combining marks only: punctuation and spacing
    differ between copies.

    NFC so that composed and decomposed Hangul or accents compare equal; zero-width characters
    (Khmer word breaks) and spaces are non-word characters, removed with the rest."""
    return _letter_points(text).tobytes().decode("utf-32-le")


def _letter_points(text: str) -> np.ndarray:
    """`_letters` as code points: a table lookup in numpy rather than a regex pass over the text.

    "surrogatepass": a lone surrogate (from a badly decoded page) is dropped like any non-letter
    instead of failing the encoding."""
    lowered = unicodedata.normalize("NFC", text).lower()
    points = np.frombuffer(lowered.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return points[_is_letter()[points]]


@lru_cache(maxsize=1)
def _is_letter() -> np.ndarray:
    """For each code point, whether it is a letter, a digit or a combining mark: made from the
    regexes themselves (once), so the table is exactly what they say."""
    every = np.arange(sys.maxunicode + 1, dtype=np.uint32).tobytes()  # no str object per character
    text = every.decode("utf-32-le", "surrogatepass")
    table = np.zeros(sys.maxunicode + 1, dtype=bool)
    for kept in (_NON_WORD.sub("", text), "".join(_MARK.findall(text))):
        table[np.frombuffer(kept.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)] = True
    return table


def content_hash(text: str) -> str:
    return hashlib.sha256(_letters(text).encode("utf-8")).hexdigest()


def shingle_hashes(text: str, k: int = SHINGLE_CHARS) -> np.ndarray:
    """The distinct k-character shingles of `text`'s letters, as sorted 64-bit hashes."""
    return _shingle_hashes(_letter_points(text), k)


def _shingle_hashes(letters: np.ndarray, k: int) -> np.ndarray:
    """A polynomial hash of every window of k code points, all windows at once in numpy.

    A set of substrings hashed one by one in Python cost more than the MinHash itself. The base
    is odd, so no bit is lost, and MurmurHash3's finalizer spreads the last characters (which
    only reach the low bits of the sum) over all 64; with 64 bits a collision among an article's
    few thousand shingles has a chance of about 1e-12, so sets compared by hash are compared
    exactly for all purposes here. A text shorter than k is one shingle, as a slice makes it."""
    points = letters.astype(np.uint64)
    if not len(points):
        return points
    k = min(k, len(points))
    windows = len(points) - k + 1
    hashes = points[:windows].copy()
    for offset in range(1, k):
        hashes *= _BASE  # wraps around modulo 2**64, as intended
        hashes += points[offset : offset + windows]
    hashes ^= hashes >> np.uint64(33)
    hashes *= np.uint64(0xFF51AFD7ED558CCD)
    hashes ^= hashes >> np.uint64(33)
    hashes.sort()
    return hashes[np.concatenate(([True], hashes[1:] != hashes[:-1]))]


def similarity(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(Jaccard, containment of the smaller set in the larger) of two `shingle_hashes`."""
    if not len(a) or not len(b):
        return 0.0, 0.0
    common = len(np.intersect1d(a, b, assume_unique=True))
    return common / (len(a) + len(b) - common), common / min(len(a), len(b))


@lru_cache(maxsize=4)
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's permutations for its default seed, made once rather than per MinHash."""
    return MinHash(num_perm=num_perm, scheme="affine32").permutations


def _as_hashed(hashes: np.ndarray) -> np.ndarray:
    """datasketch's `hashfunc` for one batch item that is a whole article's shingle hashes."""
    return hashes


def _minhash_of(hashes: np.ndarray, num_perm: int) -> MinHash:
    """datasketch's MinHash of a set given as 64-bit hashes (their upper 32 bits are the input).

    `update_batch` calls `hashfunc` once per item; handing it the whole array as one item, whose
    "hash" is that array, keeps the per-shingle loop in numpy (a test checks the result equals
    feeding the shingles one by one)."""
    m = MinHash(
        num_perm=num_perm,
        hashfunc=_as_hashed,
        permutations=_permutations(num_perm),
        scheme="affine32",
    )
    if len(hashes):
        m.update_batch([(hashes >> np.uint64(32)).astype(np.uint32)])
    return m


def minhash(text: str, k: int = SHINGLE_CHARS, num_perm: int = 128) -> MinHash:
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
        self.lsh = MinHashLSH(num_perm=s.num_perm, params=(s.bands, s.rows))
        self.cluster_of: dict[int, int] = {}
        self._kept: dict[int, str] | None = None if texts else {}
        self._texts = texts or self._kept_texts
        # Indexed articles by row (the LSH key): article id, MinHash signature, number of shingles;
        # the screening columns (after those the bands use) also in their own contiguous array.
        self._row: dict[int, int] = {}
        self._ids = np.zeros(0, dtype=np.int64)
        self._signatures = np.zeros((0, s.num_perm), dtype=np.uint32)
        self._screen = np.zeros((0, SCREEN_COLUMNS), dtype=np.uint32)
        self._sizes = np.zeros(0, dtype=np.int64)
        # The last text and language sketched: ingest matches an article, then indexes it.
        self._last: tuple[str, str, np.ndarray, MinHash | None, list[float]] | None = None
        self.figures = FigureIndex()  # stories by the figures they quote, for translations

    def __len__(self) -> int:
        return len(self._row)

    def _kept_texts(self, ids: list[int]) -> Mapping[int, str]:
        assert self._kept is not None  # not an assert of input: only set up without `texts`
        return {i: self._kept[i] for i in ids}

    def _sketch(self, text: str, lang: str = "") -> tuple[np.ndarray, MinHash | None, list[float]]:
        """Shingles, MinHash (None for a text too short to index) and figures (none without a
        language) of `text`."""
        text = text[:KEEP_CHARS]
        if self._last is None or self._last[:2] != (text, lang):
            letters = _letter_points(text)
            shingles = _shingle_hashes(letters, self.settings.k)
            short = len(letters) < MIN_CHARS
            m = None if short else _minhash_of(shingles, self.settings.num_perm)
            self._last = (text, lang, shingles, m, figures(text, lang) if lang else [])
        return self._last[2:]

    def add(
        self,
        article_id: int,
        cluster_id: int,
        text: str,
        lang: str = "",
        published: datetime | None = None,
    ) -> None:
        """Index an article; with its language (and date) it can also be found by a translation."""
        self.cluster_of[article_id] = cluster_id
        if article_id in self._row:
            return
        shingles, m, found = self._sketch(text, lang)
        self.figures.add(article_id, found, lang, published)
        if m is None:
            return
        row = len(self._row)
        if row == len(self._sizes):  # grow by half: amortised appends
            self._grow(max(64, row // 2))
        self.lsh.insert(row, m, check_duplication=False)
        if self._kept is not None:
            self._kept[article_id] = text[:KEEP_CHARS]
        start = self.settings.num_perm - SCREEN_COLUMNS
        self._signatures[row] = m.hashvalues
        self._screen[row] = m.hashvalues[start : start + SCREEN_COLUMNS]
        self._sizes[row] = len(shingles)
        self._ids[row] = article_id
        self._row[article_id] = row

    def _grow(self, extra: int) -> None:
        def more(array: np.ndarray) -> np.ndarray:
            return np.concatenate([array, np.zeros((extra, *array.shape[1:]), dtype=array.dtype)])

        self._signatures = more(self._signatures)
        self._screen = more(self._screen)
        self._sizes = more(self._sizes)
        self._ids = more(self._ids)

    def match(
        self,
        text: str,
        texts: TextLookup | None = None,
        lang: str = "",
        published: datetime | None = None,
    ) -> int | None:
        """The cluster of the most similar indexed article that passes the exact check, else (given
        the language) of a story this one translates or is translated by, or None."""
        shingles, m, quoted = self._sketch(text, lang)
        found = self._closest(shingles, m, texts)
        if found:
            return self.cluster_of[found[0]]
        original = self.figures.match(quoted, lang, published) if lang else None
        return self.cluster_of[original] if original is not None else None

    def _plausible(self, rows: np.ndarray, m: MinHash, size: int) -> np.ndarray:
        """The candidate rows whose signatures do not rule out a match (module docstring)."""
        s = self.settings
        start = s.num_perm - SCREEN_COLUMNS
        mine = m.hashvalues.astype(np.uint32)
        for columns, signatures in (
            (mine[start : start + SCREEN_COLUMNS], self._screen),
            (mine, self._signatures),
        ):
            jaccard = (signatures[rows] == columns).mean(axis=1)
            wider = np.sqrt(s.num_perm / len(columns))  # fewer columns, larger standard error
            sizes = self._sizes[rows]
            small = np.minimum(sizes, size)
            # |A ∩ B| = J (|A| + |B|) / (1 + J); containment divides it by the smaller set.
            contained = jaccard * (sizes + size) / ((1 + jaccard) * np.maximum(small, 1))
            keep = (jaccard >= s.jaccard - JACCARD_MARGIN * wider) | (
                (small >= s.min_shingles)
                & (contained >= s.containment - CONTAINMENT_MARGIN * wider)
            )
            rows = rows[keep]
            if not len(rows):
                break
        return rows

    def _closest(
        self, mine: np.ndarray, m: MinHash | None, texts: TextLookup | None
    ) -> tuple[int, float, float] | None:
        """(article id, Jaccard, containment) of the closest duplicate of the sketched text, or
        None. `texts` fetches the candidates' texts (default: the lookup the index was made with)."""
        s = self.settings
        if m is None:
            return None
        candidates = self.lsh.query(m)
        if not candidates:
            return None
        rows = np.fromiter(candidates, dtype=np.int64, count=len(candidates))
        ids = [int(i) for i in self._ids[self._plausible(rows, m, len(mine))]]
        best: tuple[int, float, float] | None = None
        for key, other_text in (texts or self._texts)(ids).items() if ids else ():
            other = shingle_hashes(other_text[:KEEP_CHARS], s.k)
            jac, contained = similarity(mine, other)
            long_enough = min(len(mine), len(other)) >= s.min_shingles
            if jac >= s.jaccard or (long_enough and contained >= s.containment):
                if best is None or (jac, -key) > (best[1], -best[0]):
                    best = (key, jac, contained)
        return best
