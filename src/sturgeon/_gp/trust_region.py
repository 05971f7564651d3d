"""A TuRBO-style trust region, rebuilt from the history alone.

``trust_region_length`` replays the success / failure rule of TuRBO (Eriksson et al., 2019)
over the completed values in trial order: the side length doubles after ``3`` successive
improvements, halves after ``max(4, d)`` successive failures, and starts over when it
collapses. ``trust_region_box`` centres a box of that side on the incumbent, stretched per
dimension by the GP's length-scales (their geometric mean is kept at one).
"""

from __future__ import annotations

import numpy as np

__all__ = ["trust_region_box", "trust_region_length"]

LENGTH_INIT = 0.8
LENGTH_MIN = 2.0**-7
LENGTH_MAX = 1.6
SUCCESS_TOL = 3


def trust_region_length(y: np.ndarray, d: int, n_init: int) -> float:
    """The side length after replaying ``y`` (values to minimize, in trial order)."""
    y = np.asarray(y, dtype=float)
    if y.size <= n_init or n_init < 1:
        return LENGTH_INIT
    fail_tol = max(4, d)
    length, succ, fail = LENGTH_INIT, 0, 0
    best = float(y[:n_init].min())
    for v in y[n_init:]:
        if v < best - 1e-3 * abs(best):
            succ, fail = succ + 1, 0
        else:
            succ, fail = 0, fail + 1
        best = min(best, float(v))
        if succ == SUCCESS_TOL:
            length, succ = min(2.0 * length, LENGTH_MAX), 0
        elif fail == fail_tol:
            length, fail = length / 2.0, 0
        if length < LENGTH_MIN:
            length, succ, fail = LENGTH_INIT, 0, 0
    return length


def trust_region_box(
    center: np.ndarray, length: float, lengthscales: np.ndarray, active: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(lower, upper)`` in the unit cube; dims not ``active`` (categorical) span [0, 1]."""
    lower, upper = np.zeros(center.size), np.ones(center.size)
    if not active.any():
        return lower, upper
    ls = lengthscales[active]
    w = ls / np.exp(np.mean(np.log(ls)))
    w = np.clip(w, 0.1, 10.0)
    w /= np.exp(np.mean(np.log(w)))
    half = 0.5 * length * w
    lower[active] = np.clip(center[active] - half, 0.0, 1.0)
    upper[active] = np.clip(center[active] + half, 0.0, 1.0)
    return lower, upper
