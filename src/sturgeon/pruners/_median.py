"""Median stopping: prune a trial whose best value so far is worse than the others' median."""

from __future__ import annotations

from sturgeon.pruners._percentile import PercentilePruner

__all__ = ["MedianPruner"]


class MedianPruner(PercentilePruner):
    """Prune when the trial's best value so far is strictly worse than the median, at the same
    step, of the other COMPLETE and PRUNED trials' best values up to that step.

    The same rule as ``PercentilePruner(50.0, ...)``, with the same arguments and the same
    handling of NaN (the worst value), skipped steps, ties (never pruned) and both directions.

    Args:
        n_startup_trials: COMPLETE or PRUNED trials needed before anything is pruned.
        n_warmup_steps: the first step at which a trial can be pruned.
        interval_steps: steps between two pruning checks (>= 1).
        n_min_trials: finished trials with a report at or before the step needed to judge it.
    """

    def __init__(
        self,
        *,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
    ) -> None:
        super().__init__(
            50.0,
            n_startup_trials=n_startup_trials,
            n_warmup_steps=n_warmup_steps,
            interval_steps=interval_steps,
            n_min_trials=n_min_trials,
        )

    def __repr__(self) -> str:
        return (
            f"MedianPruner(n_startup_trials={self.n_startup_trials}, n_warmup_steps={self.n_warmup_steps}, "
            f"interval_steps={self.interval_steps}, n_min_trials={self.n_min_trials})"
        )
