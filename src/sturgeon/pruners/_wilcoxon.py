"""Wilcoxon stopping: prune a trial that is, with confidence, worse than the best trial on the
same problem instances (one-sided paired signed-rank test)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon.pruners._base import BasePruner, Decision
from sturgeon.pruners._checks import _check_int, _check_number, _loss, _sign

__all__ = ["WilcoxonPruner"]


def _best_complete(history: Sequence[FrozenTrial], number: int, sign: float) -> FrozenTrial | None:
    """The COMPLETE trial (other than ``number``) with the best value, the earliest on ties."""
    best: FrozenTrial | None = None
    best_loss = math.inf
    for t in history:
        if t.state is not TrialState.COMPLETE or t.value is None or t.number == number or math.isnan(t.value):
            continue
        loss = sign * t.value
        if best is None or loss < best_loss:
            best, best_loss = t, loss
    return best


def _paired_differences(mine: np.ndarray, best: np.ndarray) -> np.ndarray:
    """``mine - best`` (losses; > 0: this trial is worse), with infinities made rankable.

    Equal values (the same infinity included) differ by 0; a pair with an infinite side gets
    the sign of its true difference and a magnitude above every finite one, so it takes the
    top rank, which is all the signed-rank test looks at.
    """
    with np.errstate(invalid="ignore"):
        diff = mine - best
    diff[mine == best] = 0.0
    finite = np.isfinite(diff)
    if finite.all():
        return diff
    big = 2.0 * float(np.max(np.abs(diff[finite]), initial=0.0)) + 1.0
    diff[~finite] = np.sign(diff[~finite]) * big
    return diff


class WilcoxonPruner(BasePruner):
    """Prune when a one-sided paired Wilcoxon signed-rank test says, at p < ``p_threshold``,
    that the trial is worse than the current best COMPLETE trial.

    For objectives scored over a set of problem instances (folds, test cases, questions): the
    trial reports each instance's score with the instance id as the step, in any order, and
    the pruner pairs its scores with the best trial's scores on the instances both reported.
    Nothing is pruned with fewer than ``max(2, n_startup_steps)`` such pairs, without a
    COMPLETE trial, or when the best trial has no reports.

    As a safeguard, a trial whose mean over all its reports is not worse than the best trial's
    mean over all of its reports is never pruned, whatever the test says (so ties, and trials
    that are better on average, continue). NaN counts as the worst possible value (it loses
    every pair, except against another NaN, which ties). Zero differences are split between
    the two signs (``zero_method="zsplit"``), so an all-tied trial is never pruned.

    Args:
        p_threshold: in [0, 1]; the larger, the more aggressive.
        n_startup_steps: instances in common with the best trial before anything is pruned.

    Needs scipy (imported when a decision is first made). Pure policy over the history: no
    state, safe to share between threads. The test is repeated as instances accrue, so its
    false-positive rate exceeds ``p_threshold``; pass a corrected threshold for a nominal one.
    """

    def __init__(self, *, p_threshold: float = 0.1, n_startup_steps: int = 2) -> None:
        owner = type(self).__name__
        self.p_threshold = _check_number(owner, "p_threshold", p_threshold, "a number in [0, 1]", 0.0, 1.0)
        self.n_startup_steps = _check_int(owner, "n_startup_steps", n_startup_steps, 0)

    def __repr__(self) -> str:
        return f"WilcoxonPruner(p_threshold={self.p_threshold!r}, n_startup_steps={self.n_startup_steps})"

    def decide(self, trial: FrozenTrial, history: Sequence[FrozenTrial], direction: str) -> Decision:
        if not trial.intermediate_values:
            return Decision.CONTINUE
        sign = _sign(direction)
        best = _best_complete(history, trial.number, sign)
        if best is None or not best.intermediate_values:
            return Decision.CONTINUE
        mine = {s: _loss(v, sign) for s, v in trial.intermediate_values.items()}
        theirs = {s: _loss(v, sign) for s, v in best.intermediate_values.items()}
        common = sorted(mine.keys() & theirs.keys())
        if len(common) < max(2, self.n_startup_steps):
            return Decision.CONTINUE
        with np.errstate(invalid="ignore"):
            mine_mean = float(np.mean(list(mine.values())))
            best_mean = float(np.mean(list(theirs.values())))
        if not mine_mean > best_mean:  # not worse on average (NaN from inf - inf: unknown)
            return Decision.CONTINUE
        diff = _paired_differences(np.array([mine[s] for s in common]), np.array([theirs[s] for s in common]))
        from scipy.stats import wilcoxon

        p = float(wilcoxon(diff, alternative="greater", zero_method="zsplit").pvalue)
        return Decision.PRUNE if p < self.p_threshold else Decision.CONTINUE
