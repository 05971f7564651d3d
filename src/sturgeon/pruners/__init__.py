"""Pruners (schedulers): policies that stop, pause or promote trials at their reports.
``make_pruner`` resolves short names."""

from __future__ import annotations

from collections.abc import Callable

from sturgeon._checks import short_repr
from sturgeon._exceptions import InvalidValueError
from sturgeon.pruners._auto import AutoPruner
from sturgeon.pruners._base import BasePruner, Change, Decision, NopPruner
from sturgeon.pruners._halving import HyperbandPruner, SuccessiveHalvingPruner
from sturgeon.pruners._median import MedianPruner
from sturgeon.pruners._patient import PatientPruner
from sturgeon.pruners._pbt import PBT
from sturgeon.pruners._percentile import PercentilePruner
from sturgeon.pruners._threshold import ThresholdPruner
from sturgeon.pruners._wilcoxon import WilcoxonPruner

__all__ = [
    "PRUNERS",
    "PBT",
    "AutoPruner",
    "BasePruner",
    "Change",
    "Decision",
    "HyperbandPruner",
    "MedianPruner",
    "NopPruner",
    "PatientPruner",
    "PercentilePruner",
    "SuccessiveHalvingPruner",
    "ThresholdPruner",
    "WilcoxonPruner",
    "make_pruner",
]

# short name -> factory
PRUNERS: dict[str, Callable[[], BasePruner]] = {
    "auto": AutoPruner,
    "none": NopPruner,
    "median": MedianPruner,
    "asha": SuccessiveHalvingPruner,
    "successive_halving": SuccessiveHalvingPruner,
    "hyperband": HyperbandPruner,
    "pbt": PBT,
}


def make_pruner(pruner: str | BasePruner | None, seed: int | None = None) -> BasePruner:
    """A pruner from a short name or an instance; ``None`` never prunes. ``seed`` is given to
    a pruner whose own seed is None (rules that draw, e.g. Hyperband's brackets)."""
    if pruner is None:
        made: BasePruner = NopPruner()
    elif isinstance(pruner, BasePruner):
        made = pruner
    elif isinstance(pruner, str) and pruner in PRUNERS:
        made = PRUNERS[pruner]()
    else:
        raise InvalidValueError(
            f"pruner must be one of {sorted(PRUNERS)}, None or a BasePruner, got {short_repr(pruner)}"
        )
    if made.seed is None:
        made.seed = seed
    return made
