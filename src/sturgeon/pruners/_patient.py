"""Patience: let a wrapped pruner stop a trial only once the trial has stopped improving."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from sturgeon._exceptions import InvalidValueError
from sturgeon._frozen import FrozenTrial
from sturgeon.pruners._base import BasePruner, Decision
from sturgeon.pruners._checks import _check_int, _check_number, _loss, _sign

__all__ = ["PatientPruner"]


class PatientPruner(BasePruner):
    """Defer to ``wrapped_pruner`` only when the trial has stalled for ``patience`` steps.

    With the trial's reported steps in order, the last ``patience + 1`` of them form the
    recent window and the earlier ones the past. The trial has stalled when the best value in
    the window is worse than the best value of the past by more than ``min_delta`` (strictly:
    equal values, or a window within ``min_delta`` of the past best, do not count). A trial
    with at most ``patience + 1`` reports never stalls. NaN counts as the worst value.

    When stalled, the wrapped pruner's decision is returned (PRUNE when ``wrapped_pruner`` is
    None); otherwise CONTINUE, without asking the wrapped pruner.

    Args:
        wrapped_pruner: the pruner to defer to, or None to prune whenever the trial stalls.
        patience: reported steps without progress tolerated (>= 0).
        min_delta: how much worse than its past best a trial may get and still not stall (>= 0).

    Keeps no state of its own: as thread-safe as the wrapped pruner.
    """

    def __init__(self, wrapped_pruner: BasePruner | None, patience: int, *, min_delta: float = 0.0) -> None:
        owner = type(self).__name__
        if wrapped_pruner is not None and not isinstance(wrapped_pruner, BasePruner):
            raise InvalidValueError(
                f"{owner}: wrapped_pruner must be a BasePruner or None, got wrapped_pruner={wrapped_pruner!r}"
            )
        self.wrapped_pruner = wrapped_pruner
        self.patience = _check_int(owner, "patience", patience, 0)
        self.min_delta = _check_number(owner, "min_delta", min_delta, "a finite number >= 0", 0.0, sys.float_info.max)

    def __repr__(self) -> str:
        return f"PatientPruner({self.wrapped_pruner!r}, {self.patience}, min_delta={self.min_delta!r})"

    def decide(self, trial: FrozenTrial, history: Sequence[FrozenTrial], direction: str) -> Decision:
        sign = _sign(direction)
        values = trial.intermediate_values
        steps = sorted(values)
        window = self.patience + 1
        if len(steps) <= window:
            return Decision.CONTINUE
        past_best = min(_loss(values[s], sign) for s in steps[:-window])
        recent_best = min(_loss(values[s], sign) for s in steps[-window:])
        if not past_best + self.min_delta < recent_best:
            return Decision.CONTINUE
        if self.wrapped_pruner is None:
            return Decision.PRUNE
        return self.wrapped_pruner.decide(trial, history, direction)
