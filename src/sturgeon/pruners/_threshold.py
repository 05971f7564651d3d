"""Threshold stopping: prune a trial whose latest value leaves a fixed band, or is NaN."""

from __future__ import annotations

import math
from collections.abc import Sequence

from sturgeon._exceptions import InvalidValueError
from sturgeon._frozen import FrozenTrial
from sturgeon.pruners._base import BasePruner, Decision
from sturgeon.pruners._checks import _check_int, _check_number
from sturgeon.pruners._percentile import _is_check_step

__all__ = ["ThresholdPruner"]


class ThresholdPruner(BasePruner):
    """Prune when the trial's latest value is below ``lower``, above ``upper``, or NaN.

    The band is the same for both directions (it guards against divergence, not against
    slow progress); a value equal to a bound is kept. At least one bound is required, and
    ``lower <= upper``. Checks follow the warmup/interval schedule of ``PercentilePruner``:
    none before step ``n_warmup_steps``, then one every ``interval_steps`` steps (a check at an
    unreported step moves to the next reported one).

    Args:
        lower: prune below this value; None for no lower bound.
        upper: prune above this value; None for no upper bound.
        n_warmup_steps: the first step at which a trial can be pruned.
        interval_steps: steps between two pruning checks (>= 1).

    Pure policy over the trial: no state, safe to share between threads.
    """

    def __init__(
        self,
        *,
        lower: float | None = None,
        upper: float | None = None,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
    ) -> None:
        owner = type(self).__name__
        if lower is None and upper is None:
            raise InvalidValueError(f"{owner}: lower or upper must be given (a number), got lower=None and upper=None")
        rule = "a number (not NaN) or None"
        self.lower = None if lower is None else _check_number(owner, "lower", lower, rule, -math.inf, math.inf)
        self.upper = None if upper is None else _check_number(owner, "upper", upper, rule, -math.inf, math.inf)
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise InvalidValueError(f"{owner}: lower must be <= upper, got lower={lower!r} and upper={upper!r}")
        self.n_warmup_steps = _check_int(owner, "n_warmup_steps", n_warmup_steps, 0)
        self.interval_steps = _check_int(owner, "interval_steps", interval_steps, 1)

    def __repr__(self) -> str:
        return (
            f"ThresholdPruner(lower={self.lower!r}, upper={self.upper!r}, "
            f"n_warmup_steps={self.n_warmup_steps}, interval_steps={self.interval_steps})"
        )

    def decide(self, trial: FrozenTrial, history: Sequence[FrozenTrial], direction: str) -> Decision:
        step = trial.last_step
        if step is None:
            return Decision.CONTINUE
        values = trial.intermediate_values
        if not _is_check_step(step, values.keys(), self.n_warmup_steps, self.interval_steps):
            return Decision.CONTINUE
        latest = values[step]
        too_low = self.lower is not None and latest < self.lower
        too_high = self.upper is not None and latest > self.upper
        return Decision.PRUNE if math.isnan(latest) or too_low or too_high else Decision.CONTINUE
