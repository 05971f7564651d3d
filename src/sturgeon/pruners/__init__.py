"""Pruners: policies that stop unpromising trials early. ``make_pruner`` resolves short names."""

from __future__ import annotations

from sturgeon._exceptions import InvalidValueError
from sturgeon.pruners._base import BasePruner, Decision, NopPruner
from sturgeon.pruners._median import MedianPruner

__all__ = ["BasePruner", "Decision", "MedianPruner", "NopPruner", "make_pruner"]

_PRUNERS = {"none": NopPruner, "median": MedianPruner}


def make_pruner(pruner: str | BasePruner | None) -> BasePruner:
    """A pruner from a short name or an instance; ``None`` never prunes."""
    if pruner is None:
        return NopPruner()
    if isinstance(pruner, BasePruner):
        return pruner
    if isinstance(pruner, str) and pruner in _PRUNERS:
        return _PRUNERS[pruner]()
    raise InvalidValueError(f"pruner must be one of {sorted(_PRUNERS)}, None or a BasePruner, got {pruner!r}")
