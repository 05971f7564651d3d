"""Output power transform and input warping.

``fit_output_transform`` standardizes ``y``, fits a Yeo-Johnson exponent by maximum
likelihood and standardizes again, so heavy tails and outliers do not dominate the GP.
The transform is monotone, so the best observation stays the best.

``warp`` is the Kumaraswamy CDF ``1 - (1 - x^a)^b`` applied per dimension on top of the
unit-cube encoding; ``a = b = 1`` is the identity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

__all__ = [
    "OutputTransform",
    "fit_output_transform",
    "warp",
    "warp_grads",
    "yeo_johnson",
    "yeo_johnson_inverse",
]

_LAMBDA_BOUNDS = (-2.0, 2.0)
WARP_EPS = 1e-6


def yeo_johnson(x: np.ndarray, lam: float) -> np.ndarray:
    """The Yeo-Johnson power transform of ``x`` with exponent ``lam``."""
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    pos = x >= 0
    xp, xn = x[pos], x[~pos]
    out[pos] = np.log1p(xp) if abs(lam) < 1e-10 else np.expm1(lam * np.log1p(xp)) / lam
    out[~pos] = -np.log1p(-xn) if abs(lam - 2) < 1e-10 else -np.expm1((2 - lam) * np.log1p(-xn)) / (2 - lam)
    return out


def yeo_johnson_inverse(t: np.ndarray, lam: float) -> np.ndarray:
    """The inverse of ``yeo_johnson`` (``t`` in the transform's range)."""
    t = np.asarray(t, dtype=float)
    out = np.empty_like(t)
    pos = t >= 0
    tp, tn = t[pos], t[~pos]
    out[pos] = np.expm1(tp) if abs(lam) < 1e-10 else np.expm1(np.log1p(lam * tp) / lam)
    if abs(lam - 2) < 1e-10:
        out[~pos] = -np.expm1(-tn)
    else:
        out[~pos] = -np.expm1(np.log1p(-(2 - lam) * tn) / (2 - lam))
    return out


@dataclass(frozen=True)
class OutputTransform:
    """``z = (yeo_johnson((y - m0) / s0, lam) - m1) / s1``."""

    m0: float
    s0: float
    lam: float
    m1: float
    s1: float

    def __call__(self, y: np.ndarray) -> np.ndarray:
        return (yeo_johnson((np.asarray(y, dtype=float) - self.m0) / self.s0, self.lam) - self.m1) / self.s1

    def inverse(self, z: np.ndarray) -> np.ndarray:
        return yeo_johnson_inverse(np.asarray(z, dtype=float) * self.s1 + self.m1, self.lam) * self.s0 + self.m0


def _yeo_johnson_llf(x: np.ndarray, lam: float) -> float:
    """Profile log-likelihood of ``lam`` (normal model of the transformed data)."""
    var = float(np.var(yeo_johnson(x, lam)))
    if not var > 0:
        return -np.inf
    return -0.5 * x.size * np.log(var) + (lam - 1) * float((np.sign(x) * np.log1p(np.abs(x))).sum())


def _std(x: np.ndarray) -> float:
    s = float(np.std(x))
    return s if s > 1e-12 * max(1.0, float(np.max(np.abs(x)))) else 1.0


def fit_output_transform(y: np.ndarray, *, power: bool = True) -> OutputTransform:
    """Fit the transform to observed values ``y`` (at least one)."""
    y = np.asarray(y, dtype=float)
    m0, s0 = float(np.mean(y)), _std(y)
    z0 = (y - m0) / s0
    lam = 1.0
    if power and y.size >= 3 and np.ptp(z0) > 0:
        res = optimize.minimize_scalar(
            lambda la: -_yeo_johnson_llf(z0, la), bounds=_LAMBDA_BOUNDS, method="bounded", options={"xatol": 1e-3}
        )
        if np.isfinite(res.fun):
            lam = float(res.x)
    t = yeo_johnson(z0, lam)
    return OutputTransform(m0, s0, lam, float(np.mean(t)), _std(t))


def warp(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Kumaraswamy CDF of ``x`` (squeezed into [eps, 1 - eps]) per column."""
    xc = WARP_EPS + (1 - 2 * WARP_EPS) * np.clip(x, 0.0, 1.0)
    return 1 - (1 - xc**a) ** b


def warp_grads(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(w, dw/dx, dw/da, dw/db)``, each shaped like ``x``."""
    xc = WARP_EPS + (1 - 2 * WARP_EPS) * np.clip(x, 0.0, 1.0)
    log_x = np.log(xc)
    p = np.exp(a * log_x)
    q = 1 - p
    log_q = np.log(q)
    qb1 = np.exp((b - 1) * log_q)
    qb = qb1 * q
    w = 1 - qb
    dw_dx = (1 - 2 * WARP_EPS) * b * qb1 * a * p / xc
    dw_da = b * qb1 * p * log_x
    dw_db = -qb * log_q
    return w, dw_dx, dw_da, dw_db
