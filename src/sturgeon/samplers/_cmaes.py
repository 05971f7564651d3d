"""CMA-ES over the numeric parameters, with the ``cmaes`` library doing the evolution.

The evolution state is never stored: it is replayed from the history. Each trial records the
generation it was drawn from (system attribute ``cmaes:generation``); a generation is told
to the optimizer once ``population_size`` of its trials are COMPLETE (the first ones by
number), then the next generation starts. A trial draws its point from a copy of the
optimizer reseeded from the trial's own generator, so proposals are reproducible per trial
and parallel workers draw different points of the same generation. Replays are cached by
the number of generations told (a speed cache, rebuilt from history when needed).

Numbers are searched in the unit-cube encoding (log ranges in log space; integers and steps
snapped by ``Distribution.decode``); categorical parameters fall back to random draws.
"""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sturgeon._exceptions import InvalidValueError
from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon._optuna import optuna_kwargs
from sturgeon.samplers._base import BaseSampler, SampleContext
from sturgeon.samplers._observations import infer_intersection_space
from sturgeon.space import Categorical, Distribution

__all__ = ["CmaEsSampler"]

_ATTR = "cmaes:generation"


def _import_cma() -> Any:
    try:
        from cmaes import CMA
    except ImportError:  # pragma: no cover - a core dependency
        raise ImportError("the 'cmaes' sampler needs the cmaes package: pip install cmaes") from None
    return CMA


class CmaEsSampler(BaseSampler):
    """Covariance Matrix Adaptation Evolution Strategy for continuous and integer spaces.

    Args:
        seed: seed of the initial optimizer and of every trial's draw.
        population_size: trials per generation (default 4 + 3 ln d).
        sigma0: initial step size in the unit cube (default 0.25).
        x0: initial mean, name -> value (default: the middle of each range).
        Optuna's other arguments: see docs/optuna.md (``popsize`` is ``population_size``).
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        population_size: int | None = None,
        sigma0: float = 0.25,
        x0: Mapping[str, Any] | None = None,
        **optuna_args: Any,
    ) -> None:
        super().__init__(seed=seed)
        renamed = optuna_kwargs("CmaEsSampler", optuna_args)
        population_size = renamed.get("population_size", population_size)
        if x0 is not None and not isinstance(x0, Mapping):
            raise InvalidValueError(f"CmaEsSampler: x0 must be a dict of name -> value, got {x0!r}")
        self.x0 = None if x0 is None else dict(x0)
        if population_size is not None and (
            isinstance(population_size, bool) or not isinstance(population_size, int) or population_size < 2
        ):
            raise InvalidValueError(f"CmaEsSampler: population_size must be an int >= 2, got {population_size!r}")
        if not isinstance(sigma0, (int, float)) or not 0 < sigma0 <= 1:
            raise InvalidValueError(f"CmaEsSampler: sigma0 must be in (0, 1], got {sigma0!r}")
        self.population_size = population_size
        self.sigma0 = float(sigma0)
        self._lock = threading.Lock()
        self._cache: dict[Any, tuple[list[tuple[int, ...]], Any]] = {}

    def infer_space(self, history: Sequence[FrozenTrial]) -> dict[str, Distribution]:
        return {
            k: d
            for k, d in infer_intersection_space(history).items()
            if not isinstance(d, Categorical) and not d.is_single
        }

    def _mean(self, space: Mapping[str, Distribution], names: Sequence[str]) -> np.ndarray:
        """The initial mean in the unit cube: ``x0``'s values where given and in range, else the middle."""
        x0 = self.x0 or {}
        return np.array(
            [space[n].encode(x0[n]) if n in x0 and space[n].contains(x0[n]) else 0.5 for n in names], dtype=float
        )

    def _popsize(self, d: int) -> int:
        return self.population_size or 4 + math.floor(3 * math.log(d))

    def _replay(
        self, space: Mapping[str, Distribution], history: Sequence[FrozenTrial], direction: str, seed: int
    ) -> Any:
        """The optimizer after every generation the history has completed."""
        cma_cls = _import_cma()
        names = sorted(space)
        d = len(names)
        popsize = self._popsize(d)
        sign = 1.0 if direction == "minimize" else -1.0
        by_gen: dict[int, list[FrozenTrial]] = {}
        for t in history:
            g = t.system_attrs.get(_ATTR)
            if g is not None and t.state is TrialState.COMPLETE and t.value is not None:
                by_gen.setdefault(int(g), []).append(t)
        key = (tuple((n, space[n]) for n in names), seed, popsize, direction)

        def members(g: int) -> list[FrozenTrial]:
            return sorted(by_gen.get(g, ()), key=lambda t: t.number)[:popsize]

        with self._lock:
            told, opt = self._cache.get(key, ([], None))
            if opt is not None and any(tuple(t.number for t in members(g)) != m for g, m in enumerate(told)):
                opt = None  # another history (a shared sampler object): replay from the start
            if opt is None:
                bounds = np.tile([0.0, 1.0], (d, 1))
                opt = cma_cls(
                    mean=self._mean(space, names),
                    sigma=self.sigma0,
                    bounds=bounds,
                    seed=seed % (2**31),
                    population_size=popsize,
                )
                told = []
            while len(members(opt.generation)) >= popsize:
                group = members(opt.generation)
                solutions = []
                for t in group:
                    x = np.array([space[n].encode(t.params[n]) for n in names], dtype=float)
                    solutions.append((np.clip(x, 0.0, 1.0), sign * float(t.value or 0.0)))
                opt.tell(solutions)
                told = [*told, tuple(t.number for t in group)]
            self._cache[key] = (told, opt)
            return copy.deepcopy(opt)

    def sample_joint(
        self, space: Mapping[str, Distribution], history: Sequence[FrozenTrial], ctx: SampleContext
    ) -> dict[str, Any]:
        numeric = {k: d for k, d in space.items() if not isinstance(d, Categorical) and not d.is_single}
        if len(numeric) < 1:
            return {}
        opt = self._replay(numeric, history, ctx.direction, ctx.seed)
        opt.reseed_rng(int(ctx.rng.integers(2**31)))
        x = opt.ask()
        ctx.set_system_attr(_ATTR, int(opt.generation))
        names = sorted(numeric)
        return {n: numeric[n].decode(float(v)) for n, v in zip(names, x, strict=True)}

    def sample_one(
        self, name: str, distribution: Distribution, history: Sequence[FrozenTrial], ctx: SampleContext
    ) -> Any:
        return distribution.sample(ctx.rng)
