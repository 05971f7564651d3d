"""Acquisition optimization over mixed continuous, ordinal and categorical dims.

``Dims`` says what each unit-cube coordinate may take: any value (continuous), or one of a
sorted array of ``levels`` (ordinal dims: integer and stepped ranges; categorical dims:
choices, whose order means nothing). ``optimize_acquisition`` then

1. scores many scrambled Sobol points plus perturbations of the best observations,
2. runs one batched L-BFGS-B from the best few, over the continuous and the relaxed
   ordinal coordinates (categorical ones held), then snaps ordinal coordinates to levels,
3. improves the discrete coordinates by coordinate-wise local search: every choice of a
   categorical dim, every level (or the nearest few) of an ordinal one.

``enumerate_points`` lists a finite space so that small ones can be scored exhaustively.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize

__all__ = ["Dims", "enumerate_points", "optimize_acquisition"]

Acquisition = Callable[[np.ndarray], np.ndarray]
AcquisitionWithGrad = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]

_FULL_SCAN_LEVELS = 32
_NEIGHBOURS = np.array([-3, -2, -1, 1, 2, 3])
DUPLICATE = 1e-2
MIN_DISTANCE = 0.1


@dataclass(frozen=True)
class Dims:
    """``levels[j]``: the sorted encodings dim ``j`` may take, or None when continuous."""

    levels: tuple[np.ndarray | None, ...]
    is_cat: np.ndarray

    @property
    def d(self) -> int:
        return len(self.levels)

    @property
    def discrete(self) -> np.ndarray:
        return np.array([lv is not None for lv in self.levels], dtype=bool)

    def size(self) -> float:
        """Number of points; ``inf`` when a dim is continuous."""
        n = 1.0
        for lv in self.levels:
            if lv is None:
                return float("inf")
            n *= lv.size
        return n

    def snap(self, U: np.ndarray) -> np.ndarray:
        """Each discrete coordinate moved to its nearest level."""
        U = U.copy()
        for j, lv in enumerate(self.levels):
            if lv is not None:
                U[:, j] = lv[_nearest(lv, U[:, j])]
        return U


def _nearest(lv: np.ndarray, u: np.ndarray) -> np.ndarray:
    if lv.size == 1:
        return np.zeros(u.shape, dtype=int)
    return np.searchsorted((lv[1:] + lv[:-1]) / 2, u)


def enumerate_points(dims: Dims) -> np.ndarray:
    """Every point of a finite space, shape (size, d)."""
    levels = [lv for lv in dims.levels if lv is not None]
    if len(levels) != dims.d:
        raise ValueError("enumerate_points: the space has a continuous dimension")
    return np.array(list(itertools.product(*levels)), dtype=float).reshape(-1, dims.d)


def _sobol(n: int, lower: np.ndarray, upper: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from scipy.stats import qmc  # here, not at import: scipy.stats takes a third of a second to load

    engine = qmc.Sobol(lower.size, scramble=True, seed=rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lower + (upper - lower) * engine.random(n)


def _perturb(
    anchors: np.ndarray, n: int, dims: Dims, lower: np.ndarray, upper: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Gaussian moves around ``anchors`` at log-uniform scales; categorical dims re-drawn at
    random with probability 1 / (number of categorical dims)."""
    idx = rng.integers(len(anchors), size=n)
    scale = 10.0 ** rng.uniform(-2.5, -0.5, size=(n, 1))
    X = anchors[idx] + rng.standard_normal((n, dims.d)) * scale
    cats = np.flatnonzero(dims.is_cat)
    if cats.size:
        flip = rng.random((n, cats.size)) < 1.0 / cats.size
        for c, j in enumerate(cats):
            lv = dims.levels[j]
            assert lv is not None
            X[flip[:, c], j] = lv[rng.integers(lv.size, size=int(flip[:, c].sum()))]
    return np.clip(X, lower, upper)


