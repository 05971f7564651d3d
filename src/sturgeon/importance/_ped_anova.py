"""PED-ANOVA (Watanabe, Bansal and Hutter, IJCAI 2023): a parameter matters as much as the
good trials' distribution of it differs from the distribution it has in a reference region.

With ``p_top`` the density of parameter ``i`` among the top ``target_quantile`` (``g'``) of the
trials and ``p_ref`` its density among the top ``region_quantile`` (``g``; 1.0: all of them),
the importance is ``(g' / g)^2 * D(p_top || p_ref)``, where ``D(p || q) = E_q[(p / q - 1)^2]``
is the Pearson divergence; ``evaluate_on_local=False`` takes the uniform density over the
range as ``p_ref`` instead (global importance).

Densities are Parzen estimators in the unit-cube encoding (log ranges in log space), read on
a grid of cells: a continuous range on ``N_GRID`` equal cells, a discrete one (a stepped Float,
an Int) on its own values when it has at most ``N_GRID`` of them, each weighted by its cell's
width; a category by its frequency. Each estimator has one flat prior observation, so no
density is zero. Nothing is random: the result is a function of the trials.
"""

from __future__ import annotations

import math

import numpy as np

from sturgeon._exceptions import InvalidValueError
from sturgeon.importance._base import BaseImportanceEvaluator, ImportanceData
from sturgeon.space import Categorical, Distribution, Float, Int

__all__ = ["PedAnovaImportanceEvaluator", "grid_of", "parzen_mass", "pearson_divergence"]

N_GRID = 100
PRIOR_WEIGHT = 1.0


def grid_of(dist: Distribution) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres (encoded) and widths (summing to 1) on which ``dist``'s densities are read."""
    values: list[float] | None = None
    if isinstance(dist, Categorical):
        m = len(dist.choices)
        return (np.arange(m) + 0.5) / m, np.full(m, 1.0 / m)
    if isinstance(dist, Int) and (dist.high - dist.low) // dist.step + 1 <= N_GRID:
        values = [dist.encode(v) for v in range(dist.low, dist.high + 1, dist.step)]
    elif isinstance(dist, Float) and dist.step is not None and len(dist.grid()) <= N_GRID:
        values = [dist.encode(v) for v in dist.grid()]
    if values is None:
        return (np.arange(N_GRID) + 0.5) / N_GRID, np.full(N_GRID, 1.0 / N_GRID)
    centres = np.array(sorted(values))
    bounds = np.concatenate([[0.0], 0.5 * (centres[:-1] + centres[1:]), [1.0]])
    return centres, np.diff(bounds)


def parzen_mass(x: np.ndarray, centres: np.ndarray, widths: np.ndarray, categorical: bool) -> np.ndarray:
    """The probability of each grid cell under a Parzen estimator of the encoded values ``x``
    plus one flat prior observation."""
    n = len(x)
    if categorical:
        counts = np.array([np.sum(np.abs(x - c) < 0.5 * w) for c, w in zip(centres, widths, strict=True)], dtype=float)
        mass = counts + PRIOR_WEIGHT * widths
        return mass / mass.sum()
    sigma = float(np.std(x)) if n > 1 else 1.0
    h = 1.06 * sigma * n ** (-0.2)  # Scott's rule
    h = min(max(h, float(widths.max()), 0.5 / N_GRID), 1.0)
    z = (centres[:, None] - x[None, :]) / h
    density = np.exp(-0.5 * z * z).sum(axis=1) / (h * math.sqrt(2 * math.pi))
    kernel_mass = density * widths
    total = kernel_mass.sum()
    mass = (kernel_mass / total if total > 0 else widths) * n + PRIOR_WEIGHT * widths
    return mass / mass.sum()


def pearson_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """``E_q[(p / q - 1)^2]`` for two distributions on the same cells (``q > 0``)."""
    return float(np.sum((p - q) ** 2 / q))


def _check_quantile(key: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value <= 1.0:
        raise InvalidValueError(f"{key} must be a number in (0, 1], got {value!r}")
    return float(value)


class PedAnovaImportanceEvaluator(BaseImportanceEvaluator):
    """PED-ANOVA importance: the Pearson divergence between each parameter's distribution
    among the best ``target_quantile`` of the COMPLETE trials and among the best
    ``region_quantile`` (all of them by default), see the module docstring.

    ``evaluate_on_local=False`` measures against the uniform distribution over the range.
    Deterministic (nothing is sampled), so it takes no seed.
    """

    name = "PED-ANOVA"

    def __init__(
        self, *, target_quantile: float = 0.1, region_quantile: float = 1.0, evaluate_on_local: bool = True
    ) -> None:
        self.target_quantile = _check_quantile("target_quantile", target_quantile)
        self.region_quantile = _check_quantile("region_quantile", region_quantile)
        if self.target_quantile >= self.region_quantile:
            raise InvalidValueError(
                f"target_quantile must be below region_quantile, got {target_quantile!r} >= {region_quantile!r}"
            )
        self.evaluate_on_local = bool(evaluate_on_local)

    def __repr__(self) -> str:
        return (
            f"PedAnovaImportanceEvaluator(target_quantile={self.target_quantile}, "
            f"region_quantile={self.region_quantile}, evaluate_on_local={self.evaluate_on_local})"
        )

    def evaluate_data(self, data: ImportanceData) -> dict[str, float]:
        n = len(data.y)
        n_top = max(2, math.ceil(self.target_quantile * n))
        n_region = max(n_top + 1, math.ceil(self.region_quantile * n)) if self.evaluate_on_local else n_top + 1
        if n_region > n:
            raise InvalidValueError(
                f"PED-ANOVA with target_quantile={self.target_quantile} needs at least {n_region} COMPLETE trials "
                f"(its top quantile must hold 2 and be smaller than the region), got {n}"
            )
        sign = 1.0 if data.direction == "minimize" else -1.0
        order = np.lexsort((np.arange(n), sign * data.y))  # best first; ties by trial order
        top, region = order[:n_top], order[:n_region]
        scale = (n_top / n_region) ** 2 if self.evaluate_on_local else self.target_quantile**2
        scores = {}
        for j, (name, dist) in enumerate(zip(data.names, data.distributions, strict=True)):
            centres, widths = grid_of(dist)
            cat = isinstance(dist, Categorical)
            p_top = parzen_mass(data.X[top, j], centres, widths, cat)
            p_ref = parzen_mass(data.X[region, j], centres, widths, cat) if self.evaluate_on_local else widths
            scores[name] = scale * pearson_divergence(p_top, p_ref)
        return scores
