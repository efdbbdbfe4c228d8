"""The LSH band index behind `digest.dedupe`, kept in numpy arrays.

Banding as datasketch's `MinHashLSH` does it (a signature cut into `bands` bands of `rows` values;
two signatures are candidates when a whole band is equal), stored compactly: each band of each
signature is one 64-bit key in a sorted array beside the signature's row number (12 bytes per
band), and new signatures wait in a small buffer that is merged in by blocks. `MinHashLSH` keeps a
Python set per bucket (about 300 bytes per band per article) and loops over every candidate in
Python, which made a 100,000-article index neither small nor fast (BENCHMARKS.md).
"""

from __future__ import annotations

import numpy as np

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_FMIX64 = (np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))
_SHIFT = np.uint64(33)


def fmix64(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer, elementwise: every input bit reaches every output bit."""
    for multiplier in _FMIX64:
        values = values ^ (values >> _SHIFT)
        values = values * multiplier  # wraps modulo 2**64
    return values ^ (values >> _SHIFT)


class BandIndex:
    """Rows (ints) by the bands of their MinHash signatures; `query` gives the candidate rows."""

    def __init__(self, bands: int, rows: int, buffer: int = 256) -> None:
        self.bands, self.rows = bands, rows
        # Sorted band keys and the row of each: a large level merged into rarely, a small one often.
        self._levels = [(np.zeros(0, np.uint64), np.zeros(0, np.int32)) for _ in range(2)]
        self._pending = np.zeros((buffer, bands), dtype=np.uint64)  # the newest rows, unsorted
        self._pending_owners = np.zeros(buffer, dtype=np.int32)
        self._waiting = 0
        self._last: tuple[np.ndarray, np.ndarray] | None = None

    def keys(self, signature: np.ndarray) -> np.ndarray:
        """One key per band: its values and its number (equal values in two bands do not meet)."""
        if self._last is not None and np.array_equal(self._last[0], signature):
            return self._last[1]  # `query`, then `insert` of the same signature
        cut = signature[: self.bands * self.rows].astype(np.uint64).reshape(self.bands, self.rows)
        keys = np.arange(self.bands, dtype=np.uint64)
        for j in range(self.rows):
            keys = keys * _MULTIPLIER + cut[:, j]
        self._last = (signature.copy(), fmix64(keys))
        return self._last[1]

    def insert(self, row: int, signature: np.ndarray) -> None:
        if self._waiting == len(self._pending_owners):
            self._merge()
        self._pending[self._waiting] = self.keys(signature)
        self._pending_owners[self._waiting] = row
        self._waiting += 1

    def _merge(self) -> None:
        """The buffer into the small level, and that into the large one once it holds 32 buffers:
        each merge copies the level it goes into, so most copies are of the small one."""
        keys = self._pending[: self._waiting].ravel()
        owners = np.repeat(self._pending_owners[: self._waiting], self.bands)
        order = np.argsort(keys, kind="stable")
        self._levels[1] = _merged(self._levels[1], (keys[order], owners[order]))
        if len(self._levels[1][0]) >= 32 * self._pending.size:
            self._levels[0] = _merged(self._levels[0], self._levels[1])
            self._levels[1] = (keys[:0], owners[:0])
        self._waiting = 0

    def query(self, signature: np.ndarray) -> np.ndarray:
        """The distinct rows sharing at least one band with `signature`."""
        by_band = self.keys(signature)
        keys = np.sort(by_band)  # sorted needles: each search starts where the last one ended
        found = []
        for sorted_keys, owners in self._levels:
            # One binary search per key, a second only for the few keys present: on an index of
            # millions of keys each search is a chain of cache misses.
            first = np.searchsorted(sorted_keys, keys)
            hit = first < len(sorted_keys)
            hit[hit] = sorted_keys[first[hit]] == keys[hit]
            last = np.searchsorted(sorted_keys, keys[hit], side="right")
            found += [owners[a:b] for a, b in zip(first[hit], last, strict=True)]
        waiting = self._pending[: self._waiting]
        found.append(self._pending_owners[: self._waiting][(waiting == by_band).any(axis=1)])
        rows = np.sort(np.concatenate(found)).astype(np.int64)
        return rows[np.concatenate(([True], rows[1:] != rows[:-1]))] if len(rows) else rows


def _merged(
    into: tuple[np.ndarray, np.ndarray], new: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted (keys, owners) pairs as one."""
    at = np.searchsorted(into[0], new[0])
    return np.insert(into[0], at, new[0]), np.insert(into[1], at, new[1])
