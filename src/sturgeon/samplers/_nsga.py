"""NSGA-II and NSGA-III: elitist genetic search over the history, for one or many objectives.

There are no generations to remember. For each new trial the parent population is rebuilt
from the history: the best ``population_size`` COMPLETE trials, ranked by constrained
domination (Deb, 2000: feasible trials before infeasible ones, infeasible ones by their total
violation, ``_pareto.violation``), then by non-dominated front, and within the last front
that fits

* NSGA-II (Deb et al., 2002): by crowding distance, so the population spreads along the front;
* NSGA-III (Deb & Jain, 2014): by reference-point niching. The objectives are normalized (the
  ideal point, the hyperplane through the extreme points), every trial is associated with the
  nearest Das-Dennis reference direction (perpendicular distance), and the trials of the last
  front go, one at a time, to the direction with the fewest members so far. That keeps many
  objectives (3 and more) spread where crowding distance no longer does.

Two binary tournaments (``ctx.rng``) pick the parents; the child is bred in the unit-cube
encoding (``Distribution.encode`` / ``decode``): with probability ``crossover_prob`` a
crossover of the numeric dimensions (BLX-0.5 by default, or SBX / uniform) and a uniform one
of the categoricals (``swapping_prob``: the chance to take the second parent's choice), then
a mutation of each dimension with probability ``mutation_prob`` (default 1 / d): polynomial
for numbers, a fresh draw for categoricals (a child that would copy a parent mutates in one
dimension). Each such trial records its parents' numbers (system attribute ``nsga:parents``).
The population is the whole state, and it is a
function of the history, so a resumed study goes on exactly, and parallel workers (each trial
draws from its own generator) breed different children of the same population.

Until ``population_size`` trials are COMPLETE the trials come from the study's scrambled
Sobol design (a space-filling start). The joint space is the one the trial was asked with,
else the parameters every completed trial shares; a parameter outside it (define-by-run,
conditional branches) takes a Sobol value during the start and a random one after.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from itertools import combinations
from typing import Any, Literal

import numpy as np

from sturgeon._exceptions import InvalidValueError, NotSupportedError
from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon._optuna import optuna_kwargs
from sturgeon._pareto import as_losses, crowding_distance, pareto_mask, violation
from sturgeon.samplers._base import BaseSampler, SampleContext
from sturgeon.samplers._observations import encode_row, infer_intersection_space
from sturgeon.samplers._qmc import QMCSampler
from sturgeon.space import Categorical, Distribution

__all__ = ["NSGAIIISampler", "NSGAIISampler", "breed", "das_dennis", "default_divisions", "survivors"]

Crossover = Literal["sbx", "uniform", "blx"]
_CROSSOVERS = ("sbx", "uniform", "blx")
_ETA_CROSSOVER = 15.0  # SBX distribution index: children near their parents, as usual
_ETA_MUTATION = 20.0  # polynomial mutation distribution index
_BLX_ALPHA = 0.5
_PARENTS_ATTR = "nsga:parents"


# -- the numerics: plain functions of arrays --------------------------------------------------
def das_dennis(m: int, divisions: int) -> np.ndarray:
    """Das and Dennis's reference points: every point of the unit simplex in ``m`` dimensions
    whose coordinates are multiples of ``1 / divisions``; shape (C(divisions + m - 1, m - 1), m)."""
    points = []
    for bars in combinations(range(divisions + m - 1), m - 1):  # stars and bars
        edges = (-1, *bars, divisions + m - 1)
        points.append([edges[i + 1] - edges[i] - 1 for i in range(m)])
    return np.asarray(points, dtype=float).reshape(-1, m) / max(divisions, 1)


def default_divisions(m: int, population_size: int) -> int:
    """The most divisions whose Das-Dennis set has no more points than the population (>= 1)."""
    if m < 2:
        return 1
    p = 1
    while math.comb(p + 1 + m - 1, m - 1) <= population_size:
        p += 1
    return p


def _normalized(Y: np.ndarray) -> np.ndarray:
    """Losses translated to the ideal point and divided by the intercepts of the hyperplane
    through the extreme points (per axis, the point with the smallest achievement scalarizing
    function); by the worst value per objective where that plane is degenerate."""
    F = Y - Y.min(axis=0)
    m = F.shape[1]
    worst = F.max(axis=0)
    fallback = np.where(worst > 1e-12, worst, 1.0)
    weights = np.full((m, m), 1e-6)
    np.fill_diagonal(weights, 1.0)
    asf = np.max(F[:, None, :] / weights[None, :, :], axis=2)  # (n, m): row i, axis j
    extremes = F[np.argmin(asf, axis=0)]
    try:
        intercepts = 1.0 / np.linalg.solve(extremes, np.ones(m))
    except np.linalg.LinAlgError:
        intercepts = fallback
    bad = ~np.isfinite(intercepts) | (intercepts <= 1e-12)
    intercepts = np.where(bad, fallback, intercepts)
    return np.asarray(F / intercepts)


def _associate(Fn: np.ndarray, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's nearest reference direction and its perpendicular distance to it."""
    unit = refs / np.linalg.norm(refs, axis=1, keepdims=True)
    along = Fn @ unit.T
    d2 = np.sum(Fn**2, axis=1, keepdims=True) - along**2
    dist = np.sqrt(np.clip(d2, 0.0, None))
    nearest = np.argmin(dist, axis=1)
    return nearest, dist[np.arange(len(Fn)), nearest]


