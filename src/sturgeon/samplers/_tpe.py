"""Tree-structured Parzen Estimator: a thin adapter from the history to ``_parzen.propose``.

The joint space (the declarative space, else the parameters every completed trial shares) is
modelled jointly: the completed trials are split into the best few (10%, at most 25) and the
rest, a Parzen estimator l(x) is fitted to the first group and g(x) to the second over the
unit-cube encoding, and the proposal is the one of 64 draws from l that maximizes
log l(x) - log g(x) (see ``_parzen`` for the kernels).

A parameter outside the joint space (a conditional branch) is modelled with its group: the
undecided parameters that every completed trial holding it also holds (a branch's parameters),
over the trials that hold it. The whole group is drawn at its first parameter's suggestion;
the other values are kept for the trial and handed out as it asks for them.

* The first ``n_startup_trials`` come from a scrambled Sobol design (``sobol_point``) over the
  joint space; a parameter outside it takes point i of its own one-dimensional sequence for
  the i-th trial that holds it (the first define-by-run trial: point 0).
* In a finite joint space (every parameter categorical, integer or stepped) a configuration
  that another trial holds, in any state, is not proposed again while an untried one is left
  (configurations compared by their values' cells, ``_cells``): a tried draw from l is
  skipped, and when all were tried the untried points are scored instead; a Sobol startup
  point already tried gives way to a random untried one.
* Parallel-aware through the constant liar: RUNNING / WAITING trials (what they hold so far)
  and PRUNED trials always join g, so workers asking at the same time move apart.
* All randomness comes from ``ctx.rng`` (seeded by the study seed and the trial number), so a
  seed reproduces a study; the only state is caches rebuilt from the history.
* The history is read through a ``ColumnCache``: an ask costs what changed since the last one.
"""

from __future__ import annotations

import math
import threading
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sturgeon._exceptions import InvalidValueError, NotSupportedError
from sturgeon._frozen import FrozenTrial
from sturgeon._optuna import optuna_kwargs
from sturgeon.samplers import _parzen
from sturgeon.samplers._base import BaseSampler, SampleContext
from sturgeon.samplers._cells import Cells, is_seen
from sturgeon.samplers._columns import COMPLETE, ColumnCache
from sturgeon.samplers._fidelity import FidelityView
from sturgeon.samplers._qmc import sobol_point
from sturgeon.space import Categorical, Distribution, Float, Int

__all__ = ["TPESampler"]

_MAX_KEPT = 4096


def _columns(dists: Sequence[Distribution]) -> _parzen.Columns:
    d = len(dists)
    kind = np.full(d, _parzen.CONTINUOUS)
    size = np.zeros(d)
    low, high = np.zeros(d), np.ones(d)
    log_a, log_b = np.zeros(d), np.ones(d)
    for j, dist in enumerate(dists):
        if isinstance(dist, Categorical):
            kind[j], size[j] = _parzen.CATEGORICAL, len(dist.choices)
        elif isinstance(dist, Int) and dist.log:
            kind[j], low[j], high[j] = _parzen.LOG_INT, dist.low, dist.high
            log_a[j], log_b[j] = math.log(dist.low - 0.5), math.log(dist.high + 0.5)
        elif isinstance(dist, Int):
            kind[j], size[j] = _parzen.GRID, (dist.high - dist.low) // dist.step + 1
        elif isinstance(dist, Float) and dist.step is not None:
            kind[j], size[j] = _parzen.GRID, round((dist.high - dist.low) / dist.step) + 1
    return _parzen.Columns(kind, size, low, high, log_a, log_b)


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidValueError(f"TPESampler: {name} must be an int >= {minimum}, got {name}={value!r}")
    return int(value)


def _holds(trial: FrozenTrial, values: Mapping[str, Any]) -> bool:
    """Whether ``trial`` holds every one of ``values``."""
    held = {**trial.fixed_params, **trial.params}
    return all(k in held and held[k] == v for k, v in values.items())


