"""What every importance evaluator shares: the contract, and the study read as arrays."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sturgeon._exceptions import InvalidValueError, NoCompletedTrialsError
from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon.samplers._observations import infer_intersection_space
from sturgeon.space import Distribution

if TYPE_CHECKING:
    from sturgeon.study import Study

__all__ = ["BaseImportanceEvaluator", "ImportanceData", "Target", "importance_data"]

Target = Callable[[FrozenTrial], float]
MIN_TRIALS = 2


@dataclass(frozen=True)
class ImportanceData:
    """The COMPLETE trials of a study as arrays: ``X[i, j]`` is trial ``i``'s parameter
    ``names[j]`` in the unit-cube encoding (``Distribution.encode``: log ranges in log space,
    categories at their cell centres), ``y[i]`` its value (or the target's)."""

    names: tuple[str, ...]
    distributions: tuple[Distribution, ...]
    X: np.ndarray
    y: np.ndarray
    direction: str
    """"minimize" or "maximize": which end of ``y`` is good."""


def importance_data(
    trials: Sequence[FrozenTrial],
    direction: str,
    *,
    params: Sequence[str] | None = None,
    target: Target | None = None,
    study_name: str = "the study",
) -> ImportanceData:
    """Read the COMPLETE trials over the parameters every one of them holds with the same
    distribution (or over ``params``), dropping parameters with a single possible value."""
    done = [t for t in trials if t.state is TrialState.COMPLETE and t.value is not None and not t.excluded]
    if not done:
        raise NoCompletedTrialsError(f"parameter importance needs COMPLETE trials; {study_name} has none")
    space = infer_intersection_space(done)
    if params is not None:
        params = list(params)
        if not params:
            raise InvalidValueError("params must name at least one parameter, got []")
        known = sorted({name for t in done for name in t.params})
        for name in params:
            if name not in known:
                raise InvalidValueError(f"params: unknown parameter {name!r}; the COMPLETE trials hold {known}")
            if name not in space:
                raise InvalidValueError(
                    f"params: parameter {name!r} is not held, with one distribution, by every COMPLETE trial"
                )
        space = {name: space[name] for name in params}
    space = {name: d for name, d in space.items() if not d.is_single}
    if not space:
        raise InvalidValueError(
            f"parameter importance needs a parameter with more than one value; {study_name} has none"
        )
    names = tuple(space)
    dists = tuple(space.values())
    y = np.array([float(target(t)) if target is not None else float(t.value or 0.0) for t in done])
    keep = np.isfinite(y)
    if int(keep.sum()) < MIN_TRIALS:
        raise InvalidValueError(
            f"parameter importance needs at least {MIN_TRIALS} COMPLETE trials with a finite value; "
            f"{study_name} has {int(keep.sum())}"
        )
    X = np.array([[d.encode(t.params[n]) for n, d in zip(names, dists, strict=True)] for t in done])
    return ImportanceData(names, dists, X[keep], y[keep], direction)


class BaseImportanceEvaluator(ABC):
    """Scores how much each parameter explains the objective.

    Contract: ``evaluate_data`` gets the study as arrays (``ImportanceData``) and returns one
    non-negative, unnormalized score per name, deterministically for a given seed. It keeps no
    state between calls, so one evaluator can serve many studies.
    """

    name: str = "importance"
    """The method's name, shown on plots."""

    @abstractmethod
    def evaluate_data(self, data: ImportanceData) -> dict[str, float]:
        """One non-negative score per parameter of ``data`` (not normalized)."""

    def evaluate(
        self, study: Study, params: Sequence[str] | None = None, *, target: Target | None = None
    ) -> dict[str, float]:
        """The scores of ``study``'s parameters (not normalized), most important first."""
        data = importance_data(study.trials, study.direction, params=params, target=target, study_name=repr(study.name))
        return _sorted(self.evaluate_data(data))


def _sorted(scores: dict[str, float]) -> dict[str, float]:
    return dict(sorted(scores.items(), key=lambda kv: -kv[1]))


def normalized(scores: dict[str, float]) -> dict[str, float]:
    """Scores scaled to sum to 1 (all equal when every score is 0), most important first."""
    total = math.fsum(scores.values())
    if total <= 0:
        return _sorted({k: 1.0 / len(scores) for k in scores})
    return _sorted({k: v / total for k, v in scores.items()})