def _lbfgsb(
    fg: AcquisitionWithGrad, starts: np.ndarray, free: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """Maximize from every start at once: the objective is the sum over starts, whose
    gradient separates, so one L-BFGS-B run moves all of them."""
    k, nf = starts.shape[0], int(free.sum())

    def fun(z: np.ndarray) -> tuple[float, np.ndarray]:
        U = starts.copy()
        U[:, free] = z.reshape(k, nf)
        v, g = fg(U)
        return -float(v.sum()), -g[:, free].ravel()

    bounds = list(zip(np.tile(lower[free], k), np.tile(upper[free], k), strict=True))
    res = optimize.minimize(
        fun, starts[:, free].ravel(), jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 200}
    )
    out = starts.copy()
    out[:, free] = np.clip(res.x.reshape(k, nf), lower[free], upper[free])
    return out


def _local_search(
    f: Acquisition,
    dims: Dims,
    X: np.ndarray,
    vals: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    sweeps: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Coordinate-wise improvement of the discrete coordinates of every row of ``X``."""
    X, vals = X.copy(), vals.copy()
    k = X.shape[0]
    for _ in range(sweeps):
        improved = False
        for j, lv in enumerate(dims.levels):
            if lv is None:
                continue
            lv = lv[(lv >= lower[j] - 1e-12) & (lv <= upper[j] + 1e-12)]
            if lv.size < 2:
                continue
            if lv.size <= _FULL_SCAN_LEVELS or dims.is_cat[j]:
                options = np.broadcast_to(lv, (k, lv.size))
            else:
                at = _nearest(lv, X[:, j])
                options = lv[np.clip(at[:, None] + _NEIGHBOURS, 0, lv.size - 1)]
            m = options.shape[1]
            V = np.repeat(X, m, axis=0)
            V[:, j] = options.ravel()
            s = f(V).reshape(k, m)
            best = s.argmax(1)
            gain = s[np.arange(k), best] > vals + 1e-12
            if gain.any():
                improved = True
                X[gain, j] = options[gain, best[gain]]
                vals[gain] = s[gain, best[gain]]
        if not improved:
            break
    return X, vals


def optimize_acquisition(
    f: Acquisition,
    fg: AcquisitionWithGrad,
    dims: Dims,
    rng: np.random.Generator,
    *,
    anchors: np.ndarray,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    n_sobol: int = 1024,
    n_local: int = 512,
    n_starts: int = 8,
    exclude: Callable[[np.ndarray], np.ndarray] | None = None,
    distance: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, float]:
    """The best point found for the acquisition ``f`` (``fg`` adds its gradient) inside
    ``[lower, upper]``. ``anchors``: good points to search around (rows in the box or not).
    ``exclude``: for rows (m, d), a mask (m,) of those that must not be returned (visited
    configurations) while another candidate is left; the caller sees whether one was left
    by calling it on the result. ``distance``: each row's distance to the nearest observation;
    when the best point would repeat one (closer than ``DUPLICATE``), the model has nothing
    left to gain there, and the best candidate at least ``MIN_DISTANCE`` away is taken."""
    d = dims.d
    lower = np.zeros(d) if lower is None else lower
    upper = np.ones(d) if upper is None else upper
    parts = [_sobol(n_sobol, lower, upper, rng)]
    if len(anchors):
        parts.append(np.clip(anchors, lower, upper))
        parts.append(_perturb(anchors, n_local, dims, lower, upper, rng))
    cand = dims.snap(np.vstack(parts))
    vals = f(cand)
    order = np.argsort(-vals, kind="stable")
    _, first = np.unique(cand[order[: 8 * n_starts]], axis=0, return_index=True)
    top = order[np.sort(first)[:n_starts]]
    starts, svals = cand[top], vals[top]
    free = ~dims.is_cat & (upper > lower)
    if free.any():
        moved = dims.snap(_lbfgsb(fg, starts, free, lower, upper))
        mvals = f(moved)
        better = mvals > svals
        starts[better], svals[better] = moved[better], mvals[better]
    if dims.discrete.any():
        starts, svals = _local_search(f, dims, starts, svals, lower, upper, sweeps=3 if free.any() else 6)
    allX, allv = np.vstack([starts, cand]), np.concatenate([svals, vals])
    order = np.argsort(-allv, kind="stable")
    if exclude is not None:
        allowed = ~exclude(allX[order])
        if allowed.any():
            order = order[allowed]
    if distance is not None and distance(allX[order[:1]])[0] < DUPLICATE:
        far = np.flatnonzero(distance(allX[order]) >= MIN_DISTANCE)
        if far.size:
            order = order[far]
    return allX[order[0]], float(allv[order[0]])