def _niche(
    nearest: np.ndarray, dist: np.ndarray, kept: np.ndarray, last: np.ndarray, k: int, n_refs: int, rng: Any
) -> np.ndarray:
    """``k`` of the ``last`` front's rows by niching: repeatedly the least crowded direction
    (members among ``kept`` and those chosen so far, ties at random) takes its nearest
    candidate when it has no member yet, else a random one of its candidates."""
    count = np.bincount(nearest[kept], minlength=n_refs)
    left = list(last)
    open_ = np.zeros(n_refs, dtype=bool)
    open_[np.unique(nearest[last])] = True
    chosen: list[int] = []
    while len(chosen) < k:
        least = np.flatnonzero(open_ & (count == count[open_].min()))
        j = int(least[rng.integers(len(least))])
        members = [i for i in left if nearest[i] == j]
        if not members:
            open_[j] = False
            continue
        pick = min(members, key=lambda i: dist[i]) if count[j] == 0 else members[rng.integers(len(members))]
        chosen.append(pick)
        left.remove(pick)
        count[j] += 1
        if not any(nearest[i] == j for i in left):
            open_[j] = False
    return np.asarray(chosen, dtype=int)


def _dominated_counts(Y: np.ndarray) -> np.ndarray:
    """For each row, how many rows dominate it (in blocks of rows, to bound the memory)."""
    n, m = Y.shape
    counts = np.zeros(n, dtype=int)
    for start in range(0, n, 256):
        block = Y[start : start + 256]
        no_worse = np.ones((len(block), n), dtype=bool)
        better = np.zeros((len(block), n), dtype=bool)
        for j in range(m):
            no_worse &= Y[None, :, j] <= block[:, None, j]
            better |= Y[None, :, j] < block[:, None, j]
        counts[start : start + 256] = (no_worse & better).sum(axis=1)
    return counts


def _fronts(losses: np.ndarray, rows: np.ndarray, size: int) -> list[np.ndarray]:
    """The non-dominated fronts of ``rows``, best first, until they hold ``size`` rows."""
    fronts: list[np.ndarray] = []
    if losses.shape[1] == 1:  # one objective: a front is a value
        values, front = np.unique(losses[rows, 0], return_inverse=True)
        for r in range(len(values)):
            fronts.append(rows[front == r])
            if sum(map(len, fronts)) >= size:
                break
        return fronts
    left = rows
    while len(left) and sum(map(len, fronts)) < size:
        mask = pareto_mask(losses[left])
        fronts.append(left[mask])
        left = left[~mask]
    return fronts


