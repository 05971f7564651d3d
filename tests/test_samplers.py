"""Random and grid samplers: bounds, reproducibility, grid coverage and exhaustion."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

import sturgeon as sg
from sturgeon import TrialState
from sturgeon.samplers import GridSampler, RandomSampler

SPACE = {
    "lr": sg.Float(1e-5, 1e-1, log=True),
    "drop": sg.Float(0.0, 0.5, step=0.1),
    "units": sg.Int(16, 512, log=True),
    "layers": sg.Int(1, 7, step=2),
    "act": sg.Categorical(["relu", "tanh", None, 3, 2.5, True]),
}


@pytest.mark.parametrize("sampler", ["random", "grid"])
def test_samplers_respect_every_space_type(sampler, storage):
    study = sg.create_study(storage=storage, sampler=sampler, seed=0)
    for _ in range(60):
        trial = study.ask(SPACE)
        for name, dist in SPACE.items():
            assert dist.contains(trial.params[name]), (name, trial.params[name])
        study.tell(trial, 0.0)
    drops = {t.params["drop"] for t in study.trials}
    assert drops <= {0.0, 0.1, 0.2, 0.3, 0.4, 0.5}
    assert all(isinstance(t.params["units"], int) for t in study.trials)


def test_random_log_scale_is_log_uniform():
    study = sg.create_study(sampler="random", seed=1)
    lrs = []
    for _ in range(2000):
        trial = study.ask()
        lrs.append(trial.suggest_float("lr", 1e-5, 1e-1, log=True))
        study.tell(trial, 0.0)
    decades = Counter(math.floor(math.log10(v)) for v in lrs)
    # four decades, ~500 draws each when log-uniform; a linear draw would put ~90% in the last one
    assert all(400 < decades[d] < 600 for d in (-5, -4, -3, -2)), decades


def test_same_seed_same_suggestions_across_backends(storage):
    def run(st, name):
        study = sg.create_study(name=name, storage=st, seed=42, sampler=RandomSampler())
        return [study.ask(SPACE).params for _ in range(20)]

    assert run(storage, "a") == run(sg.storage.InMemoryStorage(), "b")


def test_grid_runs_every_point_once_then_reports_exhaustion(storage):
    space = {"a": sg.Int(0, 2), "b": sg.Categorical(["x", "y"]), "c": sg.Float(0, 1, step=0.5)}
    study = sg.create_study(storage=storage, sampler=GridSampler(space), seed=0)
    study.optimize(
        lambda t: (
            t.suggest_int("a", 0, 2)
            + t.suggest_float("c", 0, 1, step=0.5)
            + (t.suggest_categorical("b", ["x", "y"]) == "x")
        ),
        n_trials=100,
    )
    trials = study.trials
    assert len(trials) == 18
    points = {(t.params["a"], t.params["b"], t.params["c"]) for t in trials}
    assert len(points) == 18
    with pytest.raises(sg.GridExhaustedError, match="exhausted"):
        study.ask()


def test_grid_over_suggest_calls_with_float_points(storage):
    def objective(trial: sg.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-3, 1e-1, log=True)
        act = trial.suggest_categorical("act", ["relu", "tanh"])
        return lr * (2 if act == "relu" else 1)

    study = sg.create_study(storage=storage, sampler=GridSampler(n_points=3))
    study.optimize(objective, n_trials=50)
    got = sorted((t.params["lr"], t.params["act"]) for t in study.trials)
    assert len(got) == 6
    assert sorted({lr for lr, _ in got}) == pytest.approx([1e-3, 1e-2, 1e-1])


@pytest.mark.parametrize("n_jobs", [2, 4])
def test_grid_with_parallel_workers_never_repeats_a_point(storage, n_jobs):
    space = {"x": sg.Int(0, 9), "y": sg.Categorical([0, 1, 2])}
    study = sg.create_study(storage=storage, sampler=GridSampler(space))
    study.optimize(lambda t: float(t.suggest_int("x", 0, 9) + t.suggest_categorical("y", [0, 1, 2])), n_jobs=n_jobs)
    done = [t for t in study.trials if t.state is TrialState.COMPLETE]
    assert len(done) == 30
    assert len({(t.params["x"], t.params["y"]) for t in done}) == 30


def test_grid_define_by_run_with_parallel_workers(storage):
    def objective(trial: sg.Trial) -> float:
        return trial.suggest_int("x", 0, 4) + trial.suggest_float("y", 0, 1, step=0.25)

    study = sg.create_study(storage=storage, sampler="grid")
    study.optimize(objective, n_jobs=4)
    done = [t for t in study.trials if t.state is TrialState.COMPLETE]
    assert len({(t.params["x"], t.params["y"]) for t in done}) == len(done) == 25


def test_grid_shuffle_is_seeded():
    space = {"x": sg.Int(0, 19)}

    def order(seed: int) -> list[int]:
        study = sg.create_study(sampler=GridSampler(space, shuffle=True), seed=seed)
        return [study.ask(space).params["x"] for _ in range(20)]

    assert order(3) == order(3)
    assert sorted(order(3)) == list(range(20)) and order(3) != list(range(20))
    assert order(3) != order(4)


def test_grid_rejects_parameters_outside_its_space():
    study = sg.create_study(sampler=GridSampler({"x": sg.Int(0, 2)}))
    trial = study.ask()
    with pytest.raises(sg.InvalidSpaceError, match="'z' is not in the grid space"):
        trial.suggest_int("z", 0, 3)


def test_grid_argument_errors():
    with pytest.raises(sg.InvalidValueError, match="n_points"):
        GridSampler(n_points=1)
    for bad in (5, []):  # a list of values is a grid (Optuna's form); anything else names the parameter
        with pytest.raises(sg.InvalidValueError, match="'x' must be a non-empty list"):
            GridSampler({"x": bad})  # type: ignore[dict-item]
    assert GridSampler({"x": [1, 2, 3]}).space == {"x": sg.Categorical([1, 2, 3])}  # type: ignore[dict-item]


def test_study_can_continue_with_another_sampler(storage):
    first = sg.create_study(name="s", storage=storage, sampler="random", seed=0)
    first.optimize(lambda t: t.suggest_int("x", 0, 3) * 1.0, n_trials=3)
    second = sg.load_study(name="s", storage=storage, sampler=GridSampler({"x": sg.Int(0, 3)}))
    second.optimize(lambda t: t.suggest_int("x", 0, 3) * 1.0)
    trials = second.trials
    assert len(trials) == 7
    assert sorted(t.params["x"] for t in trials[3:]) == [0, 1, 2, 3]


def test_random_sampler_draws_are_independent_of_history():
    rng_draws = []
    for n_before in (0, 5):
        study = sg.create_study(sampler="random", seed=9)
        for _ in range(n_before):
            study.tell(study.ask(), 1.0)
        rng_draws.append(study.ask({"x": sg.Float(0, 1)}).params["x"])
    expected = sg.Float(0, 1).decode(np.random.default_rng([9, 5]).random())
    assert rng_draws[1] == expected
