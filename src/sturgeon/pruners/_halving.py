"""Asynchronous successive halving (ASHA) and Hyperband, as pure policies over the history.

Resource is counted in steps from 0: a trial that reported step ``s`` has trained ``s + 1``
steps. Rung ``k`` of a bracket with early-stopping rate ``e`` sits at
``r_k = min_resource * reduction_factor ** (e + k)`` steps; a trial *reaches* it with its first
report at a step >= ``r_k - 1``, and its value there is that report. When a trial reaches a
rung (and only then), it is compared with every trial of its bracket that reached the same
rung, in any state; NaN counts as the worst value and ties go to the earlier trial.

* **Stopping** (a trial with no checkpoint at that step): it goes on if it is among the best
  ``max(1, n // reduction_factor)`` of the ``n`` trials at the rung, else it is pruned.
* **Promotion** (it committed a checkpoint at that step): it goes on if it is among the best
  ``n // reduction_factor``, else it is PAUSED; a paused trial becomes promotable as soon as
  later arrivals make it one of the best ``n // reduction_factor`` at its rung, and the next
  worker that asks resumes it from its checkpoint. No worker ever waits for a rung to fill.

Hyperband runs several such brackets (early-stopping rates 0 .. s_max); each trial's bracket is
drawn from (seed, trial number), weighted as in Hyperband (more trials in aggressive
brackets), so a study reproduces, and resumes on another machine, exactly.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Sequence
from typing import Literal

import numpy as np

from sturgeon._exceptions import InvalidValueError
from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon.pruners._base import BasePruner, Decision
from sturgeon.pruners._checks import _check_int, _sign

__all__ = ["HyperbandPruner", "SuccessiveHalvingPruner"]

_Auto = Literal["auto"]


def _check_resource(cls: str, name: str, value: object) -> int | _Auto:
    if value == "auto":
        return "auto"
    return _check_int(cls, name, value, 1)


def _first_complete_steps(history: Sequence[FrozenTrial]) -> int | None:
    """Steps trained by the trial that completed first (the learned ``max_resource``)."""
    first: FrozenTrial | None = None
    for t in history:
        done = t.state is TrialState.COMPLETE and t.intermediate_values and t.datetime_complete is not None
        if done and (first is None or (t.datetime_complete, t.number) < (first.datetime_complete, first.number)):
            first = t
    if first is None:
        return None
    return max(first.intermediate_values) + 1


def _rung_value(trial: FrozenTrial, rung_step: int) -> float | None:
    """The trial's report at its first step >= ``rung_step``; None if it has not got there."""
    steps = [s for s in trial.intermediate_values if s >= rung_step]
    if not steps:
        return None
    return trial.intermediate_values[min(steps)]


def _key(value: float, number: int, sign: float) -> tuple[float, int]:
    """Sort key, best first: NaN last, ties to the earlier trial."""
    return (math.inf if math.isnan(value) else sign * value, number)


@functools.lru_cache(maxsize=65536)
def _draw_bracket(seed: int, number: int, n: int, eta: int) -> int:
    s_max = n - 1
    weights = np.array([eta ** (s_max - s) / (s_max - s + 1) for s in range(n)])
    rng = np.random.default_rng([seed, number, 0x48424E44])
    return int(rng.choice(n, p=weights / weights.sum()))


