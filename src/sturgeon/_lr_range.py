"""The learning-rate range test: train one mini-batch per step at exponentially growing rates,
stop when the loss diverges, and suggest a rate and a search range.

The suggestion is built to be stable under noise (the known weakness of the steepest-gradient
and valley rules, which read a derivative or an argmin of a lagging moving average). It reads
the bottom of the curve robustly:

* the curve: a zero-lag fit of the raw losses against log10(rate), a Gaussian kernel average
  0.3 decades wide (a moving average lags, which shifts its features to higher rates by an
  amount that depends on the noise and the step density); losses above twice the starting
  loss are clipped so that the divergence does not pull the fit up;
* ``lr_min``, the bottom of the valley: the loss-weighted centre (in log rate) of the part of
  the fitted curve within 20 % of its total drop from the lowest point; an average over many
  points, so it moves far less than an argmin on a flat bottom;
* suggestion = ``lr_min`` / 10**0.35 (about / 2.2): a little below the bottom, where the loss
  still falls.

The rule is calibrated for sweeps of about 40 steps a decade (the default: 300 steps; the curve
moves to lower rates when a sweep trains for more steps per decade). Chosen on
``benchmarks/lr_range_test.py`` with seeds 100-109 among sweeps of 100, 200 and 300 steps, the
argmin, level crossings (25-95 % of the drop) and the bottom's centre (10-30 %), fit widths
0.2-0.4 and offsets 0.3-0.4 decades; reported on seeds 0-9 (docs/benchmarks.md).

The search range is ``Float(suggestion / 10, lr_min, log=True)``: where the loss falls fast.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sturgeon._exceptions import InvalidValueError
from sturgeon.space import Float

__all__ = ["LRRangeResult", "fit_curve", "lr_range_test", "suggest_lr"]


@dataclass(frozen=True)
class LRRangeResult:
    """What ``lr_range_test`` found."""

    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    """The fitted curve the suggestion reads (``fit_curve``; NaN where the loss was not finite)."""
    suggestion: float
    """The suggested learning rate."""
    lr_min: float
    """The bottom of the fitted curve before divergence (the centre of its lowest part)."""
    search_range: Float
    """A log-scaled range to search around the suggestion, ready for a study's space."""
    diverged: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    def plot(self, path: str | Path) -> Path:
        """Save the curve (loss and fitted curve against the rate, suggestion marked) as a PNG."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("LRRangeResult.plot needs matplotlib: pip install 'sturgeon[plots]'") from None
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.plot(self.lrs, self.losses, alpha=0.3, label="loss")
        ax.plot(self.lrs, self.smoothed, label="fitted")
        ax.axvline(self.suggestion, color="green", linestyle="--", label=f"suggested {self.suggestion:.2e}")
        ax.axvspan(self.search_range.low, self.search_range.high, color="green", alpha=0.08, label="search range")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.legend()
        out = Path(path)
        fig.savefig(out, dpi=100, bbox_inches="tight")
        plt.close(fig)
        return out


_WIDTH = 0.3  # decades: the fit's kernel sd
_BOTTOM = 0.2  # the valley's bottom: within this fraction of the drop from the lowest point
_BELOW = 0.35  # decades between the bottom and the suggestion


def fit_curve(lrs: Any, losses: Any, width: float = _WIDTH) -> np.ndarray:
    """A zero-lag fit of finite ``losses`` against log10(``lrs``): a Gaussian kernel average
    ``width`` decades wide, losses above twice the starting loss (the median of the first 5 %)
    clipped."""
    x = np.log10(np.asarray(lrs, dtype=float))
    y = np.asarray(losses, dtype=float)
    start = float(np.median(y[: max(3, len(y) // 20)]))
    y = np.minimum(y, 2 * start) if start > 0 else y
    d = (x[:, None] - x[None, :]) / width
    k = np.exp(-0.5 * d * d)
    return np.asarray((k @ y) / k.sum(axis=1))


def suggest_lr(lrs: Any, curve: Any) -> tuple[float, float]:
    """(suggestion, lr_min) from a sweep's rates and its fitted curve (``fit_curve``; the rule
    in the module docstring). A curve that never falls gives the smallest rate tried."""
    x = np.log10(np.asarray(lrs, dtype=float))
    s = np.asarray(curve, dtype=float)
    i_min = int(np.argmin(s))
    drop = float(s[0] - s[i_min])
    if drop <= 0 or i_min == 0:
        return float(10 ** x[0]), float(10 ** x[0])
    weight = np.maximum(s[i_min] + _BOTTOM * drop - s, 0.0)
    bottom = float((weight * x).sum() / weight.sum())
    return float(10 ** max(float(x[0]), bottom - _BELOW)), float(10**bottom)


def lr_range_test(
    step: Callable[[float], float],
    *,
    min_lr: float = 1e-7,
    max_lr: float = 10.0,
    num_steps: int = 300,
    smoothing: float = 0.9,
    divergence: float = 4.0,
) -> LRRangeResult:
    """Run the range test with any framework: ``step(lr)`` trains one mini-batch at rate ``lr``
    and returns its loss. Rates grow exponentially from ``min_lr`` to ``max_lr`` over
    ``num_steps``; the sweep stops early once the loss's moving average (factor ``smoothing``)
    exceeds ``divergence`` times its minimum (or the loss is not finite). The suggestion reads a
    zero-lag fit of the losses (module docstring). Saving and restoring the model is the
    caller's (the PyTorch helper in ``sturgeon.integrations.torch`` does it)."""
    for name, v in (("min_lr", min_lr), ("max_lr", max_lr)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (math.isfinite(v) and v > 0):
            raise InvalidValueError(f"lr_range_test: {name} must be a number > 0, got {name}={v!r}")
    if not min_lr < max_lr:
        raise InvalidValueError(f"lr_range_test: min_lr must be < max_lr, got {min_lr!r} and {max_lr!r}")
    if isinstance(num_steps, bool) or not isinstance(num_steps, int) or num_steps < 10:
        raise InvalidValueError(f"lr_range_test: num_steps must be an int >= 10, got num_steps={num_steps!r}")
    if not (isinstance(smoothing, (int, float)) and 0 <= smoothing < 1):
        raise InvalidValueError(f"lr_range_test: smoothing must be in [0, 1), got smoothing={smoothing!r}")
    if not (isinstance(divergence, (int, float)) and divergence > 1):
        raise InvalidValueError(f"lr_range_test: divergence must be > 1, got divergence={divergence!r}")
    grid = np.geomspace(min_lr, max_lr, num_steps)
    lrs: list[float] = []
    losses: list[float] = []
    diverged = False
    best = math.inf
    avg = 0.0
    for i, lr in enumerate(grid):
        loss = float(step(float(lr)))
        lrs.append(float(lr))
        losses.append(loss)
        if not math.isfinite(loss):
            diverged = True
            break
        avg = smoothing * avg + (1 - smoothing) * loss
        smooth = avg / (1 - smoothing ** (i + 1))
        best = min(best, smooth)
        if i >= num_steps // 10 and smooth > divergence * best:
            diverged = True
            break
    if len(lrs) < 3:
        raise InvalidValueError(
            f"lr_range_test: the loss diverged within {len(lrs)} steps from min_lr={min_lr!r}; start lower"
        )
    arr = np.asarray(losses, dtype=float)
    finite = np.isfinite(arr)
    n = len(lrs) if finite.all() else int(np.argmin(finite))
    curve = fit_curve(lrs[:n], arr[:n])
    suggestion, lr_min = suggest_lr(lrs[:n], curve)
    low = max(min_lr, suggestion / 10)
    high = max(lr_min, suggestion * 1.0001)
    return LRRangeResult(
        lrs=lrs,
        losses=losses,
        smoothed=[float(v) for v in curve] + [math.nan] * (len(lrs) - n),
        suggestion=suggestion,
        lr_min=lr_min,
        search_range=Float(low, high, log=True),
        diverged=diverged,
        info={"lr_argmin": float(lrs[int(np.argmin(curve))]), "steps": len(lrs)},
    )
