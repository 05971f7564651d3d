"""Samplers: the strategies that propose parameters. ``make_sampler`` resolves short names.

The model-based samplers (and their numerics, which need scipy) are imported when first
used: ``sturgeon.samplers.GPSampler`` or ``make_sampler("gp", ...)`` loads them, ``import
sturgeon`` does not."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sturgeon._checks import short_repr
from sturgeon._exceptions import InvalidValueError
from sturgeon._optuna import refuse_sampler
from sturgeon.samplers._auto import AutoSampler
from sturgeon.samplers._base import BaseSampler, SampleContext
from sturgeon.samplers._grid import GridSampler
from sturgeon.samplers._observations import HistoryEncoder, Observations, infer_intersection_space
from sturgeon.samplers._random import RandomSampler

if TYPE_CHECKING:
    from sturgeon.samplers._cmaes import CmaEsSampler
    from sturgeon.samplers._coarse_to_fine import CoarseToFineSampler
    from sturgeon.samplers._gp import GPSampler
    from sturgeon.samplers._nsga import NSGAIIISampler, NSGAIISampler
    from sturgeon.samplers._qmc import QMCSampler
    from sturgeon.samplers._tpe import TPESampler

# public name -> the private module that defines it, imported on first access (PEP 562)
_LAZY = {
    "CmaEsSampler": "_cmaes",
    "CoarseToFineSampler": "_coarse_to_fine",
    "GPSampler": "_gp",
    "NSGAIISampler": "_nsga",
    "NSGAIIISampler": "_nsga",
    "QMCSampler": "_qmc",
    "TPESampler": "_tpe",
}


# Optuna's sampler classes that sturgeon has no counterpart for yet: calling one raises
# NotSupportedError with the reason (docs/optuna.md)
BruteForceSampler = refuse_sampler(
    "BruteForceSampler", "use GridSampler, which runs every point of a discrete space once"
)
PartialFixedSampler = refuse_sampler(
    "PartialFixedSampler", "enqueue the fixed values instead: study.enqueue({...}) fixes them for that trial"
)


def _load(name: str) -> Any:
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value  # found directly from now on
    return value


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return _load(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "SAMPLERS",
    "AutoSampler",
    "BaseSampler",
    "BruteForceSampler",
    "CmaEsSampler",
    "CoarseToFineSampler",
    "GPSampler",
    "GridSampler",
    "HistoryEncoder",
    "NSGAIIISampler",
    "NSGAIISampler",
    "Observations",
    "PartialFixedSampler",
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
    "qmc": lambda seed: _load("QMCSampler")(seed=seed),
    "cmaes": lambda seed: _load("CmaEsSampler")(seed=seed),
    "coarse_to_fine": lambda seed: _load("CoarseToFineSampler")(seed=seed),
    "tpe": lambda seed: _load("TPESampler")(seed=seed),
    "gp": lambda seed: _load("GPSampler")(seed=seed),
    "nsga2": lambda seed: _load("NSGAIISampler")(seed=seed),
    "nsga3": lambda seed: _load("NSGAIIISampler")(seed=seed),
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
