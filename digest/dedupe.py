"""Duplicate stories: exact copies by content hash, near copies by MinHash LSH over characters.

Character n-grams, not words: Khmer has no spaces and Korean particles change word forms.
"""

from __future__ import annotations

import hashlib
import re

from datasketch import MinHash, MinHashLSH

from digest.textnorm import normalize

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
MIN_CHARS = 80  # below this a text is too short to call a near-duplicate


def _letters(text: str) -> str:
    """Lower-cased letters and digits only: punctuation and spacing differ between copies."""
    return _NON_WORD.sub("", normalize(text).lower())


def content_hash(text: str) -> str:
    return hashlib.sha256(_letters(text).encode("utf-8")).hexdigest()


def minhash(text: str, k: int = 5, num_perm: int = 128) -> MinHash:
    letters = _letters(text)
    m = MinHash(num_perm=num_perm)
    m.update_batch(
        [letters[i : i + k].encode("utf-8") for i in range(max(1, len(letters) - k + 1))]
    )
    return m


class Deduper:
    """An LSH index of recent articles; `match` finds the cluster a new text belongs to."""

    def __init__(self, threshold: float = 0.5, num_perm: int = 128, k: int = 5) -> None:
        self.k, self.num_perm = k, num_perm
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self.cluster_of: dict[int, int] = {}

    def add(self, article_id: int, cluster_id: int, text: str) -> None:
        self.cluster_of[article_id] = cluster_id
        if len(_letters(text)) >= MIN_CHARS and str(article_id) not in self.lsh:
            self.lsh.insert(str(article_id), minhash(text, self.k, self.num_perm))

    def match(self, text: str) -> int | None:
        """The cluster of the oldest indexed article like `text`, or None."""
        if len(_letters(text)) < MIN_CHARS:
            return None
        keys = sorted(int(k) for k in self.lsh.query(minhash(text, self.k, self.num_perm)))
        return self.cluster_of[keys[0]] if keys else None
