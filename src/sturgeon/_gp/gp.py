"""GP regression: maximum a posteriori hyperparameters and the posterior.

The model is ``f ~ GP(0, s2 * matern52(r2))`` on (optionally warped) unit-cube inputs,
observed with Gaussian noise ``noise >= NOISE_FLOOR``, fitted to standardized
(power-transformed) outputs.

Hyperparameters, as one flat vector ``theta`` for L-BFGS-B (see ``Layout``):

* ``log lengthscale`` per dim, prior ``N(loc + slope * log(d), scale)`` from ``_LS_PRIOR``.
  The dimension-aware prior of Hvarfner et al. (2024), ``N(sqrt(2) + log(d) / 2, sqrt(3))``,
  is ``(sqrt(2), sqrt(3), 0.5)``; on our 2-6 dimensional benchmarks at 20-100 trials it let
  dims drift to "irrelevant" (length-scales of 10+) and lost to ``N(0, 1)`` (median
  length-scale 1, the unit cube's width), which is the default;
* ``log s2`` (signal variance), prior ``N(0, 1)``;
* ``log(noise - NOISE_FLOOR)``, prior ``Gamma(1.1, rate 30)`` on ``noise - NOISE_FLOOR``: small
  (explaining every observation as noise is a poor local optimum with few points), yet free
  to grow where the data say the objective is noisy;
* ``log a``, ``log b`` of the Kumaraswamy warping per warped dim, prior ``N(0, 0.75)``.

The negative log posterior and its gradient are analytic, O(n^3 + n^2 d) per evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize

from sturgeon._gp.kernel import matern52, matern52_dr2, matern52_with_dr2, not_equal_stack, scaled_sq_dists
from sturgeon._gp.transforms import warp, warp_grads

__all__ = ["NOISE_FLOOR", "GPParams", "Layout", "Posterior", "default_theta", "fit_hyperparameters"]

NOISE_FLOOR = 1e-6
_LOG_2PI = float(np.log(2 * np.pi))
_LS_PRIOR = (0.0, 1.0, 0.0)  # log-normal: location at d = 1, scale, slope of the location in log d
_SIGNAL_PRIOR = (0.0, 1.0)
_NOISE_PRIOR = (1.1, 30.0)  # Gamma(concentration, rate)
_WARP_PRIOR_SD = 0.75
_BOUNDS_LOG_LS = (np.log(1e-3), np.log(1e3))
_BOUNDS_LOG_SIGNAL = (-6.0, 4.0)
_BOUNDS_LOG_NOISE = (-25.0, 2.0)
_BOUNDS_LOG_WARP = (-2.0, 2.0)


@dataclass(frozen=True)
class Layout:
    """Which dims are categorical (Hamming distance) and which are warped."""

    is_cat: np.ndarray
    warped: np.ndarray

    @property
    def d(self) -> int:
        return int(self.is_cat.size)

    @property
    def n_params(self) -> int:
        return self.d + 2 + 2 * int(self.warped.sum())

    def ls_prior(self) -> tuple[float, float]:
        return _LS_PRIOR[0] + _LS_PRIOR[2] * float(np.log(max(self.d, 1))), _LS_PRIOR[1]

    def bounds(self) -> list[tuple[float, float]]:
        nw = int(self.warped.sum())
        return [_BOUNDS_LOG_LS] * self.d + [_BOUNDS_LOG_SIGNAL, _BOUNDS_LOG_NOISE] + [_BOUNDS_LOG_WARP] * (2 * nw)


@dataclass(frozen=True)
class GPParams:
    """Hyperparameters in natural units; ``warp_a = warp_b = 1`` where not warped."""

    lengthscales: np.ndarray
    signal: float
    noise: float
    warp_a: np.ndarray
    warp_b: np.ndarray

    @staticmethod
    def unpack(theta: np.ndarray, layout: Layout) -> GPParams:
        d, nw = layout.d, int(layout.warped.sum())
        a, b = np.ones(d), np.ones(d)
        a[layout.warped] = np.exp(theta[d + 2 : d + 2 + nw])
        b[layout.warped] = np.exp(theta[d + 2 + nw : d + 2 + 2 * nw])
        return GPParams(np.exp(theta[:d]), float(np.exp(theta[d])), NOISE_FLOOR + float(np.exp(theta[d + 1])), a, b)

    def warp_inputs(self, X: np.ndarray, layout: Layout) -> np.ndarray:
        if not layout.warped.any():
            return X
        Xw = X.copy()
        m = layout.warped
        Xw[:, m] = warp(X[:, m], self.warp_a[m], self.warp_b[m])
        return Xw


def default_theta(layout: Layout, *, lengthscale: float | None = None) -> np.ndarray:
    """A starting point: the prior's median length-scale (or ``lengthscale``), unit signal,
    small noise, identity warping."""
    loc, _ = layout.ls_prior()
    log_ls = loc if lengthscale is None else float(np.log(lengthscale))
    nw = int(layout.warped.sum())
    return np.concatenate([np.full(layout.d, log_ls), [0.0, np.log(1e-2)], np.zeros(2 * nw)])


def _neg_log_posterior(
    theta: np.ndarray, X: np.ndarray, y: np.ndarray, layout: Layout, NE: np.ndarray
) -> tuple[float, np.ndarray]:
    n, d = X.shape
    p = GPParams.unpack(theta, layout)
    wm, cat = layout.warped, layout.is_cat
    cont = ~cat
    Xw = X
    if wm.any():
        Xw = X.copy()
        Xw[:, wm], _, dw_da, dw_db = warp_grads(X[:, wm], p.warp_a[wm], p.warp_b[wm])
    inv_ls2 = p.lengthscales**-2.0
    Xc = Xw[:, cont]
    ils_c = inv_ls2[cont]
    S = Xc * np.sqrt(ils_c)
    sq = (S * S).sum(1)
    r2 = sq[:, None] + sq[None, :] - 2.0 * (S @ S.T)
    np.maximum(r2, 0.0, out=r2)
    if NE.shape[2]:
        r2 += NE @ inv_ls2[cat]
    k, dk = matern52_with_dr2(r2)
    Kf = p.signal * k
    K = Kf.copy()
    K[np.diag_indices(n)] += p.noise
    try:
        L = linalg.cholesky(K, lower=True, check_finite=False)
    except linalg.LinAlgError:
        return 1e25, np.zeros_like(theta)
    alpha = linalg.cho_solve((L, True), y, check_finite=False)
    Kinv_l, info = linalg.lapack.dpotri(L, lower=1)
    if info != 0:
        return 1e25, np.zeros_like(theta)
    W = Kinv_l + Kinv_l.T  # dpotri fills the lower triangle; L's upper one is zero
    W[np.diag_indices(n)] *= 0.5
    W -= np.outer(alpha, alpha)
    nll = 0.5 * float(y @ alpha) + float(np.log(np.diag(L)).sum()) + 0.5 * n * _LOG_2PI
    M = W * (p.signal * dk)
    m1 = M.sum(1)
    MX = M @ Xc
    grad = np.empty_like(theta)
    # sum_ab M_ab (x_a - x_b)^2 = 2 sum_a x_a^2 (M 1)_a - 2 sum_a x_a (M x)_a  (M symmetric)
    grad[:d][cont] = -2.0 * ils_c * ((Xc * Xc * m1[:, None]).sum(0) - (Xc * MX).sum(0))
    if NE.shape[2]:
        grad[:d][cat] = -inv_ls2[cat] * np.tensordot(M, NE, axes=([0, 1], [0, 1]))
    grad[d] = 0.5 * float((W * Kf).sum())
    grad[d + 1] = 0.5 * float(np.trace(W)) * (p.noise - NOISE_FLOOR)
    if wm.any():
        wc = wm[cont]
        g_xw = 2.0 * ils_c[wc] * (Xc[:, wc] * m1[:, None] - MX[:, wc])
        nw = int(wm.sum())
        grad[d + 2 : d + 2 + nw] = (g_xw * dw_da).sum(0) * p.warp_a[wm]
        grad[d + 2 + nw :] = (g_xw * dw_db).sum(0) * p.warp_b[wm]
    # priors (negative log densities, constants dropped)
    loc, sd = layout.ls_prior()
    log_ls = theta[:d]
    nll += 0.5 * float(((log_ls - loc) ** 2).sum()) / sd**2
    grad[:d] += (log_ls - loc) / sd**2
    m, s = _SIGNAL_PRIOR
    nll += 0.5 * (theta[d] - m) ** 2 / s**2
    grad[d] += (theta[d] - m) / s**2
    conc, rate = _NOISE_PRIOR  # density of log(x) for x ~ Gamma: x^conc * exp(-rate * x)
    excess = p.noise - NOISE_FLOOR
    nll += rate * excess - conc * theta[d + 1]
    grad[d + 1] += rate * excess - conc
    tw = theta[d + 2 :]
    nll += 0.5 * float((tw**2).sum()) / _WARP_PRIOR_SD**2
    grad[d + 2 :] += tw / _WARP_PRIOR_SD**2
    if not np.isfinite(nll) or not np.isfinite(grad).all():
        return 1e25, np.zeros_like(theta)
    return nll, grad


def fit_hyperparameters(
    X: np.ndarray, y: np.ndarray, layout: Layout, starts: Sequence[np.ndarray], *, maxiter: int = 200
) -> tuple[np.ndarray, float]:
    """MAP hyperparameters by L-BFGS-B from each of ``starts``; returns ``(theta, objective)``."""
    NE = not_equal_stack(X, layout.is_cat)
    bounds = layout.bounds()
    lo, hi = np.array(bounds).T
    best_theta, best_f = np.asarray(starts[0], dtype=float), np.inf
    for start in starts:
        x0 = np.clip(np.asarray(start, dtype=float), lo, hi)
        res = optimize.minimize(
            _neg_log_posterior,
            x0,
            args=(X, y, layout, NE),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": maxiter, "ftol": 1e-7, "gtol": 1e-4},
        )
        if res.fun < best_f:
            best_theta, best_f = np.asarray(res.x, dtype=float), float(res.fun)
    return best_theta, best_f


class Posterior:
    """The GP conditioned on ``(X, y)`` with fixed hyperparameters."""

    def __init__(self, X: np.ndarray, y: np.ndarray, params: GPParams, layout: Layout) -> None:
        self.params = params
        self.layout = layout
        self.Xw = params.warp_inputs(X, layout)
        self.inv_ls2 = params.lengthscales**-2.0
        n = X.shape[0]
        K = params.signal * matern52(scaled_sq_dists(self.Xw, self.Xw, self.inv_ls2, layout.is_cat))
        K[np.diag_indices(n)] += params.noise
        jitter = 0.0
        while True:
            try:
                self.L = linalg.cholesky(K, lower=True, check_finite=False)
                break
            except linalg.LinAlgError:
                jitter = max(1e-8, 10 * jitter)
                K[np.diag_indices(n)] += jitter
        self.alpha = linalg.cho_solve((self.L, True), y, check_finite=False)

    def _cross(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        xw = self.params.warp_inputs(Xq, self.layout)
        r2 = scaled_sq_dists(xw, self.Xw, self.inv_ls2, self.layout.is_cat)
        return xw, r2

    def distance_to_data(self, Xq: np.ndarray) -> np.ndarray:
        """The kernel's scaled distance from each row of ``Xq`` to the nearest observation."""
        _, r2 = self._cross(Xq)
        return np.sqrt(r2.min(axis=1))

    def predict(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and variance of the latent function at the rows of ``Xq``."""
        _, r2 = self._cross(Xq)
        ks = self.params.signal * matern52(r2)
        mean = ks @ self.alpha
        v = linalg.solve_triangular(self.L, ks.T, lower=True, check_finite=False)
        var = np.maximum(self.params.signal - (v * v).sum(0), 1e-12)
        return mean, var

    def predict_with_grad(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean, variance and their gradients (m, d) in the unit-cube inputs; the gradient is
        zero along categorical dims."""
        xw, r2 = self._cross(Xq)
        s2 = self.params.signal
        ks = s2 * matern52(r2)
        mean = ks @ self.alpha
        v = linalg.solve_triangular(self.L, ks.T, lower=True, check_finite=False)
        var = s2 - (v * v).sum(0)
        beta = linalg.solve_triangular(self.L, v, lower=True, trans="T", check_finite=False).T  # K^-1 k*, (m, n)
        G = s2 * matern52_dr2(r2)
        cont = ~self.layout.is_cat
        Xc = self.Xw[:, cont]
        xc = xw[:, cont]
        ils = self.inv_ls2[cont]
        Ga = G * self.alpha
        dmean = np.zeros_like(Xq)
        dvar = np.zeros_like(Xq)
        dmean[:, cont] = 2.0 * ils * (xc * Ga.sum(1)[:, None] - Ga @ Xc)
        H = G * beta
        dvar[:, cont] = -4.0 * ils * (xc * H.sum(1)[:, None] - H @ Xc)
        wm = self.layout.warped
        if wm.any():
            _, dw_dx, _, _ = warp_grads(Xq[:, wm], self.params.warp_a[wm], self.params.warp_b[wm])
            dmean[:, wm] *= dw_dx
            dvar[:, wm] *= dw_dx
        small = var < 1e-12
        var = np.maximum(var, 1e-12)
        dvar[small] = 0.0
        return mean, var, dmean, dvar
