"""Multi-fidelity optimizers for ``benchmarks/multifidelity.py``, each ``run(task, meter, seed)``.

The harness owns the accounting: every optimizer trains through one ``Meter``, which counts each
training step (epoch), records each evaluation that reached ``max_resource`` (a full-fidelity
result: the only kind that counts as a result), and raises ``BudgetExhaustedError`` from the step
after the cap, so every optimizer stops at exactly the same resource. A runner lets that
exception out (the harness catches it); what was reached by then is the run's curve.

* ``random``: sturgeon ``sampler="random"``, ask / tell, every trial trained to the end.
* ``optuna-median`` / ``optuna-sh`` / ``optuna-hyperband``: ``TPESampler(seed=seed)`` with
  ``MedianPruner()`` / ``SuccessiveHalvingPruner()`` / ``HyperbandPruner(max_resource=R)``,
  default arguments otherwise; the objective reports after every epoch with ``step`` = epochs
  trained (1..R, the resource Optuna's rungs are defined on) and raises ``TrialPruned`` when told.
* ``dehb``: the ``dehb`` package's ask / tell on a ConfigSpace, ``min_fidelity=1``,
  ``max_fidelity=R``, ``eta=3``, one worker; each job trains from scratch to ``round(fidelity)``
  epochs (all counted); fitness is the validation score turned into a loss (negated for a
  maximized task). DEHB writes a log to a temporary ``output_path``; ``save_freq=None`` so it
  does not write its state after every new incumbent.
* ``sturgeon-<pruner>[@<sampler>]``: ``create_study(direction, sampler, pruner=<pruner>, seed)``,
  in memory, the objective of the multi-fidelity API: resume from ``trial.latest_checkpoint()``
  when ``trial.resumed_step`` is set, save a checkpoint before ``should_prune`` at every step
  (0-based, as in the API's examples), ``optimize(..., resource_budget=cap)`` where supported.
  Parts of that API not in this sturgeon yet are skipped (no checkpoints, no resumes, no
  ``resource_budget``): the harness's cap still stops the run.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import logging
import math
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _mf_tasks import MFTask, State
from _peers import _optuna_suggest, _sg_dist

__all__ = ["BudgetExhaustedError", "Meter", "MFOptimizer", "available", "get_optimizer", "known_names"]

PEERS = ("random", "optuna-median", "optuna-sh", "optuna-hyperband", "dehb")
PLANNED_STURGEON_PRUNERS = ("auto", "median", "asha", "hyperband")  # picked up once registered


class BudgetExhaustedError(Exception):
    """Raised by ``Meter.step`` once the harness's resource cap is spent."""


@dataclass
class Meter:
    """Counts training steps for one run and keeps its anytime incumbent (full fidelity only).

    ``curve``: one entry per new incumbent, ``[steps, value, test, test_error, params]``, steps
    counted up to and including the epoch that produced it."""

    task: MFTask
    cap: int  # steps
    train_seed: int = 0
    steps: int = 0
    started: int = 0  # trainings started from scratch
    resumed: int = 0  # trainings continued from a checkpoint
    full: int = 0  # evaluations that reached max_resource
    train_s: float = 0.0  # seconds in init / train_step / load (the task's own cost)
    test_s: float = 0.0  # seconds scoring full-fidelity results on the test split
    curve: list[list[Any]] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)  # what a runner wants recorded (it may end by exception)

    @property
    def sign(self) -> float:
        return 1.0 if self.task.direction == "minimize" else -1.0

    def init(self, params: dict[str, Any]) -> State:
        t0 = time.perf_counter()
        try:
            self.started += 1
            return self.task.init(params, self.train_seed)
        finally:
            self.train_s += time.perf_counter() - t0

    def load(self, params: dict[str, Any], folder: Path) -> State:
        t0 = time.perf_counter()
        try:
            self.resumed += 1
            return self.task.load(params, folder)
        finally:
            self.train_s += time.perf_counter() - t0

    def step(self, state: State) -> float:
        """Train one epoch (counted), return the validation score."""
        if self.steps >= self.cap:
            raise BudgetExhaustedError(f"{self.cap} steps spent")
        self.steps += 1
        t0 = time.perf_counter()
        value = self.task.train_step(state)
        t1 = time.perf_counter()
        self.train_s += t1 - t0
        if state.epoch == self.task.max_resource:
            self.full += 1
            if not self.curve or self.sign * value < self.sign * self.curve[-1][1]:
                test = self.task.test_score(state)
                self.curve.append([self.steps, value, test["test"], test["test_error"], dict(state.params)])
            self.test_s += time.perf_counter() - t1
        return value

    def loss(self, value: float) -> float:
        """A validation score as a value to minimize."""
        return self.sign * value


Runner = Callable[[MFTask, Meter, int], dict[str, Any]]


@dataclass(frozen=True)
class MFOptimizer:
    name: str
    modules: tuple[str, ...]
    run: Runner
    note: str = ""

    def prepare(self) -> None:
        """Import the libraries (so that import time is not charged to the run)."""
        for m in self.modules:
            importlib.import_module(m)
        if "optuna" in self.modules:
            import optuna

            optuna.logging.set_verbosity(optuna.logging.ERROR)


