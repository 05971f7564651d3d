"""Population-based training (PBT), asynchronous: at every perturbation interval a trial in
the bottom quantile of the population continues from a top trial's checkpoint with explored
values; everything goes through the live-change mechanism (docs/architecture.md, "Live
changes"), so every lineage is in the log and ``Study.schedule`` replays the winner.

The population is the study's trials (replays aside); at an interval a trial is ranked
against the members that have reported at the same step, and continues from a RUNNING or
PAUSED top member's latest checkpoint (there is no generation barrier). With fewer workers
than ``population_size`` the members take turns: a member at an interval pauses while the
population is not complete or while another member waits, paused, further behind;
``promotable`` resumes the one furthest behind first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sturgeon._exceptions import InvalidValueError
from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon._live import values_at
from sturgeon.pruners._base import BasePruner, Change, Decision
from sturgeon.pruners._checks import _check_int, _check_number, _loss, _sign
from sturgeon.space import Categorical, Distribution, Float, Int

__all__ = ["PBT", "REPLAY_ATTR"]

REPLAY_ATTR = "replay_of"  # a replay of a schedule is outside every population
_MEMBERS = (TrialState.RUNNING, TrialState.PAUSED)


def _in_population(t: FrozenTrial) -> bool:
    return REPLAY_ATTR not in t.system_attrs and t.state is not TrialState.WAITING


class PBT(BasePruner):
    """Population-based training (``pruner="pbt"``).

    Args:
        population_size: how many trials form the population (run that many: ``n_trials``).
            Draw it with ``sampler="qmc"``: a low-discrepancy design spreads the starting values
            over the ranges, where random draws may leave a whole population in a bad region.
        perturbation_interval: steps between two exploit / explore decisions of a trial.
        hyperparams: the names PBT may change (learning rate, momentum, weight decay...);
            never what a checkpoint cannot change, such as layer sizes. Default: every
            Float parameter the trial suggested.
        quantile: the bottom fraction that exploits the top fraction (default 0.25).
        resample_probability: chance that a number is drawn anew from its distribution
            instead of being multiplied by one of ``factors``; categoricals are always drawn.
        factors: the multipliers of an explored number (default 0.8 and 1.2; on log-scaled
            parameters too, which keeps their sign), clipped to the distribution's bounds.
        seed: draws come from (seed, trial number, step); None: the study's seed.
        max_resource: the steps of a full training (e.g. epochs): no exploit at its last step,
            where a copied checkpoint would have nothing left to train. None: learned as the
            steps of the first member that completed (until one has, the last step is unknown).
    """

    def __init__(
        self,
        population_size: int = 8,
        perturbation_interval: int = 4,
        hyperparams: Sequence[str] | None = None,
        *,
        quantile: float = 0.25,
        resample_probability: float = 0.25,
        factors: tuple[float, float] = (0.8, 1.2),
        seed: int | None = None,
        max_resource: int | None = None,
    ) -> None:
        self.max_resource = None if max_resource is None else _check_int("PBT", "max_resource", max_resource, 1)
        self.population_size = _check_int("PBT", "population_size", population_size, 2)
        self.perturbation_interval = _check_int("PBT", "perturbation_interval", perturbation_interval, 1)
        if hyperparams is not None:
            if isinstance(hyperparams, str) or not all(isinstance(h, str) and h for h in hyperparams):
                raise InvalidValueError(f"PBT: hyperparams must be a list of parameter names, got {hyperparams!r}")
            hyperparams = list(hyperparams)
            if not hyperparams:
                raise InvalidValueError("PBT: hyperparams must name at least one parameter (or be None)")
        self.hyperparams = hyperparams
        self.quantile = _check_number("PBT", "quantile", quantile, "a number in (0, 0.5]", 1e-9, 0.5)
        self.resample_probability = _check_number(
            "PBT", "resample_probability", resample_probability, "a number in [0, 1]", 0.0, 1.0
        )
        if (
            not isinstance(factors, (tuple, list))
            or len(factors) != 2
            or not all(isinstance(f, (int, float)) and not isinstance(f, bool) and f > 0 for f in factors)
        ):
            raise InvalidValueError(f"PBT: factors must be two numbers > 0, got factors={factors!r}")
        self.factors = (float(factors[0]), float(factors[1]))
        self.seed = seed

    def __repr__(self) -> str:
        return (
            f"PBT(population_size={self.population_size}, perturbation_interval={self.perturbation_interval}, "
            f"hyperparams={self.hyperparams!r}, quantile={self.quantile})"
        )

    # -- the decision ---------------------------------------------------------------------------
    def _at_interval(self, trial: FrozenTrial, history: Sequence[FrozenTrial]) -> int | None:
        step = trial.last_step
        if step is None or REPLAY_ATTR in trial.system_attrs or (step + 1) % self.perturbation_interval:
            return None
        final = self.max_resource
        if final is None:
            done = [t for t in history if t.state is TrialState.COMPLETE and _in_population(t)]
            first = min(done, key=lambda t: (t.datetime_complete, t.number)).last_step if done else None
            final = None if first is None else first + 1
        if final is not None and step >= final - 1:
            return None  # the last step: nothing would be left to train after an exploit
        return step

    def _donor(self, trial: FrozenTrial, history: Sequence[FrozenTrial], direction: str) -> FrozenTrial | None:
        """The top member whose checkpoint this trial should continue from, if it is in the
        bottom quantile now; None otherwise. Members are ranked by their report at this
        trial's step (those that have reached it, finished ones included)."""
        sign = _sign(direction)
        step = trial.last_step
        if step is None:
            return None
        ranked_at = {
            t.number: t
            for t in history
            if _in_population(t) and t.state is not TrialState.FAIL and step in t.intermediate_values
        }
        ranked_at[trial.number] = trial
        if len(ranked_at) < 2:
            return None

        def loss(t: FrozenTrial) -> float:
            return _loss(t.intermediate_values[step], sign)

        ranked = sorted(ranked_at.values(), key=lambda t: (loss(t), t.number))
        k = min(max(1, math.ceil(len(ranked) * self.quantile)), len(ranked) // 2)
        if trial.number not in {t.number for t in ranked[-k:]}:
            return None
        top = [t for t in ranked[:k] if t.state in _MEMBERS and t.checkpoints and t.number != trial.number]
        if not top or loss(top[0]) >= loss(trial):
            return None
        rng = self._rng(trial)
        return top[int(rng.integers(len(top)))]

    def _rng(self, trial: FrozenTrial) -> np.random.Generator:
        return np.random.default_rng([self.seed or 0, trial.number, trial.last_step or 0])

    def decide(self, trial: FrozenTrial, history: Sequence[FrozenTrial], direction: str) -> Decision:
        step = self._at_interval(trial, history)
        if step is None:
            return Decision.CONTINUE
        can_pause = step in trial.checkpoints
        population = [t for t in history if _in_population(t)]
        if can_pause and len(population) < self.population_size:
            return Decision.PAUSE  # let the rest of the population start
        if self._donor(trial, history, direction) is not None:
            return Decision.CHANGE
        behind = [
            t
            for t in history
            if t.state is TrialState.PAUSED and t.pause_reason == "rule" and (t.last_step or 0) < step
        ]
        if can_pause and behind:
            return Decision.PAUSE  # a member further behind waits for a worker: take turns
        return Decision.CONTINUE

    def promotable(self, paused: Sequence[FrozenTrial], history: Sequence[FrozenTrial], direction: str) -> list[int]:
        if sum(_in_population(t) for t in history) < self.population_size:
            return []
        return [t.number for t in sorted(paused, key=lambda t: (t.last_step or 0, t.number))]

    def plan_change(self, trial: FrozenTrial, history: Sequence[FrozenTrial], direction: str) -> Change | None:
        donor = self._donor(trial, history, direction)
        if donor is None:
            return None
        # the donor's checkpoint at this trial's step (it ranked by the value there), or the
        # nearest later one it still keeps: the recipient trains the rest itself
        now = trial.last_step or 0
        later = [s for s in donor.checkpoints if s >= now]
        step = min(later) if later else max(donor.checkpoints)
        values = values_at(donor, step)
        names = self.hyperparams
        if names is None:
            names = [n for n, d in trial.distributions.items() if isinstance(d, Float) and not d.is_single]
        missing = [n for n in names if n not in trial.distributions]
        if missing:
            raise InvalidValueError(
                f"PBT: hyperparams {missing} were not suggested by trial {trial.number} "
                f"(it has: {sorted(trial.distributions)})"
            )
        rng = self._rng(trial)
        rng.integers(1 << 30)  # the draw _donor used
        for name in names:
            values[name] = self._explore(values.get(name), trial.distributions[name], rng)
        return Change(params=values, source=(donor.number, step), reason=f"pbt: exploit #{donor.number} at step {step}")

    def _explore(self, value: object, dist: Distribution, rng: np.random.Generator) -> object:
        if isinstance(dist, Categorical) or rng.random() < self.resample_probability:
            return dist.normalize(dist.decode(float(rng.random())))
        if not isinstance(dist, (Float, Int)) or not isinstance(value, (int, float)):
            return value
        v = float(value) * self.factors[int(rng.integers(2))]
        v = min(max(v, float(dist.low)), float(dist.high))
        if isinstance(dist, Int):
            v = round(v)
        return dist.normalize(v) if dist.contains(dist.normalize(v)) else value
