"""The pruner interface: a pure policy that decides whether a running trial goes on."""

from __future__ import annotations

import enum
from collections.abc import Sequence

from sturgeon._frozen import FrozenTrial

__all__ = ["BasePruner", "Decision", "NopPruner"]


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


class NopPruner(BasePruner):
    """Never prunes."""

    def decide(self, trial: FrozenTrial, history: Sequence[FrozenTrial], direction: str) -> Decision:
        return Decision.CONTINUE
