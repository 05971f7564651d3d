"""Median stopping: prune a trial whose value is worse than the median of earlier trials."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sturgeon._exceptions import InvalidValueError
from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon.pruners._base import BasePruner, Decision

__all__ = ["MedianPruner"]


class MedianPruner(BasePruner):
    """Prune when the trial's best value so far is worse than the median, at the same step,
    of the completed and pruned trials' best values up to that step.

    Args:
        n_startup_trials: finished trials needed before anything is pruned.
        n_warmup_steps: steps a trial always runs before it can be pruned.
    """

    def __init__(self, *, n_startup_trials: int = 5, n_warmup_steps: int = 0) -> None:
        for name, v in (("n_startup_trials", n_startup_trials), ("n_warmup_steps", n_warmup_steps)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise InvalidValueError(f"MedianPruner: {name} must be an int >= 0, got {v!r}")
        self.n_startup_trials = n_startup_trials
        self.n_warmup_steps = n_warmup_steps

    def decide(self, trial: FrozenTrial, history: Sequence[FrozenTrial], direction: str) -> Decision:
        step = trial.last_step
        if step is None or step < self.n_warmup_steps:
            return Decision.CONTINUE
        sign = 1.0 if direction == "minimize" else -1.0
        finished = [
            t for t in history if t.state in (TrialState.COMPLETE, TrialState.PRUNED) and t.number != trial.number
        ]
        if len(finished) < self.n_startup_trials:
            return Decision.CONTINUE
        others = []
        for t in finished:
            upto = [sign * v for s, v in t.intermediate_values.items() if s <= step]
            if upto:
                others.append(min(upto))
        if not others:
            return Decision.CONTINUE
        mine = min(sign * v for s, v in trial.intermediate_values.items() if s <= step)
        return Decision.PRUNE if mine > float(np.median(others)) else Decision.CONTINUE