class TPESampler(BaseSampler):
    """Multivariate TPE over the joint space; conditional parameters by their groups.

    ``n_startup_trials``: completed trials drawn from the Sobol design before the model
    takes over. ``n_candidates``: draws from l(x) scored per proposal (more: greedier).
    ``gamma``: the fraction of the completed trials that forms the good group (1 to 25
    trials). Thread-safe; one instance serves one study.
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        n_startup_trials: int = 8,
        n_candidates: int = 64,
        gamma: float = 0.1,
        **optuna_args: Any,
    ) -> None:
        super().__init__(seed=seed)
        renamed = optuna_kwargs("TPESampler", optuna_args)
        n_candidates = renamed.get("n_candidates", n_candidates)
        self.constraints_func = renamed.get("constraints_func")  # the study runs it (Optuna's place for it)
        if callable(gamma):
            raise NotSupportedError(
                "TPESampler: gamma as a function is not supported: sturgeon's gamma is the fraction of the trials "
                "that forms the good group (a number in (0, 1])"
            )
        self.n_startup_trials = _check_int("n_startup_trials", n_startup_trials, 0)
        self.n_candidates = _check_int("n_candidates", n_candidates, 1)
        if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not 0.0 < gamma <= 1.0:
            raise InvalidValueError(f"TPESampler: gamma must be a number in (0, 1], got gamma={gamma!r}")
        self.gamma = float(gamma)
        self._cache = ColumnCache()
        self._fidelity = FidelityView(min_trials=max(5, self.n_startup_trials))
        self._fidelity_generation = 0
        self._lock = threading.Lock()
        # values drawn with a conditional parameter for the rest of its group, by (trial, name)
        self._group_values: dict[tuple[int, str], tuple[Distribution, Any]] = {}
        # Sobol indices handed out per parameter in this process: index -> trial number
        self._sobol_given: dict[tuple[str, Distribution], dict[int, int]] = {}

    def __repr__(self) -> str:
        return (
            f"TPESampler(seed={self.seed!r}, n_startup_trials={self.n_startup_trials}, "
            f"n_candidates={self.n_candidates}, gamma={self.gamma})"
        )

    def _model_history(self, history: Sequence[FrozenTrial]) -> Sequence[FrozenTrial]:
        """The history as the model sees it: stopped and paused trials by their rung values."""
        seen = self._fidelity(history)
        if self._fidelity.generation != self._fidelity_generation:
            self._fidelity_generation = self._fidelity.generation
            self._cache.reset()
        return seen

    def infer_space(self, history: Sequence[FrozenTrial]) -> dict[str, Distribution]:
        return self._cache.intersection_space(self._model_history(history))

    def sample_joint(
        self, space: Mapping[str, Distribution], history: Sequence[FrozenTrial], ctx: SampleContext
    ) -> dict[str, Any]:
        history = self._model_history(history)
        sub = {name: space[name] for name in sorted(space) if not space[name].is_single}
        if not sub:
            return {}
        cells = Cells.of(tuple(sub.values()))
        tried = self._tried(sub, cells, history, ctx)
        u = self._propose(sub, history, ctx, cells=cells, tried=tried)
        if u is None:
            u = sobol_point(ctx.trial_number, len(sub), ctx.seed)
            if is_seen(cells.keys(u), tried)[0]:
                fresh = cells.untried(tried, ctx.rng, n=256)
                if len(fresh):
                    u = fresh[ctx.rng.integers(len(fresh))]
        return {name: dist.decode(float(v)) for (name, dist), v in zip(sub.items(), u, strict=True)}

    def _tried(
        self, space: Mapping[str, Distribution], cells: Cells, history: Sequence[FrozenTrial], ctx: SampleContext
    ) -> np.ndarray:
        """The sorted keys of the configurations of a finite ``space`` that other trials hold, in any
        state (running, waiting, paused, pruned and failed ones count as tried); with the
        trial's fixed parameters, only those of trials that hold the same values. Empty when
        the space has a continuous parameter: a draw there never repeats a point."""
        if not cells.finite:
            return np.empty(0, dtype=np.int64)
        X, numbers = self._cache.held(history, space, exclude=ctx.trial_number)
        if ctx.fixed_params and len(numbers):
            by_number = {t.number: t for t in history}
            same = [_holds(by_number[n], ctx.fixed_params) for n in numbers.tolist()]
            X = X[np.array(same, dtype=bool)]
        return cells.seen(X)

    def sample_one(
        self, name: str, distribution: Distribution, history: Sequence[FrozenTrial], ctx: SampleContext
    ) -> Any:
        with self._lock:
            kept = self._group_values.pop((ctx.trial_number, name), None)
        if kept is not None and kept[0] == distribution:
            return kept[1]
        history = self._model_history(history)
        if self._cache.n_complete(history) >= self.n_startup_trials:
            group = self._group(name, distribution, history, ctx)
            u = self._propose(group, history, ctx, min_complete=1, anchor=list(group).index(name))
            if u is not None:
                values = {k: d.decode(float(v)) for (k, d), v in zip(group.items(), u, strict=True)}
                with self._lock:
                    for k, d in group.items():
                        if k != name:
                            self._group_values[(ctx.trial_number, k)] = (d, values[k])
                    while len(self._group_values) > _MAX_KEPT:
                        del self._group_values[next(iter(self._group_values))]
                return values[name]
        # point i of the parameter's own Sobol sequence for the i-th trial that holds it: indexing
        # by trial number would give a branch's trials a skewed subset of the points
        seed = (ctx.seed * 1_000_003 + zlib.crc32(name.encode())) % (2**32)
        index = self._cache.n_holding(history, name, distribution)
        with self._lock:  # threads that read the same history at the same instant take different points
            given = self._sobol_given.setdefault((name, distribution), {})
            while given.get(index, ctx.trial_number) != ctx.trial_number:
                index += 1
            given[index] = ctx.trial_number
            while len(given) > _MAX_KEPT:
                del given[min(given)]
        return distribution.decode(float(sobol_point(index, 1, seed)[0]))

    def _group(
        self, name: str, distribution: Distribution, history: Sequence[FrozenTrial], ctx: SampleContext
    ) -> dict[str, Distribution]:
        """``name`` and the undecided parameters that every completed trial with it also has."""
        together = self._cache.together(history, name)
        if together.get(name) != distribution:
            return {name: distribution}
        decided = ctx.params.keys() | ctx.fixed_params.keys()
        return {k: d for k, d in together.items() if k == name or (k not in decided and not d.is_single)}

    def _propose(
        self,
        space: Mapping[str, Distribution],
        history: Sequence[FrozenTrial],
        ctx: SampleContext,
        *,
        min_complete: int | None = None,
        anchor: int | None = None,
        cells: Cells | None = None,
        tried: np.ndarray | None = None,
    ) -> np.ndarray | None:
        """A TPE proposal in the unit cube, or None while the space has fewer than
        ``min_complete`` (default ``n_startup_trials``) completed trials. Rows count when they
        hold some parameter of ``space``, or column ``anchor`` when given. ``tried``: sorted keys
        (``cells.seen``) of configurations not to propose while an untried one is left."""
        X, value, state, _ = self._cache.rows(history, space, exclude=ctx.trial_number)
        informative = ~np.isnan(X).all(axis=1) if anchor is None else ~np.isnan(X[:, anchor])
        done = (state == COMPLETE) & informative
        n_done = int(done.sum())
        if n_done == 0 or n_done < (self.n_startup_trials if min_complete is None else min_complete):
            return None
        y = value[done] * (1.0 if ctx.direction == "minimize" else -1.0)
        bad = X[(state != COMPLETE) & informative]
        cols = _columns(tuple(space.values()))
        return _parzen.propose(
            X[done], y, bad, cols, ctx.rng, n_candidates=self.n_candidates, gamma=self.gamma, cells=cells, tried=tried
        )
