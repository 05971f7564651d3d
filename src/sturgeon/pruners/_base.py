"""The pruner interface: a pure policy that decides whether a running trial goes on."""

from __future__ import annotations

import enum
from collections.abc import Sequence

from sturgeon._frozen import FrozenTrial

__all__ = ["BasePruner", "Decision", "NopPruner"]


class Decision(enum.Enum):
    """What a pruner says about a running trial."""

    CONTINUE = "continue"
    PRUNE = "prune"


class BasePruner:
    """Decide from the trial (with its intermediate values) and the study's history.

    ``decide`` is called by ``trial.should_prune()`` after the trial has reported at least
    once; ``direction`` is "minimize" or "maximize". Implementations keep no state that
    cannot be rebuilt from the history, and must be thread-safe.
    """

    def decide(self, trial: FrozenTrial, history: Sequence[FrozenTrial], direction: str) -> Decision:
        raise NotImplementedError


class NopPruner(BasePruner):
    """Never prunes."""

    def decide(self, trial: FrozenTrial, history: Sequence[FrozenTrial], direction: str) -> Decision:
        return Decision.CONTINUE
