"""Percentile stopping: prune a trial whose best value so far is in the bad tail of the others'.

Also home of the small checks the stopping rules share (argument validation, the loss view of
a value, the warmup/interval schedule); they are private to ``sturgeon.pruners``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon.pruners._base import BasePruner, Decision
from sturgeon.pruners._checks import _check_int, _check_number, _loss, _sign

__all__ = ["PercentilePruner"]

_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


# -- shared by the stopping rules -----------------------------------------------------------
def _best_loss_upto(values: Mapping[int, float], step: int, sign: float) -> float | None:
    """The best (lowest) loss reported at steps <= ``step``; None when nothing was reported."""
    losses = [_loss(v, sign) for s, v in values.items() if s <= step]
    return min(losses) if losses else None


def _is_check_step(step: int, steps: Iterable[int], n_warmup_steps: int, interval_steps: int) -> bool:
    """Whether ``step`` (the trial's last) is a pruning check.

    Checks fall at ``n_warmup_steps + k * interval_steps``; a check at a step that was not
    reported is postponed to the first step reported after it, so a trial that skips steps is
    still checked once per interval.
    """
    if step < n_warmup_steps:
        return False
    due = n_warmup_steps + (step - n_warmup_steps) // interval_steps * interval_steps
    previous = max((s for s in steps if s < step), default=-1)
    return previous < due


def _percentile_of_losses(losses: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (linear interpolation, numpy's default), exact with infinities."""
    ordered = sorted(losses)
    pos = q / 100.0 * (len(ordered) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    a, b = ordered[lo], ordered[hi]
    frac = pos - lo
    if a == b or frac == 0.0:
        return a
    if math.isinf(a) and a < 0:
        return a
    if math.isinf(b):
        return b
    return a + frac * (b - a)


# -- the rule -------------------------------------------------------------------------------
class PercentilePruner(BasePruner):
    """Prune when the trial's best value so far is worse than the ``percentile``-th percentile,
    on the good side, of the other finished trials' best values up to the same step.

    At the trial's last step ``s``, each other COMPLETE or PRUNED trial contributes its best
    value over the steps ``<= s`` it reported (so trials that skipped steps still count). For
    "minimize" the threshold is the ``percentile``-th percentile of those values; for
    "maximize" the ``(100 - percentile)``-th, so ``percentile=25`` keeps the top quarter either
    way. The trial is pruned only when strictly worse (ties continue).

    NaN counts as the worst possible value: a trial whose last report is NaN is pruned at the
    next check, and another trial's NaN reports only ever make the threshold looser.

    Nothing is pruned before ``n_startup_trials`` trials finished, before step
    ``n_warmup_steps``, between checks (every ``interval_steps`` steps from the warmup; a check
    at an unreported step moves to the next reported one), or while fewer than
    ``n_min_trials`` finished trials reported at or before the step.

    Args:
        percentile: in [0, 100]; lower prunes more (50 is the median rule).
        n_startup_trials: COMPLETE or PRUNED trials needed before anything is pruned.
        n_warmup_steps: the first step at which a trial can be pruned.
        interval_steps: steps between two pruning checks (>= 1).
        n_min_trials: finished trials with a report at or before the step needed to judge it.

    Pure policy over the history: no state, safe to share between threads.
    """

    def __init__(
        self,
        percentile: float,
        *,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
    ) -> None:
        owner = type(self).__name__
        self.percentile = _check_number(owner, "percentile", percentile, "a number in [0, 100]", 0.0, 100.0)
        self.n_startup_trials = _check_int(owner, "n_startup_trials", n_startup_trials, 0)
        self.n_warmup_steps = _check_int(owner, "n_warmup_steps", n_warmup_steps, 0)
        self.interval_steps = _check_int(owner, "interval_steps", interval_steps, 1)
        self.n_min_trials = _check_int(owner, "n_min_trials", n_min_trials, 1)

    def __repr__(self) -> str:
        return (
            f"PercentilePruner({self.percentile!r}, n_startup_trials={self.n_startup_trials}, "
            f"n_warmup_steps={self.n_warmup_steps}, interval_steps={self.interval_steps}, "
            f"n_min_trials={self.n_min_trials})"
        )

    def decide(self, trial: FrozenTrial, history: Sequence[FrozenTrial], direction: str) -> Decision:
        step = trial.last_step
        if step is None:
            return Decision.CONTINUE
        sign = _sign(direction)
        finished = [t for t in history if t.state in _FINISHED and t.number != trial.number]
        if len(finished) < self.n_startup_trials:
            return Decision.CONTINUE
        values = trial.intermediate_values
        if not _is_check_step(step, values.keys(), self.n_warmup_steps, self.interval_steps):
            return Decision.CONTINUE
        if math.isnan(values[step]):
            return Decision.PRUNE
        others = [b for t in finished if (b := _best_loss_upto(t.intermediate_values, step, sign)) is not None]
        if not others or len(others) < self.n_min_trials:
            return Decision.CONTINUE
        mine = _best_loss_upto(values, step, sign)
        assert mine is not None  # the trial reported at ``step``
        threshold = _percentile_of_losses(others, self.percentile)
        return Decision.PRUNE if mine > threshold else Decision.CONTINUE
