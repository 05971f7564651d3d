"""Quasi-random search: a scrambled Sobol sequence, indexed by trial number.

Trial ``i`` takes point ``i`` of a Sobol sequence scrambled with the study's seed, so the
first ``n`` trials cover the space far more evenly than ``n`` random draws, and any worker
computes the same point for the same trial (reproducible under parallelism). The joint
space is the one the trial was asked with, else the parameters every completed trial
shares; a parameter outside it (the first trial of a define-by-run study, a conditional
branch) takes point ``i`` of its own one-dimensional sequence, seeded by its name.
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from sturgeon._frozen import FrozenTrial
from sturgeon._optuna import optuna_kwargs
from sturgeon.samplers._base import BaseSampler, SampleContext
from sturgeon.samplers._observations import infer_intersection_space
from sturgeon.space import Distribution

__all__ = ["QMCSampler", "sobol_point"]


@lru_cache(maxsize=256)
def _sobol_block(d: int, seed: int, block: int) -> np.ndarray:
    """Points [block * 256, (block + 1) * 256) of the scrambled Sobol sequence."""
    from scipy.stats import qmc  # here, not at import: scipy.stats takes a third of a second to load

    engine = qmc.Sobol(d, scramble=True, seed=seed)
    if block:
        engine.fast_forward(block * 256)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "balance properties" warnings for non-power-of-2 draws
        return engine.random(256)


def sobol_point(index: int, d: int, seed: int) -> np.ndarray:
    """Point ``index`` of a ``d``-dimensional Sobol sequence scrambled with ``seed``."""
    block, offset = divmod(index, 256)
    return _sobol_block(d, seed % (2**32), block)[offset]


class QMCSampler(BaseSampler):
    """Scrambled Sobol points; the space-filling design that TPE and GP start from."""

    def __init__(self, *, seed: int | None = None, **optuna_args: Any) -> None:
        super().__init__(seed=seed)
        optuna_kwargs("QMCSampler", optuna_args)

    def infer_space(self, history: Sequence[FrozenTrial]) -> dict[str, Distribution]:
        return infer_intersection_space(history)

    def sample_joint(
        self, space: Mapping[str, Distribution], history: Sequence[FrozenTrial], ctx: SampleContext
    ) -> dict[str, Any]:
        names = sorted(n for n, d in space.items() if not d.is_single)
        if not names:
            return {}
        u = sobol_point(ctx.trial_number, len(names), ctx.seed)
        return {n: space[n].decode(float(v)) for n, v in zip(names, u, strict=True)}

    def sample_one(
        self, name: str, distribution: Distribution, history: Sequence[FrozenTrial], ctx: SampleContext
    ) -> Any:
        seed = (ctx.seed * 1_000_003 + zlib.crc32(name.encode())) % (2**32)
        return distribution.decode(float(sobol_point(ctx.trial_number, 1, seed)[0]))
