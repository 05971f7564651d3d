"""``"auto"``, the default pruner: nothing for objectives that never report, else a safe rule.

The rule, chosen on ``benchmarks/multifidelity.py`` with seeds 100 and 101 (the reported run
uses seeds 0 to 4; see docs/benchmarks.md): median stopping, after the first 5 trials have
finished, from the step that is 1/12 of the full training on (learned from the first trial
that completes; 2 of 27 epochs). Against no pruning with the same sampler it had lower mean
normalized regret at 10, 30 and 100 full trainings (0.72 / 0.64 / 0.40 against 0.90 / 0.68 /
0.41), and lower than every successive-halving and Hyperband setting tried, whose aggressive
early rungs rank trials by curves that cross later. Successive halving with pause and
promote stays one name away: ``pruner="asha"`` or ``"hyperband"``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sturgeon._frozen import FrozenTrial
from sturgeon.pruners._base import BasePruner, Decision
from sturgeon.pruners._checks import _check_int
from sturgeon.pruners._halving import _first_complete_steps
from sturgeon.pruners._median import MedianPruner

__all__ = ["AutoPruner"]


class AutoPruner(BasePruner):
    """The default rule; see the module docstring.

    Args:
        n_startup_trials: finished trials before anything is stopped.
        warmup_fraction: a trial is never stopped in the first ``1 / warmup_fraction`` of
            the full training (the steps of the first trial that completed).
    """

    def __init__(self, *, n_startup_trials: int = 5, warmup_fraction: int = 12) -> None:
        self.n_startup_trials = _check_int("AutoPruner", "n_startup_trials", n_startup_trials, 0)
        self.warmup_fraction = _check_int("AutoPruner", "warmup_fraction", warmup_fraction, 1)

    def rule(self, history: Sequence[FrozenTrial]) -> BasePruner | None:
        """The rule in force for this history (None before a trial has completed)."""
        steps = _first_complete_steps(history)
        if steps is None:
            return None
        return MedianPruner(n_startup_trials=self.n_startup_trials, n_warmup_steps=steps // self.warmup_fraction)

    def decide(self, trial: FrozenTrial, history: Sequence[FrozenTrial], direction: str) -> Decision:
        rule = self.rule(history)
        return Decision.CONTINUE if rule is None else rule.decide(trial, history, direction)

    def __repr__(self) -> str:
        return f"AutoPruner(n_startup_trials={self.n_startup_trials}, warmup_fraction={self.warmup_fraction})"
