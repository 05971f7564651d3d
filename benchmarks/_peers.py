"""Optimizers for ``benchmarks/samplers.py``, each wrapped as ``run(task, budget, seed) -> values``.

Every wrapper drives its library through the public API, the way its documentation does, and
returns the objective values in trial order (one ``budget``-trial run gives the best-so-far
at every smaller budget). ``prepare()`` imports the library, so that import time is not
counted as the optimizer's overhead.

* sturgeon (every name in ``sturgeon.samplers.SAMPLERS`` but "grid"):
  ``create_study(direction="minimize", sampler=NAME, seed=seed)``, then ``ask(space)`` +
  ``tell`` with the declarative space; the conditional tasks go define-by-run
  (``ask()``, ``trial.suggest_*`` for the branch, then for its parameters, ``tell``).
* Optuna: ``create_study(sampler=...)`` + ``study.optimize`` with a define-by-run objective
  (``suggest_float`` / ``suggest_int`` / ``suggest_categorical``, the branch first).
  TPESampler(multivariate=True, seed), GPSampler(seed), CmaEsSampler(seed), RandomSampler(seed).
  CmaEsSampler models float and int parameters; categorical parameters (and the conditional
  tasks' branch parameters) go to its independent sampler (random), as Optuna does.
* scikit-optimize: ``gp_minimize(f, dimensions, n_calls=budget, random_state=seed)``, default
  settings, dimensions ``Real`` / ``Integer`` (log-uniform prior for log ranges) /
  ``Categorical``. skopt has no conditional spaces: every branch's parameters are dimensions
  and the objective reads only the active ones.
* Hyperopt: ``fmin(fn, space, algo=tpe.suggest, max_evals=budget, rstate=default_rng(seed))``
  with ``hp.uniform`` / ``hp.loguniform`` / ``hp.quniform`` / ``hp.qloguniform`` (q=1) /
  ``hp.choice``; conditional tasks as a nested ``hp.choice`` of per-branch dicts.
* SMAC3 (optional): ``HyperparameterOptimizationFacade`` (random forest) on a ConfigSpace with
  ``EqualsCondition``s for the conditional tasks, ``deterministic=True``, ``n_trials=budget``.
"""

from __future__ import annotations

import importlib.util
import math
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from _tasks import Param, Task

__all__ = ["OPTIMIZERS", "PLANNED_STURGEON", "Optimizer", "available", "get_optimizer", "sturgeon_names"]

Runner = Callable[[Task, int, int], list[float]]

# sturgeon samplers that teammates are adding; picked up by name once registered
PLANNED_STURGEON = ("tpe", "gp", "qmc", "cmaes", "coarse_to_fine")


@dataclass(frozen=True)
class Optimizer:
    name: str
    library: str
    modules: tuple[str, ...]  # importable modules it needs
    run: Runner
    note: str = ""

    def prepare(self) -> None:
        for m in self.modules:
            importlib.import_module(m)
        if "optuna" in self.modules:
            import optuna

            optuna.logging.set_verbosity(optuna.logging.ERROR)
        if "torch" in self.modules:
            import torch

            torch.set_num_threads(1)


# -- sturgeon ----------------------------------------------------------------------------------
def _sg_dist(p: Param) -> Any:
    import sturgeon as sg

    if p.kind == "float":
        return sg.Float(p.low, p.high, log=p.log)
    if p.kind == "int":
        return sg.Int(int(p.low), int(p.high), log=p.log)
    return sg.Categorical(list(p.choices))


def _sturgeon_runner(sampler: str) -> Runner:
    def run(task: Task, budget: int, seed: int) -> list[float]:
        import sturgeon as sg

        study = sg.create_study(direction="minimize", sampler=sampler, seed=seed)
        values: list[float] = []
        space = None if task.conditional else {name: _sg_dist(p) for name, p in task.space.items()}
        for _ in range(budget):
            if space is not None:
                trial = study.ask(space)
                params = trial.params
            else:
                trial = study.ask()
                params = task.suggest_all(lambda name, p, trial=trial: trial.suggest(name, _sg_dist(p)))
            value = task.evaluate(params)
            study.tell(trial, value)
            values.append(value)
        return values

    return run


