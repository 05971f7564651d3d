"""Multi-fidelity history: what stopped and paused trials tell a model-based sampler.

A trial stopped (PRUNED) or PAUSED at a rung did not finish: its last report is a value at a
lower fidelity, not a result, and must never be read as one. What it does tell is how it
compared with the others *at the steps it reached*. ``FidelityView`` turns the history into
the one a model should see, BOHB-style:

* the target fidelity is the largest step ``r`` at which at least ``max(min_trials, d + 2)``
  trials (``d`` parameters) have a report (their first report at a step >= ``r``); when the
  COMPLETE trials alone are that many, ``r`` is the full training and nothing but the states
  changes;
* every trial that reached ``r`` is shown as COMPLETE with its value at ``r`` (finished ones
  too, so that all values are of one fidelity);
* every trial stopped or paused before ``r`` is shown as PRUNED: a bad point (TPE puts it in
  its bad group, the GP counts it as visited);
* RUNNING and WAITING trials are left as they are (pending: the constant liar).

A history without PRUNED or PAUSED trials that reported is returned as it is, so studies
without early stopping are modelled exactly as before. Rewritten trials are memoized by
(trial snapshot, target) so that the samplers' incremental caches keep working.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Sequence

from sturgeon._frozen import FrozenTrial, TrialState

__all__ = ["FidelityView"]

_STOPPED = (TrialState.PRUNED, TrialState.PAUSED)
_USED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.PAUSED)


def _value_at(t: FrozenTrial, step: int) -> float | None:
    steps = [s for s in t.intermediate_values if s >= step]
    return t.intermediate_values[min(steps)] if steps else None


def target_step(history: Sequence[FrozenTrial], min_trials: int) -> int | None:
    """The largest step with enough trials reporting at it; None when the COMPLETE trials
    alone are enough (model the final values) or no step is."""
    n_complete = sum(1 for t in history if t.state is TrialState.COMPLETE)
    names: set[str] = set()
    last_steps: list[int] = []
    for t in history:
        if t.state in _USED and t.intermediate_values:
            names.update(t.distributions)
            last_steps.append(max(t.intermediate_values))
    need = max(min_trials, len(names) + 2)
    if n_complete >= need or len(last_steps) < need:
        return None
    last_steps.sort(reverse=True)
    return last_steps[need - 1]  # the need-th largest last step: that many trials reached it


class FidelityView:
    """Rewrites a history for a model (see the module docstring). Thread-safe."""

    def __init__(self, *, min_trials: int = 5) -> None:
        self.min_trials = min_trials
        self._lock = threading.Lock()
        self._memo: dict[int, tuple[FrozenTrial, int | None, FrozenTrial]] = {}
        self._final_prefix = 0  # history[:_final_prefix] is COMPLETE or FAIL with no stopped trial
        self._pruned_seen = False
        self.generation = 0  # bumped when the target fidelity moves: rewritten finished trials change
        self._last_target: int | None = None

    def __call__(self, history: Sequence[FrozenTrial]) -> Sequence[FrozenTrial]:
        if not self._stopping(history):
            return history  # no early stopping in this study: model it as it is
        r = target_step(history, self.min_trials)
        out = []
        with self._lock:
            if r != self._last_target:
                self._last_target = r
                self.generation += 1
            for t in history:
                if t.state not in _USED:
                    out.append(t)
                    continue
                hit = self._memo.get(t.number)
                if hit is None or hit[0] is not t or hit[1] != r:
                    hit = (t, r, self._rewrite(t, r))
                    self._memo[t.number] = hit
                out.append(hit[2])
        return out

    def _stopping(self, history: Sequence[FrozenTrial]) -> bool:
        """Whether some trial was stopped or paused after reporting. Incremental: COMPLETE and
        FAIL trials never change, so the leading run of them is not looked at again, and a
        PRUNED trial that reported stays so for good."""
        with self._lock:
            if self._pruned_seen and len(history) >= self._final_prefix:
                return True
            start = self._final_prefix if len(history) >= self._final_prefix else 0
            pruned, paused, complete, fail = TrialState.PRUNED, TrialState.PAUSED, TrialState.COMPLETE, TrialState.FAIL
            prefix = start
            found = False
            for i in range(start, len(history)):
                t = history[i]
                state = t.state
                if (state is pruned or state is paused) and t.intermediate_values:
                    found = True
                    self._pruned_seen = self._pruned_seen or state is pruned
                    break
                if prefix == i and (state is complete or state is fail):
                    prefix = i + 1
            self._final_prefix = prefix
            return found

    @staticmethod
    def _rewrite(t: FrozenTrial, r: int | None) -> FrozenTrial:
        if r is None:  # model final values: stopped trials are bad points, as they are
            return dataclasses.replace(t, state=TrialState.PRUNED) if t.state is TrialState.PAUSED else t
        if not t.intermediate_values:  # a COMPLETE trial that never reported: its value is all there is
            return dataclasses.replace(t, state=TrialState.PRUNED) if t.state is TrialState.PAUSED else t
        v = _value_at(t, r)
        if v is None or math.isnan(v):
            return t if t.state is TrialState.PRUNED else dataclasses.replace(t, state=TrialState.PRUNED, value=None)
        return dataclasses.replace(t, state=TrialState.COMPLETE, value=float(v))
