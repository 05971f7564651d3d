"""Log expected improvement (LogEI), stable where EI underflows (Ament et al., 2023).

For minimization with incumbent ``best``: ``z = (best - mean) / sd`` and
``EI = sd * h(z)`` with ``h(z) = phi(z) + z * Phi(z)``. ``log_h`` evaluates ``log h``
without forming ``h`` where it would underflow, and ``d log h / dz = Phi(z) / h(z)``.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["log_ei", "log_ei_with_grad", "log_h"]

_C1 = 0.5 * float(np.log(2 * np.pi))
_C2 = 0.5 * float(np.log(np.pi / 2))
_Z_ASYMPTOTIC = -1.0 / float(np.sqrt(np.finfo(float).eps))


def _log1mexp(x: np.ndarray) -> np.ndarray:
    """``log(1 - exp(x))`` for ``x < 0``."""
    return np.where(x > -np.log(2.0), np.log(-np.expm1(np.minimum(x, -1e-300))), np.log1p(-np.exp(x)))


def log_h(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(log h(z), d log h / dz)``, finite for every finite ``z``."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    dlog = np.empty_like(z)
    upper = z > -1.0
    zu = z[upper]
    out[upper] = np.log(np.exp(-0.5 * zu * zu - _C1) + zu * special.ndtr(zu))
    dlog[upper] = np.exp(special.log_ndtr(zu) - out[upper])
    mid = ~upper & (z > _Z_ASYMPTOTIC)
    zm = z[mid]
    ex = special.erfcx(-zm / np.sqrt(2.0))
    tail = _log1mexp(np.log(ex * np.abs(zm)) + _C2)
    out[mid] = -0.5 * zm * zm - _C1 + tail
    # Phi(z) / h(z) with the common factor exp(-z^2 / 2) cancelled
    dlog[mid] = np.exp(np.log(0.5 * ex) + _C1 - tail)
    low = ~upper & ~mid
    zl = z[low]
    out[low] = -0.5 * zl * zl - _C1 - 2.0 * np.log(np.abs(zl))
    dlog[low] = np.abs(zl)
    return out, dlog


def log_ei(mean: np.ndarray, var: np.ndarray, best: float) -> np.ndarray:
    """log EI of improving below ``best`` under N(mean, var)."""
    sd = np.sqrt(var)
    lh, _ = log_h((best - mean) / sd)
    return lh + np.log(sd)


def log_ei_with_grad(
    mean: np.ndarray, var: np.ndarray, dmean: np.ndarray, dvar: np.ndarray, best: float
) -> tuple[np.ndarray, np.ndarray]:
    """log EI and its gradient, given the posterior's gradients ``dmean``, ``dvar`` (m, d)."""
    sd = np.sqrt(var)
    z = (best - mean) / sd
    lh, dlh = log_h(z)
    dsd = dvar / (2.0 * sd[:, None])
    dz = (-dmean - z[:, None] * dsd) / sd[:, None]
    return lh + np.log(sd), dlh[:, None] * dz + dsd / sd[:, None]
