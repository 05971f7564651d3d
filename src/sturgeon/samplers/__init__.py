"""Samplers: the strategies that propose parameters. ``make_sampler`` resolves short names."""

from __future__ import annotations

from collections.abc import Callable

from sturgeon._checks import short_repr
from sturgeon._exceptions import InvalidValueError
from sturgeon.samplers._auto import AutoSampler
from sturgeon.samplers._base import BaseSampler, SampleContext
from sturgeon.samplers._cmaes import CmaEsSampler
from sturgeon.samplers._coarse_to_fine import CoarseToFineSampler
from sturgeon.samplers._gp import GPSampler
from sturgeon.samplers._grid import GridSampler
from sturgeon.samplers._observations import HistoryEncoder, Observations, infer_intersection_space
from sturgeon.samplers._qmc import QMCSampler
from sturgeon.samplers._random import RandomSampler
from sturgeon.samplers._tpe import TPESampler

__all__ = [
    "SAMPLERS",
    "AutoSampler",
    "BaseSampler",
    "CmaEsSampler",
    "CoarseToFineSampler",
    "GPSampler",
    "GridSampler",
    "HistoryEncoder",
    "Observations",
    "QMCSampler",
    "RandomSampler",
    "SampleContext",
    "TPESampler",
    "infer_intersection_space",
    "make_sampler",
]

# name -> factory(seed)
SAMPLERS: dict[str, Callable[[int | None], BaseSampler]] = {
    "random": lambda seed: RandomSampler(seed=seed),
    "grid": lambda seed: GridSampler(seed=seed),
    "qmc": lambda seed: QMCSampler(seed=seed),
    "cmaes": lambda seed: CmaEsSampler(seed=seed),
    "coarse_to_fine": lambda seed: CoarseToFineSampler(seed=seed),
    "tpe": lambda seed: TPESampler(seed=seed),
    "gp": lambda seed: GPSampler(seed=seed),
    "auto": lambda seed: AutoSampler(seed=seed),
}


def make_sampler(sampler: str | BaseSampler | None, seed: int | None) -> BaseSampler:
    """A sampler from a short name or an instance; ``None`` means ``"auto"``."""
    if sampler is None:
        sampler = "auto"
    if isinstance(sampler, BaseSampler):
        if sampler.seed is None:
            sampler.seed = seed
        return sampler
    if isinstance(sampler, str) and sampler in SAMPLERS:
        return SAMPLERS[sampler](seed)
    raise InvalidValueError(
        f"sampler must be one of {sorted(SAMPLERS)} or a BaseSampler instance, got {short_repr(sampler)}"
    )