def survivors(
    losses: np.ndarray, viol: np.ndarray, size: int, rng: Any, refs: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The population: indices of the best ``size`` rows of ``losses`` (n, m) under
    constrained domination, and each one's tournament key (rows of (violation, front,
    -diversity); smaller is better). ``refs`` None: NSGA-II (diversity = crowding distance);
    else NSGA-III with those reference points (diversity = minus its direction's niche count)."""
    n = len(losses)
    feasible = np.flatnonzero(viol <= 0.0)
    if len(feasible) > size:
        # a row dominated by ``size`` others ranks after every front the population needs (its
        # dominators fill them), and the rows that stay keep their fronts: sort only those
        feasible = feasible[_dominated_counts(losses[feasible]) < size]
    fronts = _fronts(losses, feasible, size)
    kept = np.concatenate(fronts[:-1]) if len(fronts) > 1 else np.zeros(0, dtype=int)
    last = fronts[-1] if fronts else np.zeros(0, dtype=int)
    room = size - len(kept)
    front_of = {int(i): r for r, f in enumerate(fronts) for i in f}
    diversity: dict[int, float] = {}
    if refs is None:
        for f in fronts:
            diversity.update(zip(f.tolist(), crowding_distance(losses[f]).tolist(), strict=True))
        if len(last) > room:  # the most crowded of the last front go; ties at random
            shuffled = last[rng.permutation(len(last))]
            last = shuffled[np.argsort([-diversity[int(i)] for i in shuffled], kind="stable")][:room]
    elif len(kept) + len(last):
        pool = np.concatenate([kept, last])
        nearest, dist = np.zeros(n, dtype=int), np.zeros(n)
        nearest[pool], dist[pool] = _associate(_normalized(losses[pool]), refs)
        if len(last) > room:
            last = _niche(nearest, dist, kept, last, room, len(refs), rng)
        chosen = np.concatenate([kept, last])
        count = np.bincount(nearest[chosen], minlength=len(refs))
        diversity.update((int(i), -float(count[nearest[i]])) for i in chosen)
    chosen = np.concatenate([kept, last]).astype(int)
    if len(chosen) < size:  # too few feasible rows: the least violating of the others
        bad = np.flatnonzero(viol > 0.0)
        bad = bad[np.argsort(viol[bad], kind="stable")][: size - len(chosen)]
        chosen = np.concatenate([chosen, bad]).astype(int)
    keys = np.array(
        [
            (float(viol[i]), float(front_of.get(int(i), 0)), -diversity.get(int(i), 0.0))
            if viol[i] <= 0.0
            # an infeasible member competes by its violation only
            else (float(viol[i]), 0.0, 0.0)
            for i in chosen
        ],
        dtype=float,
    ).reshape(-1, 3)
    return chosen, keys


def _tournament(keys: np.ndarray, rng: Any) -> int:
    """Binary tournament: of two distinct random members, the one with the smaller key."""
    if len(keys) < 2:
        return 0
    a, b = (int(i) for i in rng.choice(len(keys), size=2, replace=False))
    for x, y in zip(keys[a], keys[b], strict=True):
        if x != y:
            return a if x < y else b
    return a if rng.random() < 0.5 else b


def _sbx(x1: np.ndarray, x2: np.ndarray, rng: Any) -> np.ndarray:
    """Simulated binary crossover within [0, 1], each dimension with probability 1/2; one of
    the two children, at random per dimension."""
    lo, hi = np.minimum(x1, x2), np.maximum(x1, x2)
    gap = hi - lo
    u = rng.random(len(x1))
    apply = (rng.random(len(x1)) < 0.5) & (gap > 1e-12)
    safe = np.where(gap > 1e-12, gap, 1.0)
    e = _ETA_CROSSOVER + 1.0

    def spread(room: np.ndarray) -> np.ndarray:
        alpha = 2.0 - (1.0 + 2.0 * room / safe) ** -e
        inner = np.where(u <= 1.0 / alpha, u * alpha, 1.0 / np.maximum(2.0 - u * alpha, 1e-300))
        return np.asarray(inner ** (1.0 / e))

    low_child = 0.5 * (lo + hi - spread(lo) * gap)
    high_child = 0.5 * (lo + hi + spread(1.0 - hi) * gap)
    child = np.where(rng.random(len(x1)) < 0.5, low_child, high_child)
    return np.asarray(np.clip(np.where(apply, child, x1), 0.0, 1.0))


def _polynomial(x: np.ndarray, rng: Any) -> np.ndarray:
    """Polynomial mutation of every entry of ``x`` within [0, 1]."""
    u = rng.random(len(x))
    e = _ETA_MUTATION + 1.0
    down = (2.0 * u + (1.0 - 2.0 * u) * (1.0 - x) ** e) ** (1.0 / e) - 1.0
    up = 1.0 - (2.0 * (1.0 - u) + 2.0 * (u - 0.5) * x**e) ** (1.0 / e)
    return np.asarray(np.clip(x + np.where(u < 0.5, down, up), 0.0, 1.0))


def breed(
    x1: np.ndarray,
    x2: np.ndarray,
    categorical: np.ndarray,
    rng: Any,
    *,
    crossover: Crossover = "blx",
    crossover_prob: float = 0.9,
    swapping_prob: float = 0.5,
    mutation_prob: float | None = None,
) -> np.ndarray:
    """A child of two unit-cube rows (see the module docstring); ``categorical`` marks the
    dimensions that are choices."""
    d = len(x1)
    numeric = ~categorical
    child = x1.copy()
    if rng.random() < crossover_prob:
        swap = rng.random(d) < swapping_prob
        if crossover == "sbx":
            mixed = _sbx(x1, x2, rng)
        elif crossover == "blx":
            lo, hi = np.minimum(x1, x2), np.maximum(x1, x2)
            span = (hi - lo) * _BLX_ALPHA
            mixed = np.clip(rng.uniform(lo - span, hi + span), 0.0, 1.0)
        else:
            mixed = np.where(swap, x2, x1)
        child = np.where(numeric, mixed, np.where(swap, x2, x1))
    rate = 1.0 / d if mutation_prob is None else mutation_prob
    mutate = rng.random(d) < rate
    if not mutate.any() and (np.array_equal(child, x1) or np.array_equal(child, x2)):
        mutate[rng.integers(d)] = True  # a copy of a parent would repeat a known point
    moved = np.where(categorical, rng.random(d), _polynomial(child, rng))
    return np.asarray(np.where(mutate, moved, child))


# -- the sampler ------------------------------------------------------------------------------
def _check_prob(owner: str, name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise InvalidValueError(f"{owner}: {name} must be a number in [0, 1], got {name}={value!r}")
    return float(value)


class _NSGA(BaseSampler):
    """The shared implementation: NSGA-II, or NSGA-III where ``_refs`` gives reference points."""

    multi_objective = True

    def __init__(
        self,
        *,
        population_size: int = 50,
        mutation_prob: float | None = None,
        crossover: Crossover = "blx",
        crossover_prob: float = 0.9,
        swapping_prob: float = 0.5,
        seed: int | None = None,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
        optuna_args: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(seed=seed)
        owner = type(self).__name__
        optuna_kwargs(owner, optuna_args or {})
        if (
            isinstance(population_size, bool)
            or not isinstance(population_size, (int, np.integer))
            or (population_size < 2)
        ):
            raise InvalidValueError(f"{owner}: population_size must be an int >= 2, got {population_size!r}")
        if not isinstance(crossover, str):
            raise NotSupportedError(
                f"{owner}: crossover={type(crossover).__name__}(...) is not supported: crossover objects are not "
                f"read; give one of {list(_CROSSOVERS)}"
            )
        if crossover not in _CROSSOVERS:
            raise InvalidValueError(f"{owner}: crossover must be one of {list(_CROSSOVERS)}, got {crossover!r}")
        if constraints_func is not None and not callable(constraints_func):
            raise InvalidValueError(f"{owner}: constraints_func must be a function, got {constraints_func!r}")
        self.population_size = int(population_size)
        self.mutation_prob = None if mutation_prob is None else _check_prob(owner, "mutation_prob", mutation_prob)
        self.crossover: Crossover = crossover
        self.crossover_prob = _check_prob(owner, "crossover_prob", crossover_prob)
        self.swapping_prob = _check_prob(owner, "swapping_prob", swapping_prob)
        self.constraints_func = constraints_func  # the study runs it (Optuna's place for it)
        self._qmc = QMCSampler()
        self._lock = threading.Lock()
        # a speed cache: unit-cube rows by trial number, for one space at a time
        self._rows_key: tuple[tuple[str, Distribution], ...] | None = None
        self._rows: dict[int, tuple[FrozenTrial, np.ndarray]] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(population_size={self.population_size}, seed={self.seed!r})"

    def _refs(self, m: int) -> np.ndarray | None:
        return None

    def infer_space(self, history: Sequence[FrozenTrial]) -> dict[str, Distribution]:
        return infer_intersection_space(history)

    @staticmethod
    def _scored(history: Sequence[FrozenTrial], m: int, exclude: int) -> list[FrozenTrial]:
        """The COMPLETE trials with a finite value for each of the ``m`` objectives."""
        out = []
        for t in history:
            values = t.values if t.state is TrialState.COMPLETE and t.number != exclude else None
            if values is not None and len(values) == m and all(map(math.isfinite, values)):
                out.append(t)
        return out

    def sample_joint(
        self, space: Mapping[str, Distribution], history: Sequence[FrozenTrial], ctx: SampleContext
    ) -> dict[str, Any]:
        names = sorted(n for n, d in space.items() if not d.is_single)
        if not names:
            return {}
        dists = [space[n] for n in names]
        directions = tuple(ctx.directions) or (ctx.direction,)
        m = len(directions)
        trials, rows = [], []
        key = tuple(zip(names, dists, strict=True))
        with self._lock:
            if key != self._rows_key:
                self._rows_key, self._rows = key, {}
            for t in self._scored(history, m, ctx.trial_number):
                hit = self._rows.get(t.number)
                if hit is None or hit[0] is not t:
                    hit = self._rows[t.number] = (t, encode_row(t, names, dists))
                if not np.isnan(hit[1]).any():
                    trials.append(t)
                    rows.append(hit[1])
        if len(trials) < self.population_size:
            return self._qmc.sample_joint(space, history, ctx)
        losses = as_losses([t.values for t in trials], directions)
        viol = np.array([violation(t.constraints) for t in trials])
        members, keys = survivors(losses, viol, self.population_size, ctx.rng, self._refs(m))
        first = _tournament(keys, ctx.rng)
        second = first
        for _ in range(4):  # two different parents when the tournament allows it
            second = _tournament(keys, ctx.rng)
            if second != first:
                break
        p1, p2 = int(members[first]), int(members[second])
        categorical = np.array([isinstance(d, Categorical) for d in dists])
        child = breed(
            rows[p1],
            rows[p2],
            categorical,
            ctx.rng,
            crossover=self.crossover,
            crossover_prob=self.crossover_prob,
            swapping_prob=self.swapping_prob,
            mutation_prob=self.mutation_prob,
        )
        ctx.set_system_attr(_PARENTS_ATTR, [trials[p1].number, trials[p2].number])
        return {n: d.decode(float(u)) for n, d, u in zip(names, dists, child, strict=True)}

    def sample_one(
        self, name: str, distribution: Distribution, history: Sequence[FrozenTrial], ctx: SampleContext
    ) -> Any:
        m = len(ctx.directions) or 1
        if len(self._scored(history, m, ctx.trial_number)) < self.population_size:
            return self._qmc.sample_one(name, distribution, history, ctx)
        return distribution.sample(ctx.rng)


class NSGAIISampler(_NSGA):
    """NSGA-II: constrained non-dominated sorting and crowding distance over the history.

    Args:
        population_size: the parent population, and the Sobol trials before it (default 50).
        mutation_prob: each dimension's chance to mutate (default 1 / number of parameters).
        crossover: "blx" (BLX-0.5, default: the widest search, the best hypervolumes on ZDT1
            and DTLZ2 in a few hundred trials), "sbx" (simulated binary) or "uniform", for
            the numeric parameters; categoricals always cross uniformly.
        crossover_prob: the chance that a child is a crossover, else a mutated copy (0.9).
        swapping_prob: in uniform crossover, the chance to take the second parent's value (0.5).
        seed: the study's seed is used when None.
        constraints_func: ``f(trial) -> [c1, c2, ...]``, each satisfied at <= 0 (run by the study).
        Optuna's other arguments: see docs/optuna.md.
    """

    def __init__(
        self,
        *,
        population_size: int = 50,
        mutation_prob: float | None = None,
        crossover: Crossover = "blx",
        crossover_prob: float = 0.9,
        swapping_prob: float = 0.5,
        seed: int | None = None,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
        **optuna_args: Any,
    ) -> None:
        super().__init__(
            population_size=population_size,
            mutation_prob=mutation_prob,
            crossover=crossover,
            crossover_prob=crossover_prob,
            swapping_prob=swapping_prob,
            seed=seed,
            constraints_func=constraints_func,
            optuna_args=optuna_args,
        )


class NSGAIIISampler(_NSGA):
    """NSGA-III: NSGA-II's sorting with reference-point niching instead of crowding distance,
    for three and more objectives.

    Args:
        reference_points: (k, m) points in the normalized objective space (each row >= 0, not
            all zero); default: Das-Dennis points with ``dividing_parameter`` divisions.
        dividing_parameter: divisions of the Das-Dennis simplex (default: the most that give
            no more points than ``population_size``).
        The others: as ``NSGAIISampler``.
    """

    def __init__(
        self,
        *,
        population_size: int = 50,
        mutation_prob: float | None = None,
        crossover: Crossover = "blx",
        crossover_prob: float = 0.9,
        swapping_prob: float = 0.5,
        seed: int | None = None,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
        reference_points: Any = None,
        dividing_parameter: int | None = None,
        **optuna_args: Any,
    ) -> None:
        super().__init__(
            population_size=population_size,
            mutation_prob=mutation_prob,
            crossover=crossover,
            crossover_prob=crossover_prob,
            swapping_prob=swapping_prob,
            seed=seed,
            constraints_func=constraints_func,
            optuna_args=optuna_args,
        )
        if dividing_parameter is not None and (
            isinstance(dividing_parameter, bool)
            or not isinstance(dividing_parameter, (int, np.integer))
            or dividing_parameter < 1
        ):
            raise InvalidValueError(
                f"NSGAIIISampler: dividing_parameter must be an int >= 1, got {dividing_parameter!r}"
            )
        self.dividing_parameter = None if dividing_parameter is None else int(dividing_parameter)
        self.reference_points: np.ndarray | None = None
        if reference_points is not None:
            try:
                refs = np.array(reference_points, dtype=float)
            except (TypeError, ValueError):
                refs = np.zeros((0, 0))
            if (
                refs.ndim != 2
                or not refs.size
                or not np.isfinite(refs).all()
                or (refs < 0).any()
                or (~(refs > 0).any(axis=1)).any()
            ):
                raise InvalidValueError(
                    "NSGAIIISampler: reference_points must be rows of numbers >= 0, none all zero, one number "
                    f"per objective; got {reference_points!r}"
                )
            self.reference_points = refs

    def _refs(self, m: int) -> np.ndarray:
        if self.reference_points is not None:
            if self.reference_points.shape[1] != m:
                raise InvalidValueError(
                    f"NSGAIIISampler: reference_points have {self.reference_points.shape[1]} columns; "
                    f"the study has {m} objectives"
                )
            return self.reference_points
        p = self.dividing_parameter or default_divisions(m, self.population_size)
        return das_dennis(m, p)
