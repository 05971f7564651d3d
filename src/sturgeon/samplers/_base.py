"""The sampler interface: a pure policy that proposes parameter values from the history.

Call order for each trial (the study drives it; samplers never touch storage):

1. ``before_trial(history, ctx)`` once, right after the trial is created. A sampler that
   must reserve something (a grid point) does it here through ``ctx.claim``.
2. ``infer_space(history)`` then ``sample_joint(space, history, ctx)`` once, at the trial's
   first suggestion, for samplers that model parameters jointly (``space`` is the
   declarative space when the trial was asked with one).
3. ``sample_one(name, distribution, history, ctx)`` for every parameter that step 2 did
   not cover (define-by-run parameters, conditional branches).

``history`` is every trial of the study, RUNNING and WAITING ones included, as
``FrozenTrial`` snapshots. ``ctx.rng`` is seeded from (seed, trial number), so a trial's
draws do not depend on what other workers did. A sampler keeps no state that cannot be
rebuilt from the history and its seed. Implementations must be thread-safe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sturgeon._frozen import FrozenTrial
from sturgeon.space import Distribution

__all__ = ["BaseSampler", "SampleContext"]


@dataclass
class SampleContext:
    """What a sampler may know and do for the trial being sampled.

    ``claim(unique_key, attr, value)`` reserves something study-wide (False if taken);
    ``set_system_attr(key, value)`` records a fact on the trial (e.g. which strategy ran);
    ``refresh()`` re-reads the history.
    """

    trial_number: int
    rng: np.random.Generator
    direction: str
    seed: int
    directions: tuple[str, ...] = ()
    """The study's directions; several for a multi-objective study (then ``direction`` is
    "minimize", what a single-objective sampler sees of the scalarized history)."""
    space: Mapping[str, Distribution] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    fixed_params: Mapping[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    claim: Callable[[str, str, Any], bool] = lambda key, attr, value: True
    refresh: Callable[[], Sequence[FrozenTrial]] = lambda: ()
    set_system_attr: Callable[[str, Any], None] = lambda key, value: None


class BaseSampler:
    """Base class for samplers. Subclasses implement at least ``sample_one``.

    ``multi_objective = True`` marks a sampler that reads several objectives and constraints
    itself; every other one gets the scalarized history in such studies (``_scalarize.py``).
    ``constraints_func``: Optuna's place for a study's constraints (the study runs it)."""

    multi_objective: bool = False
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None

    def __init__(self, *, seed: int | None = None) -> None:
        self.seed = seed

    def before_trial(self, history: Sequence[FrozenTrial], ctx: SampleContext) -> None:
        """Reserve what the trial needs before it runs. Default: nothing."""

    def is_exhausted(self, history: Sequence[FrozenTrial]) -> bool:
        """True when the sampler has nothing left to propose (finite spaces)."""
        return False

    def infer_space(self, history: Sequence[FrozenTrial]) -> dict[str, Distribution]:
        """The space to sample jointly when the trial was not asked with one. Default: none."""
        return {}

    def sample_joint(
        self, space: Mapping[str, Distribution], history: Sequence[FrozenTrial], ctx: SampleContext
    ) -> dict[str, Any]:
        """Values for some or all of ``space``. Default: none (everything goes to ``sample_one``)."""
        return {}

    def sample_one(
        self, name: str, distribution: Distribution, history: Sequence[FrozenTrial], ctx: SampleContext
    ) -> Any:
        """A value for one parameter."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seed={self.seed!r})"
