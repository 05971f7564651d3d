"""Pareto dominance, hypervolume and constraint violation: the multi-objective arithmetic that
the study (``best_trials``), the samplers, the dashboard and the plots share.

Every function here works on *losses*: an ``(n, m)`` array in which every objective is to be
minimized (``as_losses`` turns values in the study's directions into that form).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "as_losses",
    "crowding_distance",
    "default_reference",
    "feasible_mask",
    "hypervolume",
    "hypervolume_improvement_2d",
    "nondominated_ranks",
    "pareto_mask",
    "violation",
]


def as_losses(values: Any, directions: Sequence[str]) -> np.ndarray:
    """``values`` (rows of objective values) with the maximized objectives negated."""
    Y = np.asarray(values, dtype=float).reshape(-1, len(directions))
    sign = np.array([-1.0 if d == "maximize" else 1.0 for d in directions])
    return Y * sign


def pareto_mask(Y: np.ndarray) -> np.ndarray:
    """True for the rows no other row dominates (equal rows are all kept)."""
    Y = np.asarray(Y, dtype=float)
    n = len(Y)
    keep = np.ones(n, dtype=bool)
    if n == 0:
        return keep
    order = np.lexsort(Y.T[::-1])  # by the first objective, ties by the next
    front: list[int] = []
    for i in order:
        y = Y[i]
        if front:
            F = Y[front]
            if np.any(np.all(y >= F, axis=1) & np.any(y > F, axis=1)):
                keep[i] = False
                continue
        front.append(i)
    return keep


def nondominated_ranks(Y: np.ndarray) -> np.ndarray:
    """Non-dominated sorting: 0 for the Pareto front, 1 for the front of the rest, ..."""
    Y = np.asarray(Y, dtype=float)
    ranks = np.full(len(Y), -1, dtype=int)
    left = np.arange(len(Y))
    rank = 0
    while len(left):
        mask = pareto_mask(Y[left])
        ranks[left[mask]] = rank
        left = left[~mask]
        rank += 1
    return ranks


def crowding_distance(Y: np.ndarray) -> np.ndarray:
    """NSGA-II's crowding distance of each row within its set (infinite at the extremes)."""
    Y = np.asarray(Y, dtype=float)
    n, m = Y.shape
    dist = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(m):
        order = np.argsort(Y[:, j], kind="stable")
        col = Y[order, j]
        span = col[-1] - col[0]
        dist[order[0]] = dist[order[-1]] = np.inf
        if span > 0:
            dist[order[1:-1]] += (col[2:] - col[:-2]) / span
    return dist


def default_reference(Y: np.ndarray) -> np.ndarray:
    """The reference point sturgeon reports hypervolumes against: per objective, the worst
    loss seen plus 10 % of the range seen (plus 1e-9 when every value is the same)."""
    Y = np.asarray(Y, dtype=float)
    lo, hi = Y.min(axis=0), Y.max(axis=0)
    return hi + 0.1 * (hi - lo) + 1e-9 * (hi == lo)


def _hv_2d(Y: np.ndarray, ref: np.ndarray) -> float:
    Y = Y[np.argsort(Y[:, 0], kind="stable")]
    total, best = 0.0, ref[1]
    for x, y in Y:
        if y < best:
            total += (ref[0] - x) * (best - y)
            best = y
    return float(total)


def _hv(Y: np.ndarray, ref: np.ndarray) -> float:
    """Exact hypervolume of points all strictly inside the reference box, by slicing along
    the last objective (fine for the front sizes of a study)."""
    if len(Y) == 0:
        return 0.0
    if Y.shape[1] == 1:
        return float(ref[0] - Y[:, 0].min())
    if Y.shape[1] == 2:
        return _hv_2d(Y, ref)
    Y = Y[pareto_mask(Y)]
    Y = Y[np.argsort(Y[:, -1], kind="stable")]
    total = 0.0
    for i in range(len(Y)):
        upper = Y[i + 1, -1] if i + 1 < len(Y) else ref[-1]
        depth = upper - Y[i, -1]
        if depth > 0:
            total += depth * _hv(Y[: i + 1, :-1], ref[:-1])
    return float(total)


def hypervolume(points: Any, reference: Sequence[float] | np.ndarray) -> float:
    """The volume the rows of ``points`` (losses) dominate inside the box below ``reference``;
    rows not strictly better than the reference in every objective add nothing."""
    Y = np.asarray(points, dtype=float)
    ref = np.asarray(reference, dtype=float)
    if Y.size == 0:
        return 0.0
    Y = Y.reshape(-1, len(ref))
    Y = Y[np.all(ref > Y, axis=1) & np.all(np.isfinite(Y), axis=1)]
    if len(Y) == 0:
        return 0.0
    return _hv(Y[pareto_mask(Y)], ref)


def hypervolume_improvement_2d(front: np.ndarray, ref: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """For each row of ``Y`` (two losses), the hypervolume it would add to ``front`` inside
    the box below ``ref``; vectorized over the rows (the non-dominated region is cut into
    ``len(front) + 1`` boxes, one per step of the front's staircase)."""
    F = np.asarray(front, dtype=float).reshape(-1, 2)
    F = F[np.all(ref > F, axis=1)]
    F = F[pareto_mask(F)]
    F = F[np.argsort(F[:, 0], kind="stable")]
    left = np.concatenate([[-np.inf], F[:, 0]])  # box j: f1 in [left_j, right_j), f2 below top_j
    right = np.concatenate([F[:, 0], [ref[0]]])
    top = np.concatenate([[ref[1]], F[:, 1]])
    Y = np.asarray(Y, dtype=float).reshape(-1, 2)
    width = np.clip(right[None, :] - np.maximum(Y[:, :1], left[None, :]), 0.0, None)
    height = np.clip(top[None, :] - Y[:, 1:2], 0.0, None)
    return np.sum(width * height, axis=1)


def violation(constraints: Sequence[float] | None) -> float:
    """How far a trial is from feasible: the sum of its positive constraint values (a
    constraint is satisfied at <= 0); 0 for a feasible trial or one without constraints."""
    if not constraints:
        return 0.0
    return float(sum(max(0.0, float(c)) for c in constraints))


def feasible_mask(constraints: Sequence[Sequence[float] | None]) -> np.ndarray:
    """True for each trial whose constraints all hold (or that has none)."""
    return np.array([violation(c) == 0.0 for c in constraints], dtype=bool)
