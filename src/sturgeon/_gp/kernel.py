"""The ARD Matern-5/2 kernel over mixed inputs.

Distances are scaled per dimension by the inverse squared length-scale. Continuous and
ordinal dims contribute ``(a - b)^2``; categorical dims (encoded as the choice's cell
centre) contribute the Hamming indicator ``a != b``, so the order of choices means nothing.
"""

from __future__ import annotations

import numpy as np

__all__ = ["matern52", "matern52_dr2", "matern52_with_dr2", "not_equal_stack", "scaled_sq_dists"]

_SQRT5 = float(np.sqrt(5.0))
_CAT_TOL = 1e-9


def matern52(r2: np.ndarray) -> np.ndarray:
    """Matern-5/2 correlation as a function of the squared scaled distance."""
    r = np.sqrt(np.maximum(r2, 0.0))
    return (1.0 + _SQRT5 * r + (5.0 / 3.0) * r2) * np.exp(-_SQRT5 * r)


def matern52_dr2(r2: np.ndarray) -> np.ndarray:
    """Derivative of ``matern52`` with respect to ``r2`` (finite at 0)."""
    r = np.sqrt(np.maximum(r2, 0.0))
    return -(5.0 / 6.0) * (1.0 + _SQRT5 * r) * np.exp(-_SQRT5 * r)


def matern52_with_dr2(r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(matern52(r2), matern52_dr2(r2))`` sharing one exponential."""
    r = np.sqrt(np.maximum(r2, 0.0))
    e = np.exp(-_SQRT5 * r)
    a = 1.0 + _SQRT5 * r
    return (a + (5.0 / 3.0) * r2) * e, -(5.0 / 6.0) * a * e


def scaled_sq_dists(A: np.ndarray, B: np.ndarray, inv_ls2: np.ndarray, is_cat: np.ndarray) -> np.ndarray:
    """``r2[i, j] = sum_k inv_ls2[k] * dist_k(A[i, k], B[j, k])``, shape (len(A), len(B))."""
    cont = ~is_cat
    r2 = np.zeros((A.shape[0], B.shape[0]))
    if cont.any():
        w = np.sqrt(inv_ls2[cont])
        a, b = A[:, cont] * w, B[:, cont] * w
        r2 += (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
        np.maximum(r2, 0.0, out=r2)
    for k in np.flatnonzero(is_cat):
        r2 += inv_ls2[k] * (np.abs(A[:, k, None] - B[None, :, k]) > _CAT_TOL)
    return r2


def not_equal_stack(X: np.ndarray, is_cat: np.ndarray) -> np.ndarray:
    """Hamming indicators between all rows of ``X`` on the categorical dims, shape (n, n, n_cat)."""
    C = X[:, is_cat]
    return (np.abs(C[:, None, :] - C[None, :, :]) > _CAT_TOL).astype(float)
