"""The history as arrays, shared by every model-based sampler.

``HistoryEncoder.observations(history, space, ...)`` turns trials into

* ``X``: (n, d) unit-cube encodings (``Distribution.encode``), NaN where a trial lacks a
  parameter or holds it with another distribution (conditional spaces);
* ``y``: (n,) objective values to MINIMIZE (negated for "maximize");
* ``pending``: (n,) True for trials still RUNNING or WAITING, whose ``y`` is a *lie*.

Pending trials are how every sampler stays parallel-aware through one mechanism: a running
trial is an observation at its (partly) known point with a fantasized value (the "constant
liar": by default the worst value seen), so the next proposal moves away from it rather
than repeating it. Rows are cached per trial and rebuilt only when the trial's snapshot
changes, so the cost of an ask grows with what is new, not with the history.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon.space import Distribution

__all__ = [
    "HistoryEncoder",
    "Lie",
    "Observations",
    "encode_row",
    "fill_pending",
    "infer_intersection_space",
    "known_rows",
]

Lie = Literal["worst", "mean", "best"]


@dataclass(frozen=True)
class Observations:
    """The history of one space as arrays; see the module docstring."""

    names: tuple[str, ...]
    distributions: tuple[Distribution, ...]
    X: np.ndarray
    y: np.ndarray
    pending: np.ndarray
    numbers: np.ndarray

    @property
    def n_complete(self) -> int:
        return int((~self.pending).sum())

    def complete(self) -> Observations:
        """Only the finished (non-pending) rows."""
        keep = ~self.pending
        return Observations(
            self.names, self.distributions, self.X[keep], self.y[keep], self.pending[keep], self.numbers[keep]
        )


def fill_pending(y: np.ndarray, pending: np.ndarray, lie: Lie | None) -> None:
    """Give pending rows of ``y`` the lie: the worst, mean or best finished value (0 if none)."""
    if not pending.any():
        return
    done = y[~pending]
    if done.size == 0:
        fill = 0.0
    elif lie == "best":
        fill = float(done.min())
    elif lie == "mean":
        fill = float(done.mean())
    else:
        fill = float(done.max())
    y[pending] = fill


def infer_intersection_space(history: Sequence[FrozenTrial]) -> dict[str, Distribution]:
    """Parameters present, with the same distribution, in every COMPLETE trial."""
    space: dict[str, Distribution] | None = None
    for t in history:
        if t.state is not TrialState.COMPLETE:
            continue
        if space is None:
            space = dict(t.distributions)
        else:
            space = {k: d for k, d in space.items() if t.distributions.get(k) == d}
        if not space:
            return {}
    return dict(sorted((space or {}).items()))


def encode_row(trial: FrozenTrial, names: Sequence[str], dists: Sequence[Distribution]) -> np.ndarray:
    """The trial's unit-cube row over ``names``: NaN where it lacks a parameter or holds it
    with another distribution."""
    row = np.full(len(names), np.nan)
    params = {**trial.fixed_params, **trial.params}
    for j, (name, dist) in enumerate(zip(names, dists, strict=True)):
        if name in params and (trial.distributions.get(name, dist) == dist) and dist.contains(params[name]):
            row[j] = dist.encode(params[name])
    return row


def known_rows(trials: Sequence[FrozenTrial], names: Sequence[str], dists: Sequence[Distribution]) -> np.ndarray:
    """The rows (``encode_row``) of the ``trials`` that hold every one of ``names``, shape (m, d)."""
    rows = [encode_row(t, names, dists) for t in trials]
    return np.array([r for r in rows if not np.isnan(r).any()]).reshape(-1, len(names))


class HistoryEncoder:
    """Caches encoded rows per (space, trial); thread-safe. Owned by a sampler."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[tuple[str, Distribution], ...] | None = None
        self._rows: dict[int, tuple[FrozenTrial, np.ndarray]] = {}

    def observations(
        self,
        history: Sequence[FrozenTrial],
        space: Mapping[str, Distribution],
        direction: str,
        *,
        exclude: int | None = None,
        lie: Lie | None = "worst",
        stopped: bool = False,
    ) -> Observations:
        """Encode ``history`` over ``space``. ``exclude``: a trial number to leave out (the
        one being sampled). ``lie``: the value given to pending trials, or None to drop them.
        ``stopped``: PRUNED trials join the pending rows too (a stopped trial is a bad point:
        it gets the lie, "worst" by default, instead of its unfinished last value)."""
        names = tuple(space)
        dists = tuple(space[n] for n in names)
        key = tuple(zip(names, dists, strict=True))
        sign = 1.0 if direction == "minimize" else -1.0
        rows: list[np.ndarray] = []
        ys: list[float] = []
        pend: list[bool] = []
        nums: list[int] = []
        with self._lock:
            if key != self._key:
                self._key, self._rows = key, {}
            cache = self._rows
            for t in history:
                state = t.state
                if t.number == exclude:
                    continue
                if state is TrialState.COMPLETE:
                    if t.value is None:
                        continue
                    y, is_pending = sign * t.value, False
                elif lie is not None and (
                    state in (TrialState.RUNNING, TrialState.WAITING) or (stopped and state is TrialState.PRUNED)
                ):
                    y, is_pending = np.nan, True
                else:
                    continue
                hit = cache.get(t.number)
                if hit is None or hit[0] is not t:
                    hit = (t, encode_row(t, names, dists))
                    cache[t.number] = hit
                if is_pending and np.isnan(hit[1]).all():
                    continue  # a running trial with none of these parameters yet tells nothing
                rows.append(hit[1])
                ys.append(y)
                pend.append(is_pending)
                nums.append(t.number)
        d = len(names)
        X = np.vstack(rows) if rows else np.empty((0, d))
        y_arr = np.asarray(ys, dtype=float)
        pending = np.asarray(pend, dtype=bool)
        fill_pending(y_arr, pending, lie)
        return Observations(names, dists, X, y_arr, pending, np.asarray(nums, dtype=int))
