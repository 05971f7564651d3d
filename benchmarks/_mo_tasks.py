"""Multi-objective benchmark tasks for ``benchmarks/multiobjective.py``: every objective MINIMIZED.

A task is a search space (``Param``s from ``_tasks.py``) and ``evaluate(params) -> tuple`` of
objective values, a fixed hypervolume ``reference`` point (the same for every method and seed)
and, for the constrained task, ``constraints(values) -> list`` (feasible when all <= 0).

Synthetic tasks (6 variables each, in [0, 1]):

* ZDT1, ZDT2, ZDT3 (Zitzler, Deb & Thiele, 2000) with n = 6 variables instead of the usual 30:
  the runs have 50-200 trials. In a probe with 8 variables, random search, Optuna's NSGA-II
  and both TPEs still had no point inside the reference box [1.1, 1.1] after 100 trials (only
  the GP methods had), and 30 variables push the box further away and make every GP trial an
  acquisition search in 30 dimensions. With 6, the non-GP methods reach the box within 200
  trials and Optuna's GP costs 0.25-0.3 s a trial. Reference [1.1, 1.1]: random points have f2
  up to ~10, those outside the box add nothing.
* DTLZ2 (Deb, Thiele, Laumanns & Zitzler, 2002), 3 objectives, k = 4 distance variables
  (n = 3 + 4 - 1 = 6), reference [1.1, 1.1, 1.1]; front: the unit sphere's positive octant.
* C2-DTLZ2 (Jain & Deb, 2014): DTLZ2 as above plus one constraint on the objective values,
  r = 0.4 as published for 3 objectives: feasible only within r of the sphere's three corners
  or of its centre point (1, 1, 1)/sqrt(3), so most of the space is infeasible.

Known best hypervolumes (``best_hypervolume``): ZDT1 0.1 + 2/3 + 0.11, ZDT2 0.1 + 1/3 + 0.11
(exact), ZDT3 from 200,000 points of its front (the 2-D staircase, exact up to that grid),
DTLZ2 1.1^3 - pi/6 (exact), C2-DTLZ2 from two grids of the feasible parts of the sphere, extrapolated
(an estimate; the benchmark takes the larger of it and every run's feasible points together).

Real tasks (scikit-learn models on data sets that ship with scikit-learn, one fixed
train/validation split each, ``random_state=0`` everywhere, so a value is a pure function of
the parameters; floats are rounded to 4 significant digits and the results memoized, as in
``_tasks.py``); the second objective is a deterministic size, not a wall time:

* rf_cancer: a random forest on breast cancer (398 train / 171 validation rows): validation
  error against log10(total number of tree nodes). Reference [0.4, 4.5]: 0.4 is just above
  the error of always answering the majority class (0.374); 4.5 above log10 of the largest
  possible forest (32 trees of at most 2 * 398 - 1 nodes: 4.41).
* mlp_digits: an MLP on digits (600 train / 540 validation rows, 20 epochs of Adam): validation
  error against log10(number of weights and biases). Reference [0.5, 4.0]: a model wrong on
  half the digits is no trade-off anyone keeps; 4.0 above the largest net (2 x 64: 3.95).

The best front of a real task is unknown: the benchmark uses the hypervolume of all points any
method found in the run (``best_hypervolume`` returns None).

Only numpy at import time; scikit-learn is imported when a real task is first evaluated.
"""

from __future__ import annotations

import functools
import itertools
import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from _tasks import Param

__all__ = [
    "MOTask",
    "TASKS",
    "best_hypervolume",
    "c2dtlz2_constraint",
    "dtlz2",
    "get_task",
    "make_tasks",
    "zdt",
]

N_ZDT = 6  # ZDT variables (see the module docstring)
DTLZ_K = 4  # DTLZ2 distance variables: n = 3 + DTLZ_K - 1
C2_R = 0.4  # C2-DTLZ2's radius for 3 objectives (Jain & Deb, 2014)