# -- random: sturgeon's random sampler, full trainings -------------------------------------------
def _random(task: MFTask, meter: Meter, seed: int) -> dict[str, Any]:
    import sturgeon as sg

    study = sg.create_study(direction=task.direction, sampler="random", seed=seed)
    space = {name: _sg_dist(p) for name, p in task.space.items()}
    while True:
        trial = study.ask(space)
        state = meter.init(trial.params)
        value = math.nan
        for _ in range(task.max_resource):
            value = meter.step(state)
        study.tell(trial, value)


# -- Optuna: TPE + a pruner ------------------------------------------------------------------------
def _optuna_runner(pruner: str) -> Runner:
    def run(task: MFTask, meter: Meter, seed: int) -> dict[str, Any]:
        import optuna

        if pruner == "median":
            p: Any = optuna.pruners.MedianPruner()
        elif pruner == "sh":
            p = optuna.pruners.SuccessiveHalvingPruner()
        else:
            p = optuna.pruners.HyperbandPruner(max_resource=task.max_resource)

        def objective(trial: optuna.Trial) -> float:
            params = {name: _optuna_suggest(trial, name, prm) for name, prm in task.space.items()}
            state = meter.init(params)
            value = math.nan
            for epoch in range(1, task.max_resource + 1):
                value = meter.step(state)
                trial.report(value, epoch)
                if trial.should_prune():
                    raise optuna.TrialPruned()
            return value

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study = optuna.create_study(
                direction=task.direction, sampler=optuna.samplers.TPESampler(seed=seed), pruner=p
            )
            study.optimize(objective, n_trials=None)
        return {}

    return run


# -- DEHB ------------------------------------------------------------------------------------------
def _dehb(task: MFTask, meter: Meter, seed: int) -> dict[str, Any]:
    from ConfigSpace import Categorical, ConfigurationSpace, Float, Integer
    from dehb import DEHB

    cs = ConfigurationSpace(seed=seed)
    for name, p in task.space.items():
        if p.kind == "float":
            cs.add(Float(name, (p.low, p.high), log=p.log))
        elif p.kind == "int":
            cs.add(Integer(name, (int(p.low), int(p.high)), log=p.log))
        else:
            cs.add(Categorical(name, list(p.choices)))
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = DEHB(
            cs=cs,
            f=None,  # ask / tell: the loop below evaluates
            min_fidelity=1,
            max_fidelity=task.max_resource,
            eta=3,
            n_workers=1,
            seed=seed,
            output_path=tmp,
            log_level="ERROR",
            save_freq=None,
        )
        while True:
            job = opt.ask()
            epochs = min(task.max_resource, max(1, round(float(job["fidelity"]))))
            state = meter.init(dict(job["config"]))
            value = math.nan
            for _ in range(epochs):
                value = meter.step(state)
            opt.tell(job, {"fitness": meter.loss(value), "cost": float(epochs)})


# -- sturgeon with a pruner ----------------------------------------------------------------------
def parse_sturgeon(name: str) -> tuple[str, str]:
    """The (pruner, sampler) of a name "sturgeon-<pruner>[@<sampler>]"."""
    rest = name[len("sturgeon-") :]
    pruner, _, sampler = rest.partition("@")
    return pruner, sampler or "auto"


def make_pruner_spec(spec: str) -> Any:
    """A pruner from "name" or "name:key=value+key=value" (values as Python literals), e.g.
    "asha:min_resource=3+reduction_factor=3": variants for choosing the default rule."""
    from sturgeon.pruners import PRUNERS

    name, _, args = spec.partition(":")
    if not args:
        return name
    kwargs = {}
    for part in args.split("+"):
        key, _, value = part.partition("=")
        kwargs[key.strip()] = ast.literal_eval(value.strip())
    from sturgeon import pruners

    factory = PRUNERS.get(name) or {"percentile": pruners.PercentilePruner, "patient": pruners.PatientPruner}[name]
    return factory(**kwargs)


def make_sampler_spec(spec: str, seed: int) -> Any:
    """A sampler from "name" or "name:key=value+key=value" (e.g. "tpe:n_startup_trials=5")."""
    from sturgeon import samplers

    name, _, args = spec.partition(":")
    if not args:
        return name
    classes = {"tpe": samplers.TPESampler, "gp": samplers.GPSampler, "auto": samplers.AutoSampler}
    kwargs: dict[str, Any] = {"seed": seed}
    for part in args.split("+"):
        key, _, value = part.partition("=")
        kwargs[key.strip()] = ast.literal_eval(value.strip())
    return classes[name](**kwargs)


