"""The pruner interface: a pure policy that decides whether a running trial goes on."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sturgeon._frozen import FrozenTrial

__all__ = ["BasePruner", "Change", "Decision", "NopPruner"]


class Decision(enum.Enum):
    """What a pruner (scheduler) says about a running trial at a report.

    CONTINUE: go on. PRUNE: stop for good. PAUSE: stop here and wait to be promoted (resumed
    from the checkpoint saved at this step); a trial with no checkpoint at the step is pruned.
    CHANGE: go on with changed hyperparameters (``trial.live_params`` has them from the next
    step on; a live change from outside, or a rule's ``plan_change``).
    """

    CONTINUE = "continue"
    PRUNE = "prune"
    PAUSE = "pause"
    CHANGE = "change"


@dataclass(frozen=True)
class Change:
    """What a rule that decided CHANGE wants (``BasePruner.plan_change``): these values from the
    next step on, continuing from the checkpoint ``source`` = (trial, step) when given (an
    exploit: the trial goes on from another trial's state), else from its own state."""

    params: Mapping[str, Any]
    source: tuple[int, int] | None = None
    reason: str | None = None


class BasePruner:
    """Decide from the trial (with its intermediate values) and the study's history.

    Call order (the study drives it; pruners never touch storage):

    * ``decide(trial, history, direction)`` from ``trial.should_prune()``, after the trial has
      reported at least once; ``trial`` is the running trial's snapshot (its
      ``checkpoints`` say whether it could pause at its last step: ``trial.last_step in
      trial.checkpoints``). Return PAUSE only for such a trial; PAUSE for one without a
      checkpoint at that step ends as PRUNED.
    * ``promotable(paused, history, direction)`` from every ``ask``, when the study has PAUSED
      trials: the numbers of those that may resume now, most promising first (trials paused
      because their worker died are resumed anyway, before these).
    * ``plan_change(trial, history, direction)`` right after ``decide`` returned CHANGE: the
      values (and the checkpoint to go on from); the study applies it as a live change.

    ``direction`` is "minimize" or "maximize". ``seed`` is set by the study (its seed) when
    left None, for rules that draw (e.g. Hyperband's brackets): draws come from (seed, trial
    number), never from hidden state. Implementations keep no state that cannot be rebuilt
    from the history, and must be thread-safe.
    """

    seed: int | None = None

    def decide(self, trial: FrozenTrial, history: Sequence[FrozenTrial], direction: str) -> Decision:
        raise NotImplementedError

    def promotable(self, paused: Sequence[FrozenTrial], history: Sequence[FrozenTrial], direction: str) -> list[int]:
        """PAUSED trials that may resume now, most promising first. Default: none."""
        return []

    def plan_change(self, trial: FrozenTrial, history: Sequence[FrozenTrial], direction: str) -> Change | None:
        """After ``decide`` said CHANGE: the change (None: go on unchanged). Default: None."""
        return None


class NopPruner(BasePruner):
    """Never prunes."""

    def decide(self, trial: FrozenTrial, history: Sequence[FrozenTrial], direction: str) -> Decision:
        return Decision.CONTINUE
