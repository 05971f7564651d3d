"""Studies with known parameter importances, and their copies as Optuna studies.

``known_space()``: ten parameters of every kind; the objective depends strongly on two of them
(``lr``, log-scaled, and ``layers``, an Int) and barely on the other eight. ``categorical_space``
makes a categorical and a log-scaled Int the two that matter. Used by
``benchmarks/importance.py`` and ``tests/test_importance.py``; needs numpy and sturgeon only
(Optuna for ``to_optuna``)."""

from __future__ import annotations

import math
from typing import Any

import sturgeon as sg

IMPORTANT = ("layers", "lr")
IMPORTANT_CATEGORICAL = ("activation", "units")


def known_space() -> dict[str, sg.Distribution]:
    return {
        "lr": sg.Float(1e-5, 1.0, log=True),
        "layers": sg.Int(1, 8),
        "dropout": sg.Float(0.0, 0.5),
        "decay": sg.Float(1e-6, 1e-2, log=True),
        "batch": sg.Int(16, 512, log=True),
        "momentum": sg.Float(0.5, 0.99, step=0.01),
        "width": sg.Int(1, 10),
        "optimizer": sg.Categorical(["sgd", "adam", "rmsprop"]),
        "norm": sg.Categorical([True, False]),
        "warmup": sg.Float(0.0, 1.0),
    }


def known_objective(p: dict[str, Any]) -> float:
    """``lr`` and ``layers`` explain nearly all of it; the rest add at most about 0.3 in all."""
    main = 4.0 * (math.log10(p["lr"]) + 2.5) ** 2 + 2.0 * (p["layers"] - 3) ** 2
    small = (
        0.05 * p["dropout"]
        + 0.01 * math.log10(p["decay"])
        + 0.02 * math.log2(p["batch"]) / 9
        + 0.03 * p["momentum"]
        + 0.005 * p["width"]
        + 0.02 * ["sgd", "adam", "rmsprop"].index(p["optimizer"])
        + 0.02 * p["norm"]
        + 0.03 * p["warmup"]
    )
    return main + small


def categorical_space() -> dict[str, sg.Distribution]:
    space = known_space()
    space["activation"] = sg.Categorical(["relu", "tanh", "gelu", "sigmoid"])
    space["units"] = sg.Int(8, 1024, log=True)
    del space["lr"], space["layers"]
    return space


def categorical_objective(p: dict[str, Any]) -> float:
    act = {"relu": 0.0, "tanh": 3.0, "gelu": 0.5, "sigmoid": 6.0}[p["activation"]]
    return act + 1.5 * (math.log2(p["units"]) - 6) ** 2 / 4 + 0.02 * p["dropout"] + 0.01 * p["warmup"]


def make_study(
    storage: str | sg.storage.BaseStorage | None,
    seed: int,
    n_trials: int,
    *,
    categorical: bool = False,
    name: str | None = None,
) -> sg.Study:
    """A random-search study of ``n_trials`` over the task (ask / tell with the space)."""
    space, objective = (categorical_space(), categorical_objective) if categorical else (known_space(), known_objective)
    study = sg.create_study(name=name or f"importance-{seed}", storage=storage, sampler="random", seed=seed)
    for _ in range(n_trials):
        trial = study.ask(space)
        study.tell(trial, objective(trial.params))
    return study


def _optuna_distribution(dist: sg.Distribution) -> Any:
    import optuna

    if isinstance(dist, sg.Float):
        return optuna.distributions.FloatDistribution(dist.low, dist.high, log=dist.log, step=dist.step)
    if isinstance(dist, sg.Int):
        return optuna.distributions.IntDistribution(dist.low, dist.high, log=dist.log, step=dist.step)
    assert isinstance(dist, sg.Categorical)
    return optuna.distributions.CategoricalDistribution(list(dist.choices))


def to_optuna(study: sg.Study) -> Any:
    """An in-memory Optuna study holding the same COMPLETE trials (params, distributions, values)."""
    import optuna

    copy = optuna.create_study(direction=study.direction)
    trials = []
    for t in study.get_trials(states=(sg.TrialState.COMPLETE,)):
        dists = {k: _optuna_distribution(d) for k, d in t.distributions.items()}
        trials.append(optuna.trial.create_trial(params=dict(t.params), distributions=dists, value=t.value))
    copy.add_trials(trials)
    return copy