def _sturgeon_runner(pruner: str, sampler: str) -> Runner:
    def run(task: MFTask, meter: Meter, seed: int) -> dict[str, Any]:
        import sturgeon as sg

        study = sg.create_study(
            direction=task.direction,
            sampler=make_sampler_spec(sampler, seed),
            pruner=make_pruner_spec(pruner),
            seed=seed,
        )
        big_r = task.max_resource
        used = meter.notes
        used.update(checkpoints=False, resumes=0, resource_budget=False)

        def objective(trial: Any) -> float:
            params = {name: trial.suggest(name, _sg_dist(p)) for name, p in task.space.items()}
            resumed = getattr(trial, "resumed_step", None)
            if resumed is not None:
                state = meter.load(params, Path(trial.latest_checkpoint()))
                start = int(resumed) + 1
                used["resumes"] += 1
            else:
                state, start = meter.init(params), 0
            checkpoint = getattr(trial, "checkpoint", None)
            score = state.last if state.last is not None else math.nan
            for step in range(start, big_r):
                score = meter.step(state)
                if checkpoint is not None:
                    used["checkpoints"] = True
                    with checkpoint(step) as folder:  # before should_prune, so a paused trial can resume
                        task.save(state, Path(folder))
                trial.report(score, step)
                if trial.should_prune():
                    raise sg.TrialPruned()
            return score

        kwargs: dict[str, Any] = {"n_trials": None}
        if "resource_budget" in inspect.signature(study.optimize).parameters:
            kwargs["resource_budget"] = meter.cap
            used["resource_budget"] = True
        log = logging.getLogger("sturgeon")
        level = log.level
        log.setLevel(logging.CRITICAL)  # failed-trial warnings: the harness's cap raises inside trials
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                study.optimize(objective, **kwargs)
            finally:
                log.setLevel(level)
            # sturgeon's own accounting stopped it before the harness's cap: go on (a study
            # whose budget is spent would return at once, so stop after one call that trains nothing)
            while meter.steps < meter.cap:
                before = meter.steps
                study.optimize(objective, n_trials=max(1, (meter.cap - meter.steps) // big_r))
                if meter.steps == before:
                    break
        used["stopped_early_by_sturgeon"] = meter.steps < meter.cap
        return used

    return run


# -- the registry ----------------------------------------------------------------------------------
_PEERS: dict[str, MFOptimizer] = {
    "random": MFOptimizer("random", ("sturgeon",), _random, 'sturgeon sampler="random", no pruner'),
    "optuna-median": MFOptimizer("optuna-median", ("optuna",), _optuna_runner("median"), "TPE + MedianPruner()"),
    "optuna-sh": MFOptimizer("optuna-sh", ("optuna",), _optuna_runner("sh"), "TPE + SuccessiveHalvingPruner()"),
    "optuna-hyperband": MFOptimizer(
        "optuna-hyperband", ("optuna",), _optuna_runner("hyperband"), "TPE + HyperbandPruner(max_resource=R)"
    ),
    "dehb": MFOptimizer("dehb", ("dehb", "ConfigSpace"), _dehb, "DEHB(min_fidelity=1, max_fidelity=R, eta=3)"),
}


def _sturgeon_pruners() -> dict[str, Any]:
    """Pruner short names sturgeon registers now (besides "none"), with their factories."""
    from sturgeon import pruners

    registry = getattr(pruners, "PRUNERS", None) or getattr(pruners, "_PRUNERS", {})
    return {n: f for n, f in registry.items() if n != "none"}


def known_names() -> list[str]:
    """Every optimizer name to run by default: the peers, and sturgeon with each pruner it has
    (the planned ones first; a second name for the same pruner, e.g. an alias, is left out)."""
    registry = _sturgeon_pruners()
    names, seen = [], set()
    for p in dict.fromkeys([*PLANNED_STURGEON_PRUNERS, *registry]):
        factory = registry.get(p)
        if factory is not None and factory in seen:
            continue
        seen.add(factory)
        names.append(f"sturgeon-{p}")
    return [*PEERS, *names]


def get_optimizer(name: str) -> MFOptimizer:
    if name in _PEERS:
        return _PEERS[name]
    if name.startswith("sturgeon-"):
        pruner, sampler = parse_sturgeon(name)
        return MFOptimizer(
            name, ("sturgeon",), _sturgeon_runner(pruner, sampler), f"pruner={pruner!r}, sampler={sampler!r}"
        )
    raise KeyError(name)


def available(name: str) -> tuple[bool, str]:
    """(True, "") when the optimizer can run here, else (False, why not)."""
    if name.startswith("sturgeon-"):
        pruner, sampler = parse_sturgeon(name)
        from sturgeon.pruners import make_pruner
        from sturgeon.samplers import SAMPLERS

        try:
            make_pruner(make_pruner_spec(pruner))
        except Exception as e:
            return False, f"{name}: sturgeon has no pruner {pruner!r} yet ({type(e).__name__})"
        if sampler.partition(":")[0] not in SAMPLERS:
            return False, f"{name}: sturgeon has no sampler {sampler!r}"
        return True, ""
    if name not in _PEERS:
        return False, f"unknown optimizer {name!r}"
    missing = [m for m in _PEERS[name].modules if importlib.util.find_spec(m) is None]
    if missing:
        return False, f"{name}: {', '.join(missing)} not installed"
    return True, ""
