"""Parzen estimators and the TPE proposal, as plain functions of unit-cube arrays.

Every parameter is a column of the unit-cube encoding (``Distribution.encode``). A column is
one of four kinds:

* ``CONTINUOUS``: a Float range (log ranges are already log-encoded);
* ``GRID``: a stepped Float or a linear Int: ``m`` equal cells, values at the cell centres;
* ``LOG_INT``: a log-scaled Int: cells of unequal width, values at ``encode(v)``;
* ``CATEGORICAL``: ``m`` unordered choices at the cell centres.

A Parzen estimator is a weighted mixture of product kernels, one per observation plus a flat
prior kernel. Numeric columns get a Gaussian truncated to [0, 1]; a discrete column's draws are
snapped to its legal points and its density is read at them (kernels there are at least half a
cell wide, so that density tracks the cell's mass). A categorical column gets a kernel that
keeps probability ``stick`` on the observed choice and spreads the rest evenly. A NaN centre
(a parameter a trial lacks) is flat in that column.

``log_pdf`` turns all columns into one matrix product: the squared distance of a Gaussian
expands into terms in ``x**2`` and ``x`` and a categorical kernel into a one-hot match, so
scoring ``C`` candidates against ``K`` kernels is one (C x D) @ (D x K) product plus a
log-sum-exp, with no Python loop over kernels.

``propose`` can be told which configurations were tried (their ``_cells`` keys): it then
skips tried draws, and scores untried points when every draw was tried.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from sturgeon.samplers._cells import Cells, is_seen

__all__ = [
    "CATEGORICAL",
    "CONTINUOUS",
    "GRID",
    "LIST_UNTRIED",
    "LOG_INT",
    "Columns",
    "Parzen",
    "fit_parzen",
    "log_pdf",
    "n_good",
    "propose",
    "sample",
    "snap",
]

CONTINUOUS, GRID, LOG_INT, CATEGORICAL = 0, 1, 2, 3
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_SMALL_GEMM = 1 << 18  # OpenBLAS computes a GEMM of m * n * k <= 4 * 65536 on one thread


@dataclass(frozen=True)
class Columns:
    """What each encoded column is. ``size``: cells (GRID) or choices (CATEGORICAL), else 0;
    ``low`` / ``high``: the Int bounds and ``log_a`` / ``log_b`` the log-cell bounds of LOG_INT."""

    kind: np.ndarray
    size: np.ndarray
    low: np.ndarray
    high: np.ndarray
    log_a: np.ndarray
    log_b: np.ndarray

    @property
    def numeric(self) -> np.ndarray:
        return np.asarray(self.kind != CATEGORICAL)

    @property
    def categorical(self) -> np.ndarray:
        return np.asarray(self.kind == CATEGORICAL)


@dataclass(frozen=True)
class Parzen:
    """A mixture of ``K`` product kernels over ``d`` columns. ``mu`` NaN = flat in that column;
    ``sigma`` is used by numeric columns and ``stick`` by categorical ones; ``weights`` sum to 1."""

    mu: np.ndarray
    sigma: np.ndarray
    stick: np.ndarray
    weights: np.ndarray


def _log_int_value(u: np.ndarray, cols: Columns, j: np.ndarray) -> np.ndarray:
    a, b = cols.log_a[j], cols.log_b[j]
    return np.clip(np.round(np.exp(a + u * (b - a))), cols.low[j], cols.high[j])


def snap(U: np.ndarray, cols: Columns) -> np.ndarray:
    """Move each entry of ``U`` (n, d) to the encoding of the legal value it decodes to."""
    U = np.clip(U, 0.0, 1.0)
    cells = (cols.kind == GRID) | (cols.kind == CATEGORICAL)
    if cells.any():
        m = cols.size[cells]
        k = np.minimum(np.floor(U[:, cells] * m), m - 1)
        U[:, cells] = (k + 0.5) / m
    logs = np.flatnonzero(cols.kind == LOG_INT)
    if logs.size:
        v = _log_int_value(U[:, logs], cols, logs)
        a, b = cols.log_a[logs], cols.log_b[logs]
        U[:, logs] = (np.log(v) - a) / (b - a)
    return U


def _min_sigma(mu: np.ndarray, cols: Columns, floor: float) -> np.ndarray:
    """The smallest kernel width per (kernel, column): ``floor``, and half a cell for discrete ones."""
    out = np.full(mu.shape, floor)
    grid = cols.kind == GRID
    if grid.any():
        out[:, grid] = np.maximum(floor, 0.5 / cols.size[grid])
    logs = np.flatnonzero(cols.kind == LOG_INT)
    if logs.size:
        u = np.nan_to_num(mu[:, logs], nan=0.5)
        v = _log_int_value(u, cols, logs)
        width = (np.log(v + 0.5) - np.log(v - 0.5)) / (cols.log_b[logs] - cols.log_a[logs])
        out[:, logs] = np.maximum(floor, 0.5 * width)
    return out


def _neighbour_sigma(X: np.ndarray, cols: Columns) -> np.ndarray:
    """Per (kernel, numeric column): the larger gap to the sorted neighbours (hyperopt's rule),
    the range ends counting as neighbours except that the outermost points use their inner gap."""
    out = np.ones(X.shape)
    for j in np.flatnonzero(cols.numeric):
        ok = np.flatnonzero(~np.isnan(X[:, j]))
        if ok.size == 0:
            continue
        order = ok[np.argsort(X[ok, j], kind="stable")]
        s = np.concatenate(([0.0], X[order, j], [1.0]))
        gaps = np.maximum(s[1:-1] - s[:-2], s[2:] - s[1:-1])
        if order.size >= 2:
            gaps[0] = s[2] - s[1]
            gaps[-1] = s[-2] - s[-3]
        out[order, j] = gaps
    return out


def fit_parzen(X: np.ndarray, w: np.ndarray, cols: Columns, *, prior_weight: float, min_sigma: float) -> Parzen:
    """Kernels on the rows of ``X`` (n, d) with weights ``w`` (n,), plus a flat prior kernel
    weighing ``prior_weight`` against the observations' ``n``.

    Numeric widths follow hyperopt's rule (the larger gap to the sorted neighbours), clipped to
    [``min_sigma`` (half a cell for discrete columns), 1]. A categorical kernel keeps
    1 / (1 + prior_weight * m / (n + 1)) of its mass on the observed choice (Optuna's smoothing).
    """
    n, d = X.shape
    sig = np.clip(_neighbour_sigma(X, cols), _min_sigma(X, cols, min_sigma), 1.0)
    m = np.where(cols.categorical, cols.size, 1).astype(float)
    stick = np.broadcast_to(1.0 / (1.0 + prior_weight * m / (n + 1)), (n, d))
    mu = np.vstack([X, np.full((1, d), np.nan)])
    sigma = np.vstack([sig, np.ones((1, d))])
    stick = np.vstack([stick, np.zeros((1, d))])
    weights = np.append(w / w.sum() * n, prior_weight) if n else np.ones(1)
    return Parzen(mu, sigma, stick, weights / weights.sum())


def sample(p: Parzen, cols: Columns, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` draws (size, d) from the mixture, snapped to legal points."""
    k = rng.choice(p.weights.size, size=size, p=p.weights)
    mu, sigma, stick = p.mu[k], p.sigma[k], p.stick[k]
    r = rng.random(mu.shape)
    flat = np.isnan(mu)
    out = r.copy()
    num = ~flat & cols.numeric
    if num.any():
        m, s = mu[num], sigma[num]
        lo, hi = ndtr(-m / s), ndtr((1.0 - m) / s)
        out[num] = m + s * ndtri(lo + r[num] * (hi - lo))
    cat = ~flat & cols.categorical
    if cat.any():
        keep = rng.random(mu.shape) < stick
        chosen = cat & keep
        out[chosen] = mu[chosen]
    return snap(np.nan_to_num(out, nan=0.5), cols)


def _features(U: np.ndarray, cols: Columns) -> np.ndarray:
    num = cols.numeric
    parts = [U[:, num] ** 2, U[:, num]]
    for j in np.flatnonzero(cols.categorical):
        m = int(cols.size[j])
        idx = np.minimum((U[:, j] * m).astype(int), m - 1)
        parts.append(np.eye(m)[idx])
    return np.hstack(parts)


def _kernel_matrix(p: Parzen, cols: Columns) -> tuple[np.ndarray, np.ndarray]:
    """(D, K) coefficients of the features and (K,) constants, so that the log-density of
    kernel k at a point with features f is f @ W[:, k] + c[k]."""
    num = cols.numeric
    mu, sigma = p.mu[:, num], p.sigma[:, num]
    flat = np.isnan(mu)
    a = np.where(flat, 0.0, 1.0 / sigma**2)
    m0 = np.where(flat, 0.5, mu)
    log_z = np.log(np.maximum(ndtr((1.0 - m0) / sigma) - ndtr(-m0 / sigma), 1e-300))
    const = np.where(flat, 0.0, -0.5 * a * m0**2 - np.log(sigma) - _HALF_LOG_2PI - log_z).sum(axis=1)
    blocks = [-0.5 * a, a * m0]
    for j in np.flatnonzero(cols.categorical):
        m = int(cols.size[j])
        obs = p.mu[:, j]
        seen = ~np.isnan(obs)
        q = np.where(seen, p.stick[:, j], 0.0)
        base = np.log((1.0 - q) / m)
        bonus = np.log(q + (1.0 - q) / m) - base
        idx = np.minimum((np.nan_to_num(obs) * m).astype(int), m - 1)
        onehot = np.zeros((obs.size, m))
        onehot[np.flatnonzero(seen), idx[seen]] = bonus[seen]
        blocks.append(onehot)
        const = const + base
    with np.errstate(divide="ignore"):
        const = const + np.log(p.weights)
    return np.ascontiguousarray(np.hstack(blocks).T), const


def _matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A @ B`` in column blocks small enough that OpenBLAS runs each on one thread: its
    threads cost more than they save on products this small, and on a busy machine their
    spinning slows down everything that follows."""
    m, k = A.shape
    n = B.shape[1]
    step = max(1, _SMALL_GEMM // max(m * k, 1))
    if n <= step:
        return A @ B
    out = np.empty((m, n))
    for s in range(0, n, step):
        np.matmul(A, B[:, s : s + step], out=out[:, s : s + step])
    return out


def _logsumexp_rows(L: np.ndarray) -> np.ndarray:
    top = L.max(axis=1, keepdims=True)
    top[~np.isfinite(top)] = 0.0
    with np.errstate(divide="ignore"):
        return np.log(np.exp(L - top).sum(axis=1)) + top[:, 0]


def log_pdf(p: Parzen, U: np.ndarray, cols: Columns, features: np.ndarray | None = None) -> np.ndarray:
    """Log-density of the mixture at the rows of ``U`` (n, d) (legal points)."""
    F = _features(U, cols) if features is None else features
    W, c = _kernel_matrix(p, cols)
    L = _matmul(F, W)
    L += c
    return _logsumexp_rows(L)


GOOD_CAP = 25  # the good group never holds more observations than this
MAX_KERNELS = 1024  # the bad group is a random subset of this many observations beyond it


def n_good(n: int, gamma: float) -> int:
    """How many of ``n`` completed observations form the good group: ceil(gamma n), 1 to 25."""
    return max(1, min(math.ceil(gamma * n), GOOD_CAP, n)) if n else 0


def propose(
    X: np.ndarray,
    y: np.ndarray,
    X_bad: np.ndarray,
    cols: Columns,
    rng: np.random.Generator,
    *,
    n_candidates: int,
    gamma: float,
    prior_weight: float = 1.0,
    min_sigma: float = 0.05,
    cells: Cells | None = None,
    tried: np.ndarray | None = None,
) -> np.ndarray:
    """The TPE proposal: of ``n_candidates`` draws from l, the density of the best
    observations, the one that maximizes log l - log g, g being the density of the others.

    ``X`` (n, d) and ``y`` (n,) are the completed observations (y is minimized); ``X_bad`` rows
    (running and pruned trials) always join g. In l the k good observations weigh k, k - 1,
    ..., 1 by rank; in g all weigh the same, and beyond ``MAX_KERNELS`` a random subset
    stands for them (g is then an unbiased estimate at a bounded cost).

    ``tried``: the sorted keys (``cells.seen``) of configurations not to propose again while
    another is left: a tried draw is skipped; when every draw was tried, the candidates are the
    untried points instead (all of them in a space of at most ``LIST_UNTRIED`` points, else
    the untried ones among ``16 * n_candidates`` more draws from l, else among uniform draws),
    scored the same way.
    """
    n = y.size
    k = n_good(n, gamma)
    order = np.argpartition(y, k - 1)[:k] if k < n else np.arange(n)
    order = order[np.argsort(y[order], kind="stable")]
    rest = np.ones(n, dtype=bool)
    rest[order] = False
    X_rest = np.vstack([X[rest], X_bad]) if X_bad.size else X[rest]
    if X_rest.shape[0] > MAX_KERNELS:
        X_rest = X_rest[np.sort(rng.choice(X_rest.shape[0], size=MAX_KERNELS, replace=False))]
    w_good = np.arange(k, 0, -1, dtype=float)  # best first
    lower = fit_parzen(X[order], w_good, cols, prior_weight=prior_weight, min_sigma=min_sigma)
    upper = fit_parzen(X_rest, np.ones(X_rest.shape[0]), cols, prior_weight=prior_weight, min_sigma=min_sigma)
    cands = sample(lower, cols, n_candidates, rng)
    if cells is not None and tried is not None and tried.size:
        fresh = ~is_seen(cells.keys(cands), tried)
        if fresh.any():
            cands = cands[fresh]
        else:
            other = _untried(lower, cols, cells, tried, rng, 16 * n_candidates)
            if len(other):
                cands = other
    F = _features(cands, cols)
    score = log_pdf(lower, cands, cols, F) - log_pdf(upper, cands, cols, F)
    return np.asarray(cands[int(np.argmax(score))])


LIST_UNTRIED = 4096  # spaces up to this size score every untried point once l's draws are all tried


def _untried(
    lower: Parzen, cols: Columns, cells: Cells, tried: np.ndarray, rng: np.random.Generator, n: int
) -> np.ndarray:
    """Untried points to score when every draw from l was tried (empty: the space is used up)."""
    if cells.size > LIST_UNTRIED:
        more = sample(lower, cols, n, rng)
        more = more[~is_seen(cells.keys(more), tried)]
        if len(more):
            return more
    return cells.untried(tried, rng, n=n, list_up_to=LIST_UNTRIED)
