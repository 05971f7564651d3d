"""Coarse-to-fine search: sample the whole space, then narrow to where the best trials lie.

Stage 0 spreads ``n_coarse`` trials over the full space (scrambled Sobol points, so log ranges
are covered decade by decade). After that, each stage of ``n_per_stage`` trials samples a box
around the best ``top_fraction`` of the completed trials (``sturgeon.analysis.narrowed_space``),
the way practitioners narrow ranges by hand. The stage is recorded on each trial
(``coarse_to_fine:stage``). When a best value sits at the edge of its range, a warning says so
once per parameter and side ("lr best at the upper bound 0.1: widen the range").
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from sturgeon._exceptions import InvalidValueError
from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon.samplers._base import BaseSampler, SampleContext
from sturgeon.samplers._observations import infer_intersection_space
from sturgeon.samplers._qmc import QMCSampler, sobol_point
from sturgeon.space import Distribution

__all__ = ["CoarseToFineSampler"]


class CoarseToFineSampler(BaseSampler):
    """Broad quasi-random stage, then narrowing stages around the best trials."""

    def __init__(
        self,
        *,
        seed: int | None = None,
        n_coarse: int = 20,
        n_per_stage: int = 10,
        top_fraction: float = 0.2,
        margin: float = 0.25,
    ) -> None:
        super().__init__(seed=seed)
        for name, v in (("n_coarse", n_coarse), ("n_per_stage", n_per_stage)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise InvalidValueError(f"CoarseToFineSampler: {name} must be an int >= 1, got {v!r}")
        if not isinstance(top_fraction, (int, float)) or not 0 < top_fraction <= 1:
            raise InvalidValueError(f"CoarseToFineSampler: top_fraction must be in (0, 1], got {top_fraction!r}")
        if not isinstance(margin, (int, float)) or margin < 0:
            raise InvalidValueError(f"CoarseToFineSampler: margin must be >= 0, got {margin!r}")
        self.n_coarse, self.n_per_stage = n_coarse, n_per_stage
        self.top_fraction, self.margin = float(top_fraction), float(margin)
        self._fallback = QMCSampler()
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def infer_space(self, history: Sequence[FrozenTrial]) -> dict[str, Distribution]:
        return infer_intersection_space(history)

    def stage(self, n_complete: int) -> int:
        """The stage a trial belongs to when ``n_complete`` trials are done."""
        if n_complete < self.n_coarse:
            return 0
        return 1 + (n_complete - self.n_coarse) // self.n_per_stage

    def sample_joint(
        self, space: Mapping[str, Distribution], history: Sequence[FrozenTrial], ctx: SampleContext
    ) -> dict[str, Any]:
        from sturgeon.analysis import edge_warnings, narrowed_space

        n_done = sum(1 for t in history if t.state is TrialState.COMPLETE)
        stage = self.stage(n_done)
        box = dict(space)
        if stage > 0:
            box = narrowed_space(history, ctx.direction, space, top_fraction=self.top_fraction, margin=self.margin)
            self._warn(edge_warnings(history, ctx.direction, space))
        ctx.set_system_attr("coarse_to_fine:stage", stage)
        names = sorted(n for n, d in box.items() if not d.is_single)
        out = {n: d.decode(0.5) for n, d in box.items() if d.is_single}
        if names:
            u = sobol_point(ctx.trial_number, len(names), ctx.seed + stage)
            out.update({n: box[n].decode(float(v)) for n, v in zip(names, u, strict=True)})
        return out

    def _warn(self, messages: list[str]) -> None:
        with self._lock:
            for msg in messages:
                key = msg.split(":")[0]
                if key not in self._warned:
                    self._warned.add(key)
                    warnings.warn(msg, UserWarning, stacklevel=2)

    def sample_one(
        self, name: str, distribution: Distribution, history: Sequence[FrozenTrial], ctx: SampleContext
    ) -> Any:
        return self._fallback.sample_one(name, distribution, history, ctx)