class _Halving:
    """The rung arithmetic of one bracket."""

    def __init__(self, min_resource: int, eta: int, rate: int, max_resource: int | None) -> None:
        self.min_resource, self.eta, self.rate, self.max_resource = min_resource, eta, rate, max_resource

    def rung_steps(self, upto: int) -> list[int]:
        """The last step (resource - 1) of each rung, up to step ``upto`` (and below max)."""
        steps: list[int] = []
        k = 0
        while True:
            r = self.min_resource * self.eta ** (self.rate + k)
            if self.max_resource is not None and r >= self.max_resource:
                return steps
            if r - 1 > upto:
                return steps
            steps.append(r - 1)
            k += 1

    def rank(
        self, trial: FrozenTrial, value: float, peers: Sequence[FrozenTrial], rung_step: int, sign: float
    ) -> tuple[int, int]:
        """(how many peers at the rung beat the trial, how many trials are at the rung)."""
        mine = _key(value, trial.number, sign)
        better, n = 0, 1
        for t in peers:
            if t.number == trial.number:
                continue
            v = _rung_value(t, rung_step)
            if v is None:
                continue
            n += 1
            if _key(v, t.number, sign) < mine:
                better += 1
        return better, n

    def decide(self, trial: FrozenTrial, peers: Sequence[FrozenTrial], sign: float, bootstrap: int) -> Decision:
        last = trial.last_step
        if last is None or (self.max_resource is not None and last >= self.max_resource - 1):
            return Decision.CONTINUE  # nothing reported yet, or trained to the end: never stopped there
        rungs = self.rung_steps(last)
        if not rungs:
            return Decision.CONTINUE
        rung_step = rungs[-1]
        earlier = [s for s in trial.intermediate_values if s < last]
        if earlier and max(earlier) >= rung_step:
            return Decision.CONTINUE  # decided when it reached this rung already
        value = trial.intermediate_values[last]
        better, n = self.rank(trial, value, peers, rung_step, sign)
        if n <= bootstrap:
            return Decision.CONTINUE
        if last in trial.checkpoints:
            return Decision.CONTINUE if better < n // self.eta else Decision.PAUSE
        return Decision.CONTINUE if better < max(1, n // self.eta) else Decision.PRUNE

    def promotable(
        self, paused: Sequence[FrozenTrial], peers: Sequence[FrozenTrial], sign: float
    ) -> list[tuple[tuple[float, float], int]]:
        """(sort key, number) of the paused trials that may go on: higher rungs first, then
        better. Each rung's values are gathered once, so this costs O(trials x rungs)."""
        tables: dict[int, list[tuple[float, int]]] = {}
        out = []
        for trial in paused:
            step = trial.latest_checkpoint_step
            rungs = [] if step is None else self.rung_steps(step)
            if not rungs:
                continue
            rung_step = rungs[-1]
            value = _rung_value(trial, rung_step)
            if value is None:
                continue
            table = tables.get(rung_step)
            if table is None:
                table = sorted(_key(v, t.number, sign) for t in peers if (v := _rung_value(t, rung_step)) is not None)
                tables[rung_step] = table
            mine = _key(value, trial.number, sign)
            better = bisect.bisect_left(table, mine)
            n = len(table) + (0 if mine in table else 1)
            if better < n // self.eta:
                out.append(((-float(len(rungs)), mine[0]), trial.number))
        return out


class SuccessiveHalvingPruner(BasePruner):
    """Asynchronous successive halving (see the module docstring), Optuna's arguments.

    Args:
        min_resource: steps of the first rung, or "auto": 1/100 of the steps of the first
            trial that completes (at least 1; nothing is stopped before one completes).
        reduction_factor: keep the best 1 / reduction_factor at each rung (>= 2).
        min_early_stopping_rate: the first rung sits at min_resource * rf ** rate.
        bootstrap_count: a rung with at most this many trials stops nobody.
        max_resource: steps of a full training (None: no cap; rungs go on as long as trials
            report). A trial that reached it is never stopped.
    """

    def __init__(
        self,
        *,
        min_resource: int | _Auto = "auto",
        reduction_factor: int = 4,
        min_early_stopping_rate: int = 0,
        bootstrap_count: int = 0,
        max_resource: int | None = None,
    ) -> None:
        cls = type(self).__name__
        self.min_resource = _check_resource(cls, "min_resource", min_resource)
        self.reduction_factor = _check_int(cls, "reduction_factor", reduction_factor, 2)
        self.min_early_stopping_rate = _check_int(cls, "min_early_stopping_rate", min_early_stopping_rate, 0)
        self.bootstrap_count = _check_int(cls, "bootstrap_count", bootstrap_count, 0)
        self.max_resource = None if max_resource is None else _check_int(cls, "max_resource", max_resource, 1)

    def _bracket(self, history: Sequence[FrozenTrial]) -> _Halving | None:
        min_r = self.min_resource
        if min_r == "auto":
            steps = _first_complete_steps(history)
            if steps is None:
                return None
            min_r = max(1, steps // 100)
        assert isinstance(min_r, int)
        return _Halving(min_r, self.reduction_factor, self.min_early_stopping_rate, self.max_resource)

    def decide(self, trial: FrozenTrial, history: Sequence[FrozenTrial], direction: str) -> Decision:
        bracket = self._bracket(history)
        if bracket is None:
            return Decision.CONTINUE
        return bracket.decide(trial, history, _sign(direction), self.bootstrap_count)

    def promotable(self, paused: Sequence[FrozenTrial], history: Sequence[FrozenTrial], direction: str) -> list[int]:
        bracket = self._bracket(history)
        if bracket is None:
            return []
        sign = _sign(direction)
        return [n for _, n in sorted(bracket.promotable(paused, history, sign))]

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(min_resource={self.min_resource!r}, reduction_factor={self.reduction_factor}, "
            f"min_early_stopping_rate={self.min_early_stopping_rate}, max_resource={self.max_resource!r})"
        )


class HyperbandPruner(BasePruner):
    """Hyperband over asynchronous successive halving (see the module docstring).

    Args:
        min_resource: steps of the most aggressive bracket's first rung.
        max_resource: steps of a full training, or "auto": those of the first trial that
            completes (nothing is stopped before one completes).
        reduction_factor: keep the best 1 / reduction_factor at each rung (>= 2).
        bootstrap_count: a rung with at most this many trials stops nobody.
    """

    def __init__(
        self,
        *,
        min_resource: int = 1,
        max_resource: int | _Auto = "auto",
        reduction_factor: int = 3,
        bootstrap_count: int = 0,
    ) -> None:
        cls = type(self).__name__
        self.min_resource = _check_int(cls, "min_resource", min_resource, 1)
        self.max_resource = _check_resource(cls, "max_resource", max_resource)
        self.reduction_factor = _check_int(cls, "reduction_factor", reduction_factor, 2)
        self.bootstrap_count = _check_int(cls, "bootstrap_count", bootstrap_count, 0)
        if isinstance(self.max_resource, int) and self.max_resource < self.min_resource:
            raise InvalidValueError(f"{cls}: max_resource must be >= min_resource={min_resource}, got {max_resource!r}")

    def _max(self, history: Sequence[FrozenTrial]) -> int | None:
        if self.max_resource == "auto":
            return _first_complete_steps(history)
        return self.max_resource

    def n_brackets(self, max_resource: int) -> int:
        ratio = max(1, max_resource // self.min_resource)
        s_max = 0
        while self.reduction_factor ** (s_max + 1) <= ratio:
            s_max += 1
        return s_max + 1

    def bracket_of(self, number: int, max_resource: int) -> int:
        """The trial's bracket (its early-stopping rate), drawn from (seed, number)."""
        return _draw_bracket(self.seed or 0, number, self.n_brackets(max_resource), self.reduction_factor)

    def _setup(self, history: Sequence[FrozenTrial]) -> tuple[int, dict[int, list[FrozenTrial]]] | None:
        max_r = self._max(history)
        if max_r is None:
            return None
        groups: dict[int, list[FrozenTrial]] = {}
        for t in history:
            groups.setdefault(self.bracket_of(t.number, max_r), []).append(t)
        return max_r, groups

    def _halving(self, bracket: int, max_r: int) -> _Halving:
        return _Halving(self.min_resource, self.reduction_factor, bracket, max_r)

    def decide(self, trial: FrozenTrial, history: Sequence[FrozenTrial], direction: str) -> Decision:
        setup = self._setup(history)
        if setup is None:
            return Decision.CONTINUE
        max_r, groups = setup
        b = self.bracket_of(trial.number, max_r)
        sign = _sign(direction)
        return self._halving(b, max_r).decide(trial, groups.get(b, []), sign, self.bootstrap_count)

    def promotable(self, paused: Sequence[FrozenTrial], history: Sequence[FrozenTrial], direction: str) -> list[int]:
        setup = self._setup(history)
        if setup is None:
            return []
        max_r, groups = setup
        sign = _sign(direction)
        keyed = []
        by_bracket: dict[int, list[FrozenTrial]] = {}
        for t in paused:
            by_bracket.setdefault(self.bracket_of(t.number, max_r), []).append(t)
        for b, members in by_bracket.items():
            keyed += self._halving(b, max_r).promotable(members, groups.get(b, []), sign)
        return [n for _, n in sorted(keyed)]

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(min_resource={self.min_resource}, max_resource={self.max_resource!r}, "
            f"reduction_factor={self.reduction_factor})"
        )
