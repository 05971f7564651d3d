"""The learning-rate range test: train one mini-batch per step at exponentially growing rates,
watch the smoothed loss, stop when it diverges, and suggest a rate and a search range.

The suggestion is built to be stable under noise (the known weakness of the steepest-gradient
and valley rules): it uses two level crossings of a smoothed curve, not a derivative:

* ``lr_min``: the rate where the smoothed loss is lowest before it diverges;
* ``lr_half``: the smallest rate at which the smoothed loss has fallen halfway from its start
  to that minimum (inside the steep part of the curve);
* suggestion = the geometric mean of ``lr_half`` and ``lr_min`` / 10 (one decade below the
  minimum, a common rule of thumb), so it is pulled into the steep part of the curve but not
  to its end. Chosen on ``benchmarks/lr_range_test.py`` with seeds 100-109 over
  max(``lr_half``, ``lr_min`` / 10), min(...) and ``lr_min`` / 10 alone; reported on seeds 0-9
  (docs/benchmarks.md).

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

__all__ = ["LRRangeResult", "lr_range_test", "suggest_lr"]


@dataclass(frozen=True)
class LRRangeResult:
    """What ``lr_range_test`` found."""

    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    suggestion: float
    """The suggested learning rate."""
    lr_min: float
    """The rate of the lowest smoothed loss before divergence."""
    search_range: Float
    """A log-scaled range to search around the suggestion, ready for a study's space."""
    diverged: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    def plot(self, path: str | Path) -> Path:
        """Save the curve (loss and smoothed loss against the rate, suggestion marked) as a PNG."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("LRRangeResult.plot needs matplotlib: pip install 'sturgeon[plots]'") from None
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.plot(self.lrs, self.losses, alpha=0.3, label="loss")
        ax.plot(self.lrs, self.smoothed, label="smoothed")
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


def _smooth(losses: np.ndarray, beta: float) -> np.ndarray:
    """Bias-corrected exponential moving average (NaN carries the last value)."""
    out = np.empty_like(losses)
    avg = 0.0
    last = losses[0] if np.isfinite(losses[0]) else 0.0
    for i, v in enumerate(losses):
        v = v if np.isfinite(v) else last
        last = v
        avg = beta * avg + (1 - beta) * v
        out[i] = avg / (1 - beta ** (i + 1))
    return out


def suggest_lr(lrs: Any, smoothed: Any) -> tuple[float, float, float]:
    """(suggestion, lr_min, lr_half) from a sweep's rates and smoothed losses (the rule in the
    module docstring)."""
    x = np.log10(np.asarray(lrs, dtype=float))
    s = np.asarray(smoothed, dtype=float)
    i_min = int(np.argmin(s))
    start = float(np.median(s[: max(1, len(s) // 20)]))  # the first few steps, robustly
    drop = start - float(s[i_min])
    if drop <= 0 or i_min == 0:  # the loss never fell: the smallest rate tried
        return float(10 ** x[0]), float(10 ** x[i_min]), float(10 ** x[0])
    i_half = int(np.argmax(s[: i_min + 1] <= start - 0.5 * drop))
    x_sugg = (float(x[i_half]) + float(x[i_min]) - 1.0) / 2
    return float(10**x_sugg), float(10 ** x[i_min]), float(10 ** x[i_half])


def lr_range_test(
    step: Callable[[float], float],
    *,
    min_lr: float = 1e-7,
    max_lr: float = 10.0,
    num_steps: int = 100,
    smoothing: float = 0.9,
    divergence: float = 4.0,
) -> LRRangeResult:
    """Run the range test with any framework: ``step(lr)`` trains one mini-batch at rate ``lr``
    and returns its loss. Rates grow exponentially from ``min_lr`` to ``max_lr`` over
    ``num_steps``; the sweep stops early once the smoothed loss exceeds ``divergence`` times its
    minimum (or the loss is not finite). Saving and restoring the model is the caller's (the
    PyTorch helper in ``sturgeon.integrations.torch`` does it)."""
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
    smoothed = _smooth(arr, smoothing)
    finite = np.isfinite(arr)
    n = len(lrs) if finite.all() else int(np.argmin(finite))
    suggestion, lr_min, lr_half = suggest_lr(lrs[:n], smoothed[:n])
    low = max(min_lr, suggestion / 10)
    high = max(lr_min, suggestion * 1.0001)
    return LRRangeResult(
        lrs=lrs,
        losses=losses,
        smoothed=[float(v) for v in smoothed],
        suggestion=suggestion,
        lr_min=lr_min,
        search_range=Float(low, high, log=True),
        diverged=diverged,
        info={"lr_half": lr_half, "steps": len(lrs)},
    )
