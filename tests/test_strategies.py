"""Contract tests run over every registered search strategy (grid has its own tests)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sturgeon as sg
from sturgeon import TrialState
from sturgeon.samplers import SAMPLERS

STRATEGIES = sorted(name for name in SAMPLERS if name != "grid")

SPACE = {
    "lr": sg.Float(1e-5, 1e-1, log=True),
    "drop": sg.Float(0.0, 0.5, step=0.1),
    "x": sg.Float(-2.0, 3.0),
    "units": sg.Int(16, 512, log=True),
    "layers": sg.Int(1, 7, step=2),
    "act": sg.Categorical(["relu", "tanh", None, 3, 2.5, True]),
}


def mixed_objective(p: dict) -> float:
    return (
        (math.log10(p["lr"]) + 3) ** 2
        + (p["drop"] - 0.2) ** 2
        + (p["x"] - 1) ** 2
        + (math.log2(p["units"]) - 7) ** 2 / 4
        + (p["layers"] - 3) ** 2 / 4
        + (p["act"] != "tanh")
    )


def define_by_run(trial: sg.Trial) -> float:
    return mixed_objective({name: trial.suggest(name, dist) for name, dist in SPACE.items()})


@pytest.mark.parametrize("name", STRATEGIES)
def test_respects_every_space_type_declarative(name):
    study = sg.create_study(sampler=name, seed=0)
    for _ in range(25):
        trial = study.ask(SPACE)
        for p, dist in SPACE.items():
            assert dist.contains(trial.params[p]), (p, trial.params[p])
        study.tell(trial, mixed_objective(trial.params))
    assert len(study.get_trials(states=[TrialState.COMPLETE])) == 25


@pytest.mark.parametrize("name", STRATEGIES)
def test_respects_every_space_type_define_by_run_and_reproduces(name):
    def run(seed: int) -> list[dict]:
        study = sg.create_study(sampler=name, seed=seed)
        study.optimize(define_by_run, n_trials=25)
        for t in study.trials:
            assert all(SPACE[p].contains(v) for p, v in t.params.items())
        return [t.params for t in study.trials]

    first = run(4)
    assert first == run(4)
    assert first != run(5)


@pytest.mark.parametrize("name", STRATEGIES)
def test_conditional_space(name):
    def objective(trial: sg.Trial) -> float:
        model = trial.suggest_categorical("model", ["svm", "tree"])
        if model == "svm":
            c = trial.suggest_float("C", 1e-3, 1e3, log=True)
            return abs(math.log10(c) - 1)
        depth = trial.suggest_int("depth", 1, 12)
        return abs(depth - 5) / 3 + 0.2

    study = sg.create_study(sampler=name, seed=1)
    study.optimize(objective, n_trials=30)
    trials = study.trials
    assert all(t.state is TrialState.COMPLETE for t in trials)
    for t in trials:
        assert set(t.params) == ({"model", "C"} if t.params["model"] == "svm" else {"model", "depth"})


@pytest.mark.parametrize("name", STRATEGIES)
def test_continues_a_study_started_by_another_sampler(name, sqlite_url):
    first = sg.create_study(name="s", storage=sqlite_url, sampler="random", seed=0)
    first.optimize(define_by_run, n_trials=8)
    second = sg.load_study(name="s", storage=sqlite_url, sampler=name, seed=0)
    second.optimize(define_by_run, n_trials=12)
    assert len(second.trials) == 20
    assert all(t.state is TrialState.COMPLETE for t in second.trials)


@pytest.mark.parametrize("name", STRATEGIES)
def test_pending_trials_get_distinct_proposals(name):
    study = sg.create_study(sampler=name, seed=2)
    for _ in range(12):
        trial = study.ask(SPACE)
        study.tell(trial, mixed_objective(trial.params))
    pending = [study.ask(SPACE).params for _ in range(4)]  # four workers, none has told yet
    keys = {tuple(sorted((k, repr(v)) for k, v in p.items())) for p in pending}
    assert len(keys) == 4


def test_qmc_covers_the_space_more_evenly_than_random():
    def gaps(sampler: str) -> float:
        study = sg.create_study(sampler=sampler, seed=0)
        xs = sorted(study.ask({"x": sg.Float(0, 1)}).params["x"] for _ in range(64))
        return float(np.max(np.diff([0.0, *xs, 1.0])))

    assert gaps("qmc") < gaps("random")


def test_auto_records_its_choice():
    study = sg.create_study(seed=0)
    study.optimize(define_by_run, n_trials=5)
    assert all(t.system_attrs.get("auto:sampler") for t in study.trials)


def test_auto_picks_gp_for_small_studies_and_tpe_for_long_wide_or_categorical_ones():
    from sturgeon.samplers import AutoSampler

    def trials(space: dict, n: int, sampler: str = "random") -> list:
        study = sg.create_study(sampler=sampler, seed=0)
        for _ in range(n):
            t = study.ask(space)
            study.tell(t, 1.0)
        return study.trials

    numeric = {"x": sg.Float(0, 1), "n": sg.Int(1, 9), "c": sg.Categorical(["a", "b"])}
    auto = AutoSampler(gp_max_trials=20, gp_max_dim=4)
    assert auto.choose(trials(numeric, 5)) == "gp"
    assert auto.choose(trials(numeric, 21)) == "tpe"  # long study
    assert auto.choose([], numeric) == "gp"
    wide = {f"x{i}": sg.Float(0, 1) for i in range(5)}
    assert auto.choose([], wide) == "tpe"
    categorical = {"a": sg.Categorical([1, 2]), "b": sg.Categorical(["x", "y"]), "x": sg.Float(0, 1)}
    assert auto.choose(trials(categorical, 3)) == "tpe"

    # a conditional space: the joint part is one categorical, the branches are numeric
    study = sg.create_study(sampler="random", seed=1)

    def branchy(trial: sg.Trial) -> float:
        if trial.suggest_categorical("model", ["svm", "tree"]) == "svm":
            return trial.suggest_float("C", 1e-3, 1e3, log=True) + trial.suggest_float("gamma", 1e-4, 1, log=True)
        return trial.suggest_int("depth", 1, 20) + trial.suggest_int("leaf", 1, 30)

    study.optimize(branchy, n_trials=10)
    assert auto.choose(study.trials) == "gp"


@pytest.mark.parametrize("name", ["cmaes", "coarse_to_fine", "auto"])
def test_model_based_beats_random_on_an_easy_function(name):
    def sphere(trial: sg.Trial) -> float:
        return sum((trial.suggest_float(f"x{i}", -5, 5) - 1.5) ** 2 for i in range(3))

    wins = 0
    for seed in range(6):
        best = {}
        for sampler in (name, "random"):
            study = sg.create_study(sampler=sampler, seed=seed)
            study.optimize(sphere, n_trials=60)
            best[sampler] = study.best_value
        wins += best[name] < best["random"]
    assert wins >= 5, f"{name} beat random in only {wins} of 6 seeded runs"


def test_suggested_ranges_narrow_to_the_best_trials_and_warn_at_edges():
    study = sg.create_study(sampler="random", seed=0)

    def objective(trial: sg.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        units = trial.suggest_int("units", 8, 512, log=True)
        act = trial.suggest_categorical("act", ["relu", "tanh", "gelu"])
        return -math.log10(lr) + abs(math.log2(units) - 6) + (act != "gelu")  # best lr at the top edge

    study.enqueue({"lr": 0.099, "units": 64, "act": "gelu"})
    study.optimize(objective, n_trials=80)
    with pytest.warns(UserWarning, match=r"lr best at the upper bound 0.1: widen the range"):
        ranges = study.suggested_ranges()
    assert ranges["lr"].high == 0.1 and ranges["lr"].low > 1e-5 and ranges["lr"].log
    assert 8 < ranges["units"].high <= 512 and ranges["units"].low < 64 < ranges["units"].high
    assert "gelu" in ranges["act"].choices
    trial = study.ask(ranges)
    assert all(ranges[k].contains(v) for k, v in trial.params.items())


def test_coarse_to_fine_narrows_after_the_coarse_stage():
    study = sg.create_study(sampler="coarse_to_fine", seed=0)

    def objective(trial: sg.Trial) -> float:
        return (math.log10(trial.suggest_float("lr", 1e-6, 1.0, log=True)) + 3) ** 2

    study.optimize(objective, n_trials=50)
    stages = [t.system_attrs["coarse_to_fine:stage"] for t in study.trials[1:]]
    assert stages[0] == 0 and max(stages) >= 2
    late = [t.params["lr"] for t in study.trials[-10:]]
    assert all(1e-5 < v < 1e-1 for v in late), late


@pytest.mark.parametrize("name", ["random", "qmc", "grid"])
def test_parallel_workers_reproduce_the_serial_study(name):
    space = {"x": sg.Int(0, 7), "y": sg.Float(0, 1, step=0.25), "c": sg.Categorical(["a", "b"])}

    def objective(trial: sg.Trial) -> float:
        return trial.suggest_int("x", 0, 7) + trial.suggest_float("y", 0, 1, step=0.25)

    runs = []
    for n_jobs in (1, 4):
        sampler = sg.samplers.GridSampler(space) if name == "grid" else name
        study = sg.create_study(sampler=sampler, seed=3)
        study.optimize(objective, n_trials=40, n_jobs=n_jobs)
        runs.append({t.number: t.params for t in study.trials})
    assert runs[0] == runs[1]
