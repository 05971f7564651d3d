"""Configurations as cells: which values a unit-cube row decodes to, so that samplers can
tell a new configuration from one already tried.

Two rows are the same configuration when every parameter decodes to the same value, however
different their floats: a discrete dimension (a categorical choice, a step of an Int or of a
stepped Float, an integer of a log Int) is compared by the index of its value, its *cell*.
A continuous dimension is compared by its exact encoding (a repeat there is the very same
float). Each row also gets one 64-bit key, so that "which of these candidates was tried?" is
one binary search in the history's sorted keys (``seen``, ``is_seen``). In a finite space
of fewer than 2**63 points the key is the point's index (exact); otherwise it is a hash of
the cells, and a collision (odds about n**2 / 2**64) at worst skips one candidate.

A finite space (no continuous dimension) can be counted, listed and drawn from uniformly:
that is how a sampler finds an untried point when its model proposes only tried ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sturgeon.space import Categorical, Distribution, Float, Int

__all__ = ["MAX_LISTED", "Cells", "is_seen"]

MAX_LISTED = 1 << 20  # a finite space is listed point by point only up to this size
_MIX = np.uint64(0x9E3779B97F4A7C15)


def is_seen(keys: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """For each of ``keys``, whether it is in ``seen`` (sorted, as ``Cells.seen`` gives)."""
    keys = np.asarray(keys, dtype=np.int64)
    if not seen.size:
        return np.zeros(keys.shape, dtype=bool)
    at = np.minimum(np.searchsorted(seen, keys), seen.size - 1)
    return np.asarray(seen[at] == keys)


def _splitmix(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


@dataclass(frozen=True)
class Cells:
    """The cells of a space's dimensions. ``sizes[j]``: the number of values of dim ``j``
    (0: continuous); a log Int dim ``j`` has ``log_low[j]`` (its low) and ``log_a`` /
    ``log_b``, the log bounds of its encoding (``Int.encode``), else NaN."""

    sizes: np.ndarray
    log_low: np.ndarray
    log_a: np.ndarray
    log_b: np.ndarray

    @classmethod
    def of(cls, dists: Sequence[Distribution]) -> Cells:
        d = len(dists)
        sizes = np.zeros(d, dtype=np.int64)
        log_low, log_a, log_b = np.full(d, np.nan), np.full(d, np.nan), np.full(d, np.nan)
        for j, dist in enumerate(dists):
            if isinstance(dist, Categorical):
                sizes[j] = len(dist.choices)
            elif isinstance(dist, Int) and dist.is_single:
                sizes[j] = 1
            elif isinstance(dist, Int) and dist.log:
                sizes[j] = dist.high - dist.low + 1
                log_low[j] = dist.low
                log_a[j], log_b[j] = math.log(dist.low - 0.5), math.log(dist.high + 0.5)
            elif isinstance(dist, Int):
                sizes[j] = (dist.high - dist.low) // dist.step + 1
            elif isinstance(dist, Float) and dist.is_single:
                sizes[j] = 1
            elif isinstance(dist, Float) and dist.step is not None:
                sizes[j] = round((dist.high - dist.low) / dist.step) + 1
        return cls(sizes, log_low, log_a, log_b)

    @property
    def d(self) -> int:
        return int(self.sizes.size)

    @property
    def finite(self) -> bool:
        return bool((self.sizes > 0).all())

    @property
    def size(self) -> float:
        """The number of points (``inf`` with a continuous dimension); may exceed 2**63."""
        return float(math.prod(int(s) for s in self.sizes)) if self.finite else math.inf

    def _exact(self) -> bool:
        return self.finite and math.prod(int(s) for s in self.sizes) < 2**63

    def index(self, U: np.ndarray) -> np.ndarray:
        """Per row of ``U`` (n, d), the cell of each dimension (int64): the index its value
        decodes to, as ``Distribution.decode`` reads it; a continuous dim: its float's bits."""
        U = np.asarray(U, dtype=float).reshape(-1, self.d)
        C = np.empty(U.shape, dtype=np.int64)
        for j in range(self.d):
            m = int(self.sizes[j])
            u = np.clip(U[:, j], 0.0, 1.0)
            if m == 0:
                C[:, j] = np.ascontiguousarray(u).view(np.int64)
            elif not np.isnan(self.log_low[j]):
                a, b = self.log_a[j], self.log_b[j]
                C[:, j] = np.clip(np.round(np.exp(a + u * (b - a))) - self.log_low[j], 0, m - 1)
            else:
                C[:, j] = np.minimum(np.floor(u * m), m - 1)
        return C

    def _keys_of(self, C: np.ndarray) -> np.ndarray:
        if self._exact():
            strides = np.cumprod(np.concatenate(([1], self.sizes[:0:-1])))[::-1].astype(np.int64)
            return np.asarray(C @ strides, dtype=np.int64)
        h = np.zeros(C.shape[0], dtype=np.uint64)
        for j in range(self.d):
            h = _splitmix(h + C[:, j].view(np.uint64) + _MIX)
        return h.view(np.int64)

    def keys(self, U: np.ndarray) -> np.ndarray:
        """One int64 per row of ``U``: equal for rows of the same configuration."""
        return self._keys_of(self.index(U))

    def seen(self, U: np.ndarray) -> np.ndarray:
        """The sorted keys of the rows ``U`` (n, d): what ``is_seen`` and ``untried`` read."""
        return np.sort(self.keys(U))

    def encode(self, C: np.ndarray) -> np.ndarray:
        """The unit-cube rows of the cells ``C`` (finite dims: their values' encodings)."""
        C = np.asarray(C).reshape(-1, self.d)
        U = np.empty(C.shape)
        for j in range(self.d):
            m = int(self.sizes[j])
            if m == 0:
                U[:, j] = np.ascontiguousarray(C[:, j], dtype=np.int64).view(np.float64)
            elif not np.isnan(self.log_low[j]):
                a, b = self.log_a[j], self.log_b[j]
                U[:, j] = (np.log(self.log_low[j] + C[:, j]) - a) / (b - a)
            else:
                U[:, j] = (C[:, j] + 0.5) / m
        return U

    def listed(self) -> np.ndarray:
        """Every point of a finite space as unit-cube rows, in key order (size, d)."""
        if not self.finite or self.size > MAX_LISTED:
            raise ValueError(f"Cells.listed: the space has {self.size} points, more than {MAX_LISTED}")
        idx = np.arange(int(self.size), dtype=np.int64)
        C = np.empty((idx.size, self.d), dtype=np.int64)
        for j in range(self.d - 1, -1, -1):
            m = int(self.sizes[j])
            C[:, j] = idx % m
            idx = idx // m
        return self.encode(C)

    def uniform(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` rows drawn uniformly: a uniform cell per finite dim, a uniform float per continuous one."""
        C = np.empty((n, self.d), dtype=np.int64)
        U = rng.random((n, self.d))
        for j in range(self.d):
            m = int(self.sizes[j])
            C[:, j] = rng.integers(m, size=n) if m else np.ascontiguousarray(U[:, j]).view(np.int64)
        return self.encode(C)

    def untried(
        self, seen: np.ndarray, rng: np.random.Generator, *, n: int = 1024, list_up_to: int = 4096
    ) -> np.ndarray:
        """Rows of configurations whose keys are not in ``seen`` (sorted): every one when the
        space is finite with at most ``list_up_to`` points, else the distinct untried ones among
        ``n`` uniform draws (listing the space after all, up to ``MAX_LISTED`` points, when every
        draw was tried). Empty (0, d) when none is found: a finite space used up."""
        n_seen = int(seen.size and 1 + np.count_nonzero(np.diff(seen)))
        if self.finite and n_seen >= self.size:
            return np.empty((0, self.d))
        if self.finite and self.size <= list_up_to:
            points = self.listed()
            return points[~is_seen(self.keys(points), seen)]
        points = self.uniform(n, rng)
        keys = self.keys(points)
        _, first = np.unique(keys, return_index=True)
        first = np.sort(first)
        points = points[first][~is_seen(keys[first], seen)]
        if len(points) or not self.finite or self.size > MAX_LISTED:
            return points
        points = self.listed()
        return points[~is_seen(self.keys(points), seen)]
