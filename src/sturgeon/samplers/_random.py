"""Random search: uniform in the encoded space (log ranges are log-uniform)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sturgeon._frozen import FrozenTrial
from sturgeon.samplers._base import BaseSampler, SampleContext
from sturgeon.space import Distribution

__all__ = ["RandomSampler"]


class RandomSampler(BaseSampler):
    """Independent uniform draws in the unit-cube encoding of each parameter."""

    def sample_one(
        self, name: str, distribution: Distribution, history: Sequence[FrozenTrial], ctx: SampleContext
    ) -> Any:
        return distribution.sample(ctx.rng)