@dataclass
class MOTask:
    """Objectives to minimize over ``space``; ``reference`` bounds the hypervolume."""

    name: str
    kind: str  # "synthetic" or "real"
    description: str
    space: dict[str, Param]
    func: Callable[[Mapping[str, Any]], tuple[float, ...]]
    reference: tuple[float, ...]
    constraints: Callable[[Sequence[float]], list[float]] | None = None
    memoize: bool = False
    _cache: dict[tuple[Any, ...], tuple[float, ...]] = field(default_factory=dict, repr=False)
    n_calls: int = 0  # calls of ``evaluate`` since ``reset_counters``
    calls_s: float = 0.0  # seconds in them (cache lookups included)
    n_computed: int = 0  # calls that ran the function (memo misses)

    @property
    def n_objectives(self) -> int:
        return len(self.reference)

    @property
    def constrained(self) -> bool:
        return self.constraints is not None

    def reset_counters(self) -> None:
        self.n_calls, self.calls_s, self.n_computed = 0, 0.0, 0

    def check(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters as plain Python values (floats of memoized tasks rounded to 4
        significant digits, a hair outside the range clipped); ValueError when one is missing
        or outside its range (a bug in a method's wrapper)."""
        clean: dict[str, Any] = {}
        for name, p in self.space.items():
            if name not in params:
                raise ValueError(f"{self.name}: parameter {name!r} missing")
            v = params[name]
            if p.kind == "int":
                if float(v) != int(v) or not p.low <= int(v) <= p.high:
                    raise ValueError(f"{self.name}: {name}={v!r} is not an int in [{p.low}, {p.high}]")
                clean[name] = int(v)
                continue
            v = float(v)
            tol = 1e-9 * (p.high - p.low)
            if not p.low - tol <= v <= p.high + tol:
                raise ValueError(f"{self.name}: {name}={v!r} is outside [{p.low}, {p.high}]")
            v = min(max(v, p.low), p.high)
            clean[name] = min(max(float(f"{v:.4g}"), p.low), p.high) if self.memoize else v
        return clean

    def evaluate(self, params: Mapping[str, Any]) -> tuple[float, ...]:
        """The objective values at ``params`` (extra keys are ignored)."""
        t0 = time.perf_counter()
        try:
            clean = self.check(params)
            key = tuple(clean[k] for k in sorted(clean)) if self.memoize else None
            if key is not None and key in self._cache:
                return self._cache[key]
            values = tuple(float(v) for v in self.func(clean))
            self.n_computed += 1
            if key is not None:
                self._cache[key] = values
            return values
        finally:
            self.n_calls += 1
            self.calls_s += time.perf_counter() - t0


# -- synthetic ---------------------------------------------------------------------------------
def _unit_vector(params: Mapping[str, Any], n: int) -> np.ndarray:
    return np.array([params[f"x{i}"] for i in range(n)], dtype=float)


def zdt(which: int, x: np.ndarray) -> tuple[float, float]:
    """ZDT1 / ZDT2 / ZDT3 at ``x`` in [0, 1]^n."""
    f1 = float(x[0])
    g = 1.0 + 9.0 * float(np.mean(x[1:]))
    h = f1 / g
    if which == 1:
        f2 = g * (1.0 - math.sqrt(h))
    elif which == 2:
        f2 = g * (1.0 - h * h)
    else:
        f2 = g * (1.0 - math.sqrt(h) - h * math.sin(10.0 * math.pi * f1))
    return f1, f2


def dtlz2(x: np.ndarray, m: int = 3) -> tuple[float, ...]:
    """DTLZ2 with ``m`` objectives at ``x`` in [0, 1]^n (n >= m)."""
    g = float(np.sum((x[m - 1 :] - 0.5) ** 2))
    angles = x[: m - 1] * (math.pi / 2)
    out = []
    for i in range(m):
        f = 1.0 + g
        for a in angles[: m - 1 - i]:
            f *= math.cos(a)
        if i > 0:
            f *= math.sin(angles[m - 1 - i])
        out.append(f)
    return tuple(out)


def c2dtlz2_constraint(f: Sequence[float], r: float = C2_R) -> list[float]:
    """C2-DTLZ2's constraint (<= 0 feasible): inside the ball of radius ``r`` around one of the
    unit vectors or around the centre point of the front, (1, ..., 1) / sqrt(m)."""
    y = np.asarray(f, dtype=float)
    total = float(np.sum(y * y))
    corners = min((y[i] - 1.0) ** 2 + total - y[i] ** 2 - r * r for i in range(len(y)))
    centre = float(np.sum((y - 1.0 / math.sqrt(len(y))) ** 2)) - r * r
    return [min(corners, centre)]


def _zdt_task(which: int) -> MOTask:
    n = N_ZDT
    fronts = {1: "convex", 2: "concave", 3: "disconnected"}
    return MOTask(
        name=f"zdt{which}",
        kind="synthetic",
        description=f"ZDT{which}, {n} variables in [0, 1], {fronts[which]} front; reference [1.1, 1.1]",
        space={f"x{i}": Param.float(0.0, 1.0) for i in range(n)},
        func=lambda p: zdt(which, _unit_vector(p, n)),
        reference=(1.1, 1.1),
    )


def _dtlz2_task(constrained: bool) -> MOTask:
    n = 3 + DTLZ_K - 1
    name = "c2dtlz2" if constrained else "dtlz2"
    what = f"C2-DTLZ2 (r = {C2_R}: feasible near the front's corners and centre)" if constrained else "DTLZ2"
    return MOTask(
        name=name,
        kind="synthetic",
        description=f"{what}, 3 objectives, {n} variables in [0, 1]; reference [1.1, 1.1, 1.1]",
        space={f"x{i}": Param.float(0.0, 1.0) for i in range(n)},
        func=lambda p: dtlz2(_unit_vector(p, n)),
        reference=(1.1, 1.1, 1.1),
        constraints=c2dtlz2_constraint if constrained else None,
    )


def _hv_2d_front(F: np.ndarray, ref: Sequence[float]) -> float:
    """Hypervolume of many 2-D points, vectorized: their staircase below ``ref``."""
    F = F[np.all(np.asarray(ref) > F, axis=1)]
    F = F[np.lexsort((F[:, 1], F[:, 0]))]
    keep = F[:, 1] < np.concatenate([[np.inf], np.minimum.accumulate(F[:, 1])[:-1]])
    F = F[keep]
    right = np.concatenate([F[1:, 0], [ref[0]]])
    return float(np.sum((right - F[:, 0]) * (ref[1] - F[:, 1])))


@functools.cache
def best_hypervolume(name: str) -> float | None:
    """The hypervolume of the task's known front against its reference (see the module
    docstring); None for the real tasks."""
    if name == "zdt1":
        return 0.1 + 2.0 / 3.0 + 0.11
    if name == "zdt2":
        return 0.1 + 1.0 / 3.0 + 0.11
    if name == "zdt3":
        f1 = np.linspace(0.0, 1.0, 200_001)
        f2 = 1.0 - np.sqrt(f1) - f1 * np.sin(10.0 * math.pi * f1)
        return _hv_2d_front(np.column_stack([f1, f2]), (1.1, 1.1))
    if name == "dtlz2":
        return 1.1**3 - math.pi / 6.0
    if name == "c2dtlz2":
        # the feasible points of two grids on the sphere; a grid's staircase falls short of the
        # front by about c / k (k points per angle), so the two extrapolate (Richardson); the same
        # on DTLZ2's whole octant gives 0.80763 against the exact 0.80740
        coarse, fine = _c2_grid_hypervolume(31), _c2_grid_hypervolume(61)
        return (61 * fine - 31 * coarse) / 30
    return None


def _c2_grid_hypervolume(k: int) -> float:
    from sturgeon._pareto import hypervolume

    a = np.linspace(0.0, 1.0, k) * (math.pi / 2)
    A, B = np.meshgrid(a, a)
    F = np.column_stack([(np.cos(A) * np.cos(B)).ravel(), (np.cos(A) * np.sin(B)).ravel(), np.sin(A).ravel()])
    feasible = np.array([c2dtlz2_constraint(f)[0] <= 0.0 for f in F])
    return hypervolume(F[feasible], (1.1, 1.1, 1.1))


# -- real --------------------------------------------------------------------------------------
@functools.cache
def _split(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_breast_cancer, load_digits
    from sklearn.model_selection import train_test_split

    if name == "cancer":
        X, y = load_breast_cancer(return_X_y=True)
        return tuple(train_test_split(X, y, test_size=0.3, random_state=0, stratify=y))  # type: ignore[return-value]
    X, y = load_digits(return_X_y=True)
    X_tr, X_va, y_tr, y_va = train_test_split(X / 16.0, y, test_size=0.3, random_state=0, stratify=y)
    return X_tr[:600], X_va, y_tr[:600], y_va


def _rf_cancer(p: Mapping[str, Any]) -> tuple[float, float]:
    from sklearn.ensemble import RandomForestClassifier

    X_tr, X_va, y_tr, y_va = _split("cancer")
    model = RandomForestClassifier(
        n_estimators=p["n_estimators"],
        max_depth=p["max_depth"],
        min_samples_leaf=p["min_samples_leaf"],
        max_features=p["max_features"],
        random_state=0,
        n_jobs=1,
    ).fit(X_tr, y_tr)
    error = 1.0 - float(model.score(X_va, y_va))
    nodes = sum(int(t.tree_.node_count) for t in model.estimators_)
    return error, math.log10(nodes)


def mlp_size(layers: int, width: int, n_in: int = 64, n_out: int = 10) -> int:
    """Weights and biases of an MLP with ``layers`` hidden layers of ``width`` units."""
    sizes = [n_in, *([width] * layers), n_out]
    return sum(a * b + b for a, b in itertools.pairwise(sizes))


def _mlp_digits(p: Mapping[str, Any]) -> tuple[float, float]:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X_tr, X_va, y_tr, y_va = _split("digits")
    model = MLPClassifier(
        hidden_layer_sizes=(p["width"],) * p["layers"],
        alpha=p["alpha"],
        learning_rate_init=p["learning_rate_init"],
        max_iter=20,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_tr, y_tr)
    error = 1.0 - float(model.score(X_va, y_va))
    return error, math.log10(mlp_size(p["layers"], p["width"]))


def make_tasks() -> dict[str, MOTask]:
    """Fresh task objects (each with its own memo cache), by name, in benchmark order."""
    tasks = [
        _zdt_task(1),
        _zdt_task(2),
        _zdt_task(3),
        _dtlz2_task(constrained=False),
        MOTask(
            name="rf_cancer",
            kind="real",
            description="random forest on breast cancer: validation error vs log10(tree nodes); reference [0.4, 4.5]",
            space={
                "n_estimators": Param.int(1, 32, log=True),
                "max_depth": Param.int(1, 16),
                "min_samples_leaf": Param.int(1, 32, log=True),
                "max_features": Param.float(0.05, 1.0),
            },
            func=_rf_cancer,
            reference=(0.4, 4.5),
            memoize=True,
        ),
        MOTask(
            name="mlp_digits",
            kind="real",
            description="MLP on digits: validation error vs log10(weights + biases); reference [0.5, 4.0]",
            space={
                "layers": Param.int(1, 2),
                "width": Param.int(2, 64, log=True),
                "alpha": Param.float(1e-6, 1e-1, log=True),
                "learning_rate_init": Param.float(1e-4, 3e-2, log=True),
            },
            func=_mlp_digits,
            reference=(0.5, 4.0),
            memoize=True,
        ),
        _dtlz2_task(constrained=True),
    ]
    return {t.name: t for t in tasks}


TASKS = tuple(make_tasks())
_PROCESS_TASKS: dict[str, MOTask] = {}


def get_task(name: str) -> MOTask:
    """This process's task object of that name (its memo cache lives as long as the process)."""
    if name not in _PROCESS_TASKS:
        _PROCESS_TASKS[name] = make_tasks()[name]
    return _PROCESS_TASKS[name]
