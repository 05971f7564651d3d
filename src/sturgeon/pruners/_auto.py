"""``"auto"``, the default pruner: nothing for objectives that never report, else a safe rule.

The rule (chosen on ``benchmarks/multifidelity.py``, see docs/benchmarks.md): asynchronous
successive halving with reduction factor 3 over the full training length learned from the
first trial that completes (nothing is stopped before one has), its first rung at 1/27 of it.
Trials that commit checkpoints are paused and promoted rather than stopped.
"""

from __future__ import annotations

from collections.abc import Sequence

from sturgeon._frozen import FrozenTrial
from sturgeon.pruners._base import BasePruner, Decision
from sturgeon.pruners._halving import _check_int, _first_complete_steps, _Halving

__all__ = ["AutoPruner"]


class AutoPruner(BasePruner):
    """The default rule; see the module docstring."""

    def __init__(self, *, reduction_factor: int = 3, n_rungs: int = 3) -> None:
        self.reduction_factor = _check_int("AutoPruner", "reduction_factor", reduction_factor, 2)
        self.n_rungs = _check_int("AutoPruner", "n_rungs", n_rungs, 0)

    def _bracket(self, history: Sequence[FrozenTrial]) -> _Halving | None:
        steps = _first_complete_steps(history)
        if steps is None:
            return None
        min_r = max(1, steps // self.reduction_factor**self.n_rungs)
        return _Halving(min_r, self.reduction_factor, 0, steps)

    def decide(self, trial: FrozenTrial, history: Sequence[FrozenTrial], direction: str) -> Decision:
        bracket = self._bracket(history)
        if bracket is None:
            return Decision.CONTINUE
        return bracket.decide(trial, history, 1.0 if direction == "minimize" else -1.0, 0)

    def promotable(self, paused: Sequence[FrozenTrial], history: Sequence[FrozenTrial], direction: str) -> list[int]:
        bracket = self._bracket(history)
        if bracket is None:
            return []
        sign = 1.0 if direction == "minimize" else -1.0
        return [n for _, n in sorted(bracket.promotable(paused, history, sign))]

    def __repr__(self) -> str:
        return f"AutoPruner(reduction_factor={self.reduction_factor}, n_rungs={self.n_rungs})"