def sturgeon_names() -> list[str]:
    """The sturgeon sampler names to benchmark: all registered ones but "grid"."""
    from sturgeon.samplers import SAMPLERS

    return [name for name in SAMPLERS if name != "grid"]


# -- Optuna ------------------------------------------------------------------------------------
def _optuna_suggest(trial: Any, name: str, p: Param) -> Any:
    if p.kind == "float":
        return trial.suggest_float(name, p.low, p.high, log=p.log)
    if p.kind == "int":
        return trial.suggest_int(name, int(p.low), int(p.high), log=p.log)
    return trial.suggest_categorical(name, list(p.choices))


def _optuna_runner(make_sampler: Callable[[int], Any]) -> Runner:
    def run(task: Task, budget: int, seed: int) -> list[float]:
        import optuna

        values: list[float] = []

        def objective(trial: optuna.Trial) -> float:
            value = task.evaluate(task.suggest_all(lambda name, p: _optuna_suggest(trial, name, p)))
            values.append(value)
            return value

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study = optuna.create_study(direction="minimize", sampler=make_sampler(seed))
            study.optimize(objective, n_trials=budget)
        return values

    return run


def _optuna_tpe(seed: int) -> Any:
    import optuna

    return optuna.samplers.TPESampler(multivariate=True, seed=seed)


def _optuna_gp(seed: int) -> Any:
    import optuna

    return optuna.samplers.GPSampler(seed=seed)


def _optuna_cmaes(seed: int) -> Any:
    import optuna

    return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)


def _optuna_random(seed: int) -> Any:
    import optuna

    return optuna.samplers.RandomSampler(seed=seed)


# -- scikit-optimize ---------------------------------------------------------------------------
def _skopt_gp(task: Task, budget: int, seed: int) -> list[float]:
    from skopt import gp_minimize
    from skopt.space import Categorical, Integer, Real

    params = task.all_params()
    dims = []
    for name, p in params.items():
        prior = "log-uniform" if p.log else "uniform"
        if p.kind == "float":
            dims.append(Real(p.low, p.high, prior=prior, name=name))
        elif p.kind == "int":
            dims.append(Integer(int(p.low), int(p.high), prior=prior, name=name))
        else:
            dims.append(Categorical(list(p.choices), name=name))
    names = list(params)
    values: list[float] = []

    def f(x: list[Any]) -> float:
        value = task.evaluate(dict(zip(names, x, strict=True)))
        values.append(value)
        return value

    extra = {"n_initial_points": budget} if budget < 10 else {}  # skopt's default is 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gp_minimize(f, dims, n_calls=budget, random_state=seed, **extra)
    return values


# -- Hyperopt ----------------------------------------------------------------------------------
def _hp_param(name: str, p: Param) -> Any:
    from hyperopt import hp

    if p.kind == "float":
        return hp.loguniform(name, math.log(p.low), math.log(p.high)) if p.log else hp.uniform(name, p.low, p.high)
    if p.kind == "int":
        if p.log:
            return hp.qloguniform(name, math.log(p.low), math.log(p.high), 1)
        return hp.quniform(name, p.low, p.high, 1)
    return hp.choice(name, list(p.choices))


def _hyperopt_tpe(task: Task, budget: int, seed: int) -> list[float]:
    import numpy as np
    from hyperopt import STATUS_OK, Trials, fmin, hp, tpe

    space: dict[str, Any] = {name: _hp_param(name, p) for name, p in task.space.items() if name != task.branch_param}
    if task.branch_param is not None:
        bp = task.branch_param
        options = [{bp: c, **{n: _hp_param(n, p) for n, p in sub.items()}} for c, sub in task.branches.items()]
        space["__branch"] = hp.choice(bp, options)
    values: list[float] = []

    def fn(sample: dict[str, Any]) -> dict[str, Any]:
        params = dict(sample)
        params.update(params.pop("__branch", {}))
        value = task.evaluate(params)
        values.append(value)
        return {"loss": value, "status": STATUS_OK}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fmin(
            fn,
            space,
            algo=tpe.suggest,
            max_evals=budget,
            trials=Trials(),
            rstate=np.random.default_rng(seed),
            show_progressbar=False,
        )
    return values


