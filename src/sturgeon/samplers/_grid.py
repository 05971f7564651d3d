"""Grid search: every combination once, safe with many workers.

The grid is the product of each dimension's grid points (all choices, every integer on
the step, every step of a stepped Float, ``n_points`` points of a continuous Float, spaced
evenly or geometrically for log ranges). Points are numbered in product order over the
parameter names sorted alphabetically. A trial reserves a point by appending a claim with
the unique key ``grid:<index>``; the storage lets only one trial own each key, so parallel
workers never run a point twice.

The space comes from, in order: the sampler's ``space`` argument, the declarative space
the trial was asked with, or the suggest calls of the study's first grid trial. That
first trial takes point 0 (the first value of every dimension); others wait until it
has finished, then know the space.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sturgeon._exceptions import GridExhaustedError, InvalidSpaceError, InvalidValueError
from sturgeon._frozen import FrozenTrial
from sturgeon._optuna import optuna_kwargs
from sturgeon.samplers._base import BaseSampler, SampleContext
from sturgeon.space import Categorical, Distribution, validate_space

__all__ = ["GridSampler"]

_ATTR = "grid_point"


def _value_list(name: str, values: Any) -> list[Any]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
        raise InvalidValueError(
            f"GridSampler: the values of {name!r} must be a non-empty list (or a distribution), got {values!r}"
        )
    return list(values)


class GridSampler(BaseSampler):
    """Run each point of a grid exactly once.

    Args:
        space: the grid's dimensions (name -> distribution, or name -> the list of values to
            try, as Optuna's ``search_space``: any suggest call that holds them works); None
            to take them from the trials.
        n_points: points per continuous Float dimension (>= 2).
        shuffle: visit points in a seeded random order instead of product order.
        seed: seed for ``shuffle``.
    """

    def __init__(
        self,
        space: Mapping[str, Distribution] | Mapping[str, Sequence[Any]] | None = None,
        *,
        n_points: int = 5,
        shuffle: bool = False,
        seed: int | None = None,
        **optuna_args: Any,
    ) -> None:
        super().__init__(seed=seed)
        space = optuna_kwargs("GridSampler", optuna_args).get("space", space)
        # name -> values: a grid of listed values (Optuna's form), checked against each suggest call
        self._values: dict[str, list[Any]] | None = None
        if space is not None and space and all(not isinstance(d, Distribution) for d in space.values()):
            self._values = {name: _value_list(name, values) for name, values in space.items()}
            space = {name: Categorical(values) for name, values in self._values.items()}
        if not isinstance(n_points, int) or isinstance(n_points, bool) or n_points < 2:
            raise InvalidValueError(f"GridSampler: n_points must be an int >= 2, got {n_points!r}")
        self.space = None if space is None else validate_space(space)
        self.n_points = n_points
        self.shuffle = shuffle

    # -- the grid --------------------------------------------------------------------------
    def _axes(self, space: Mapping[str, Distribution]) -> list[tuple[str, list[Any]]]:
        return [(name, space[name].grid(self.n_points)) for name in sorted(space)]

    def grid_size(self, space: Mapping[str, Distribution]) -> int:
        """Number of points in the grid of ``space``."""
        return math.prod(len(values) for _, values in self._axes(space))

    def _point(self, space: Mapping[str, Distribution], index: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, values in reversed(self._axes(space)):
            index, k = divmod(index, len(values))
            out[name] = values[k]
        return out

    def _order(self, size: int) -> Sequence[int]:
        if not self.shuffle:
            return range(size)
        return [int(i) for i in np.random.default_rng(self.seed).permutation(size)]

    @staticmethod
    def _owner_of_zero(history: Sequence[FrozenTrial]) -> FrozenTrial | None:
        for t in history:
            if t.system_attrs.get(_ATTR) == 0:
                return t
        return None

    def _learned_space(self, history: Sequence[FrozenTrial]) -> dict[str, Distribution] | None:
        owner = self._owner_of_zero(history)
        if owner is None or not owner.state.is_finished:
            return None
        return dict(owner.distributions)

    def _space_for(self, history: Sequence[FrozenTrial], ctx: SampleContext | None) -> dict[str, Distribution] | None:
        if self.space is not None:
            return dict(self.space)
        if ctx is not None and ctx.space is not None:
            return dict(ctx.space)
        return self._learned_space(history)

    @staticmethod
    def _claimed(history: Sequence[FrozenTrial]) -> set[int]:
        return {int(t.system_attrs[_ATTR]) for t in history if _ATTR in t.system_attrs}

    # -- the sampler interface -------------------------------------------------------------
    def is_exhausted(self, history: Sequence[FrozenTrial]) -> bool:
        space = self._space_for(history, None)
        if space is None:
            return False
        return len(self._claimed(history)) >= self.grid_size(space)

    def before_trial(self, history: Sequence[FrozenTrial], ctx: SampleContext) -> None:
        if ctx.fixed_params:
            return  # an enqueued trial runs its own parameters
        space = self._space_for(history, ctx)
        while space is None:
            if ctx.claim("grid:0", _ATTR, 0):  # the first trial: its suggest calls define the grid
                ctx.system_attrs[_ATTR] = 0
                return
            time.sleep(0.05)  # another worker is running point 0; its parameters make the grid
            history = ctx.refresh()
            space = self._space_for(history, ctx)
        claimed = self._claimed(history)
        order = self._order(self.grid_size(space))
        # Trial i first tries the i-th point, so a grid study maps trial numbers to points the
        # same way whatever the timing of parallel workers; a taken point falls back to the first free one.
        if ctx.trial_number < len(order) and order[ctx.trial_number] not in claimed:
            index = order[ctx.trial_number]
            if ctx.claim(f"grid:{index}", _ATTR, index):
                ctx.system_attrs[_ATTR] = index
                return
        for index in order:
            if index in claimed:
                continue
            if ctx.claim(f"grid:{index}", _ATTR, index):
                ctx.system_attrs[_ATTR] = index
                return
        raise GridExhaustedError(f"the grid is exhausted: all {self.grid_size(space)} points have been run")

    def sample_one(
        self, name: str, distribution: Distribution, history: Sequence[FrozenTrial], ctx: SampleContext
    ) -> Any:
        index = ctx.system_attrs.get(_ATTR)
        if index is None:  # an enqueued trial asking for a parameter it was not given
            return distribution.grid(self.n_points)[0]
        space = self._space_for(history, ctx)
        if space is None:  # point 0 while the space is being discovered
            return distribution.grid(self.n_points)[0]
        if name not in space:
            raise InvalidSpaceError(
                f"GridSampler: parameter {name!r} is not in the grid space ({', '.join(sorted(space))}); "
                "conditional parameters need an explicit grid space"
            )
        if self._values is not None and name in self._values:
            value = self._point(space, int(index))[name]
            if not distribution.contains(value):
                raise InvalidSpaceError(
                    f"GridSampler: the grid value {value!r} of parameter {name!r} is not in {distribution!r}"
                )
            return value
        if space[name] != distribution:
            raise InvalidSpaceError(
                f"GridSampler: parameter {name!r} was {space[name]!r} in the grid, now {distribution!r}"
            )
        return self._point(space, int(index))[name]

    def __repr__(self) -> str:
        return f"GridSampler(space={self.space!r}, n_points={self.n_points}, shuffle={self.shuffle})"