# -- SMAC3 -------------------------------------------------------------------------------------
def _smac_hpo(task: Task, budget: int, seed: int) -> list[float]:
    import logging

    from ConfigSpace import Categorical, ConfigurationSpace, EqualsCondition, Float, Integer
    from smac import HyperparameterOptimizationFacade, Scenario

    cs = ConfigurationSpace(seed=seed)
    hps: dict[str, Any] = {}
    for name, p in task.all_params().items():
        if p.kind == "float":
            hps[name] = Float(name, (p.low, p.high), log=p.log)
        elif p.kind == "int":
            hps[name] = Integer(name, (int(p.low), int(p.high)), log=p.log)
        else:
            hps[name] = Categorical(name, list(p.choices))
    cs.add(list(hps.values()))
    if task.branch_param is not None:
        parent = hps[task.branch_param]
        cs.add([EqualsCondition(hps[n], parent, c) for c, sub in task.branches.items() for n in sub])
    values: list[float] = []

    def train(config: Any, seed: int = 0) -> float:
        value = task.evaluate(dict(config))
        values.append(value)
        return value

    logging.getLogger("smac").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scenario = Scenario(cs, deterministic=True, n_trials=budget, seed=seed, output_directory=tmp)
        smac = HyperparameterOptimizationFacade(scenario, train, overwrite=True, logging_level=40)
        smac.optimize()
    return values


# -- the registry ------------------------------------------------------------------------------
_CMAES_NOTE = "categorical / branch parameters: Optuna's independent (random) fallback"
OPTIMIZERS: dict[str, Optimizer] = {
    o.name: o
    for o in [
        Optimizer("optuna-tpe", "optuna", ("optuna",), _optuna_runner(_optuna_tpe), "TPESampler(multivariate=True)"),
        Optimizer("optuna-gp", "optuna", ("optuna", "torch"), _optuna_runner(_optuna_gp), "GPSampler()"),
        Optimizer("optuna-cmaes", "optuna", ("optuna", "cmaes"), _optuna_runner(_optuna_cmaes), _CMAES_NOTE),
        Optimizer("optuna-random", "optuna", ("optuna",), _optuna_runner(_optuna_random), "RandomSampler()"),
        Optimizer("skopt-gp", "scikit-optimize", ("skopt",), _skopt_gp, "gp_minimize, default settings"),
        Optimizer("hyperopt", "hyperopt", ("hyperopt",), _hyperopt_tpe, "fmin(algo=tpe.suggest)"),
        Optimizer("smac", "smac", ("smac", "ConfigSpace"), _smac_hpo, "HyperparameterOptimizationFacade (RF)"),
    ]
}


def get_optimizer(name: str) -> Optimizer:
    """A sturgeon sampler by its registered name, or a peer from ``OPTIMIZERS``."""
    if name in OPTIMIZERS:
        return OPTIMIZERS[name]
    if name in sturgeon_names():
        return Optimizer(name, "sturgeon", ("sturgeon",), _sturgeon_runner(name), f'sampler="{name}"')
    raise KeyError(name)


def available(name: str) -> tuple[bool, str]:
    """(True, "") when the optimizer can run here, else (False, why not)."""
    if name in sturgeon_names():
        return True, ""
    if name in PLANNED_STURGEON or name == "grid":
        why = "excluded" if name == "grid" else "not registered in sturgeon.samplers.SAMPLERS yet"
        return False, f"sturgeon sampler {name!r}: {why}"
    if name not in OPTIMIZERS:
        return False, f"unknown optimizer {name!r}"
    missing = [m for m in OPTIMIZERS[name].modules if importlib.util.find_spec(m) is None]
    if missing:
        return False, f"{name}: {', '.join(missing)} not installed"
    return True, ""
