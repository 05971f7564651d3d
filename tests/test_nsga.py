"""NSGA-II / NSGA-III (samplers/_nsga.py): the selection arithmetic, search quality against
random search on ZDT1 and DTLZ2, constraints, spaces, reproducibility and Optuna's arguments."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sturgeon as sg
from sturgeon import TrialState
from sturgeon.samplers import NSGAIIISampler, NSGAIISampler
from sturgeon.samplers._nsga import breed, das_dennis, default_divisions, survivors


def zdt1(n: int):
    def objective(trial: sg.Trial) -> tuple[float, float]:
        x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(n)]
        g = 1.0 + 9.0 * sum(x[1:]) / (n - 1)
        return x[0], g * (1.0 - math.sqrt(x[0] / g))

    return objective


def dtlz2(m: int, k: int):
    def objective(trial: sg.Trial) -> tuple[float, ...]:
        x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(m + k - 1)]
        g = sum((xi - 0.5) ** 2 for xi in x[m - 1 :])
        out = []
        for i in range(m):
            v = 1.0 + g
            for xj in x[: m - 1 - i]:
                v *= math.cos(xj * math.pi / 2)
            if i > 0:
                v *= math.sin(x[m - 1 - i] * math.pi / 2)
            out.append(v)
        return tuple(out)

    return objective


# -- the arithmetic -------------------------------------------------------------------------
@pytest.mark.parametrize(("m", "p", "count"), [(1, 4, 1), (2, 4, 5), (3, 3, 10), (3, 8, 45), (5, 3, 35)])
def test_das_dennis_points_lie_on_the_simplex_grid(m, p, count):
    refs = das_dennis(m, p)
    assert refs.shape == (count, m) == (math.comb(p + m - 1, m - 1), m)
    assert np.allclose(refs.sum(axis=1), 1.0) and (refs >= 0).all()
    assert np.allclose(refs * p, np.round(refs * p))
    assert len({tuple(r) for r in refs}) == count


def test_default_divisions_fit_the_population():
    assert default_divisions(3, 50) == 8 and math.comb(10, 2) <= 50 < math.comb(11, 2)
    assert default_divisions(2, 50) == 49 and default_divisions(1, 50) == 1 and default_divisions(10, 5) == 1


def test_feasible_trials_come_first_and_infeasible_ones_by_violation():
    rng = np.random.default_rng(0)
    losses = np.array([[0.0, 0.0], [5.0, 5.0], [6.0, 6.0], [1.0, 3.0], [3.0, 1.0], [9.0, 9.0]])
    viol = np.array([2.0, 0.0, 0.5, 0.0, 0.0, 0.0])
    chosen, _ = survivors(losses, viol, 4, rng)
    assert sorted(chosen.tolist()) == [1, 3, 4, 5]  # the dominating row 0 is infeasible
    chosen, keys = survivors(losses, viol, 5, rng)
    assert sorted(chosen.tolist()) == [1, 2, 3, 4, 5]  # the least violating one next
    key = dict(zip(chosen.tolist(), map(tuple, keys), strict=True))
    assert key[3][:2] == key[4][:2] == (0.0, 0.0) and key[1][:2] == (0.0, 1.0) and key[5][:2] == (0.0, 2.0)
    assert key[2] == (0.5, 0.0, 0.0)
    chosen, _ = survivors(losses, viol, 6, rng)
    assert sorted(chosen.tolist()) == list(range(6))


def test_crowding_keeps_the_extremes_of_the_last_front():
    f1 = np.linspace(0.0, 1.0, 11)
    losses = np.column_stack([f1, 1.0 - f1])  # one front of 11 points
    chosen, _ = survivors(losses, np.zeros(11), 3, np.random.default_rng(0))
    assert {0, 10} <= set(chosen.tolist())


def test_reference_niching_spreads_over_the_directions():
    # many points crowd one corner of a 3-objective front, a few lie elsewhere
    rng = np.random.default_rng(1)
    corner = np.array([0.9, 0.05, 0.05]) + rng.normal(0, 0.01, size=(30, 3))
    others = np.array([[0.05, 0.9, 0.05], [0.05, 0.05, 0.9], [0.33, 0.33, 0.34], [0.5, 0.45, 0.05]])
    losses = np.abs(np.vstack([corner, others]))
    losses /= losses.sum(axis=1, keepdims=True)  # all on the plane sum = 1: one front
    chosen, keys = survivors(losses, np.zeros(len(losses)), 8, rng, das_dennis(3, 4))
    assert set(range(30, 34)) <= set(chosen.tolist())  # every lone point survives
    assert (keys[:, 1] == 0).all()


def test_breed_stays_in_the_cube_never_copies_a_parent_and_crosses_categoricals_by_choice():
    rng = np.random.default_rng(0)
    cat = np.array([False, False, True])
    for crossover in ("sbx", "blx", "uniform"):
        inherited = 0
        for _ in range(200):
            x1, x2 = rng.random(3), rng.random(3)
            child = breed(x1, x2, cat, rng, crossover=crossover, mutation_prob=0.0)
            assert ((child >= 0) & (child <= 1)).all()
            assert not np.array_equal(child, x1) and not np.array_equal(child, x2)
            inherited += child[2] in (x1[2], x2[2])  # else the one forced mutation drew it
        assert inherited >= 150, (crossover, inherited)


# -- search quality -------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1])
def test_nsga2_beats_random_on_zdt1(seed):
    hv = {}
    for name, sampler in (("nsga2", NSGAIISampler(population_size=20)), ("random", "random")):
        study = sg.create_study(directions=["minimize", "minimize"], sampler=sampler, seed=seed)
        study.optimize(zdt1(10), n_trials=200)
        hv[name] = study.hypervolume([1.1, 11.0])[0]
    # measured on seeds 0-5: nsga2 10.7-11.2, random 9.1-9.6 (the whole front: 12.1 - 1 / 3 = 11.77)
    assert hv["nsga2"] > hv["random"] + 0.6, hv


def test_nsga3_beats_random_on_three_objective_dtlz2():
    hv = {}
    for name, sampler in (("nsga3", NSGAIIISampler(population_size=30)), ("random", "random")):
        study = sg.create_study(directions=["minimize"] * 3, sampler=sampler, seed=0)
        study.optimize(dtlz2(3, 5), n_trials=200)
        hv[name] = study.hypervolume([1.5, 1.5, 1.5])[0]
    # measured on seeds 0-5: nsga3 2.40-2.66, random 2.12-2.24 (the whole front: 3.375 - pi / 6 = 2.85)
    assert hv["nsga3"] > hv["random"] + 0.15, hv


@pytest.mark.slow
@pytest.mark.parametrize("seed", [2, 3, 4])
def test_nsga2_and_nsga3_beat_random_on_more_seeds(seed):
    hv = {}
    for name in ("nsga2", "nsga3", "random"):
        study = sg.create_study(directions=["minimize"] * 3, sampler=name, seed=seed)
        study.optimize(dtlz2(3, 5), n_trials=300)
        hv[name] = study.hypervolume([1.5, 1.5, 1.5])[0]
    assert min(hv["nsga2"], hv["nsga3"]) > hv["random"] + 0.1, hv


def test_constrained_domination_leaves_the_infeasible_half():
    def constraint(trial: sg.FrozenTrial) -> list[float]:
        return [trial.params["x0"] + trial.params["x1"] - 1.0]  # half of the (x0, x1) square

    late = {}
    for name in ("nsga2", "random"):
        sampler = NSGAIISampler(population_size=20, constraints_func=constraint) if name == "nsga2" else "random"
        study = sg.create_study(
            directions=["minimize", "minimize"],
            sampler=sampler,
            seed=0,
            constraints_func=None if name == "nsga2" else constraint,
        )
        study.optimize(zdt1(4), n_trials=120)
        assert all(t.constraints is not None for t in study.trials)
        late[name] = sum(not t.feasible for t in study.trials[60:])
    # measured on seeds 0-5: 0-3 of the last 60 infeasible, random 19-35
    assert late["nsga2"] < late["random"] / 2, late


# -- spaces, reproducibility, parallelism ---------------------------------------------------
SPACE = {
    "lr": sg.Float(1e-5, 1e-1, log=True),
    "drop": sg.Float(0.0, 0.5, step=0.1),
    "units": sg.Int(16, 512, log=True),
    "layers": sg.Int(1, 7, step=2),
    "act": sg.Categorical(["relu", "tanh", None, 3, 2.5, True]),
    "fixed": sg.Categorical(["only"]),
}


def two_objectives(p: dict) -> tuple[float, float]:
    a = (math.log10(p["lr"]) + 3) ** 2 + (p["layers"] - 3) ** 2 / 4 + (p["act"] != "tanh")
    b = (p["drop"] - 0.2) ** 2 + (math.log2(p["units"]) - 7) ** 2 / 4 + (p["act"] != 3)
    return a, b


@pytest.mark.parametrize("name", ["nsga2", "nsga3"])
def test_mixed_space_stays_in_range_declarative_and_define_by_run(name):
    study = sg.create_study(directions=["minimize", "maximize"], sampler=name, seed=0)
    for _ in range(70):
        trial = study.ask(SPACE)
        study.tell(trial, two_objectives(trial.params))

    def objective(trial: sg.Trial) -> tuple[float, float]:
        a, b = two_objectives({k: trial.suggest(k, d) for k, d in SPACE.items()})
        return a, -b

    study.optimize(objective, n_trials=30)
    for t in study.trials:
        assert t.state is TrialState.COMPLETE
        assert all(SPACE[k].contains(v) for k, v in t.params.items()), t.params
    assert all(len(t.system_attrs["nsga:parents"]) == 2 for t in study.trials[50:])
    assert len({t.params["act"] for t in study.trials[50:]}) >= 2


def test_a_conditional_parameter_outside_the_joint_space_is_drawn_too():
    def objective(trial: sg.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0, 1)
        extra = trial.suggest_int("extra", 1, 9) if trial.suggest_categorical("branch", ["a", "b"]) == "a" else 5
        return x + extra / 10, 1 - x

    study = sg.create_study(directions=["minimize", "minimize"], sampler=NSGAIISampler(population_size=10), seed=0)
    study.optimize(objective, n_trials=40)
    with_extra = [t.params["extra"] for t in study.trials if "extra" in t.params]
    assert len(with_extra) > 5 and all(1 <= v <= 9 for v in with_extra)


@pytest.mark.parametrize("name", ["nsga2", "nsga3"])
def test_same_seed_same_suggestions(name):
    def run(seed: int) -> list[dict]:
        sampler = NSGAIISampler(population_size=10) if name == "nsga2" else NSGAIIISampler(population_size=10)
        study = sg.create_study(directions=["minimize"] * 3, sampler=sampler, seed=seed)
        study.optimize(dtlz2(3, 2), n_trials=40)
        return [t.params for t in study.trials]

    first = run(3)
    assert first == run(3)
    assert first != run(4)


def test_a_resumed_study_goes_on_as_one_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'nsga.db'}"
    whole = sg.create_study(directions=["minimize", "minimize"], sampler=NSGAIISampler(population_size=10), seed=5)
    whole.optimize(zdt1(3), n_trials=30)
    part = sg.create_study(
        name="s", storage=url, directions=["minimize", "minimize"], sampler=NSGAIISampler(population_size=10), seed=5
    )
    part.optimize(zdt1(3), n_trials=18)
    again = sg.load_study("s", storage=url, sampler=NSGAIISampler(population_size=10), seed=5)
    again.optimize(zdt1(3), n_trials=12)
    assert [t.params for t in again.trials] == [t.params for t in whole.trials]


@pytest.mark.parametrize("name", ["nsga2", "nsga3"])
def test_single_objective_studies_are_a_genetic_algorithm(name):
    def sphere(trial: sg.Trial) -> float:
        return sum((trial.suggest_float(f"x{i}", -5, 5) - 1.5) ** 2 for i in range(4))

    wins = 0
    for seed in range(2):
        best = {}
        for sampler in (name, "random"):
            study = sg.create_study(direction="minimize", sampler=sampler, seed=seed)
            study.optimize(sphere, n_trials=150)
            best[sampler] = study.best_value
        wins += best[name] < best["random"]
    assert wins == 2

    study = sg.create_study(direction="maximize", sampler=NSGAIISampler(population_size=8), seed=0)
    study.optimize(lambda t: -abs(t.suggest_int("k", -20, 20) - 7), n_trials=60)
    assert abs(study.best_params["k"] - 7) <= 1


def test_parallel_workers_run_without_error():
    study = sg.create_study(directions=["minimize", "minimize"], sampler=NSGAIISampler(population_size=10), seed=0)
    study.optimize(zdt1(4), n_trials=60, n_jobs=2)
    assert len(study.get_trials(states=[TrialState.COMPLETE])) == 60
    three = sg.create_study(directions=["minimize"] * 3, sampler=NSGAIIISampler(population_size=10), seed=0)
    three.optimize(dtlz2(3, 2), n_trials=40, n_jobs=2)
    assert len(three.get_trials(states=[TrialState.COMPLETE])) == 40


def test_reference_points_and_divisions_are_used_and_checked():
    refs = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]]
    sampler = NSGAIIISampler(population_size=8, reference_points=refs)
    study = sg.create_study(directions=["minimize"] * 3, sampler=sampler, seed=0)
    study.optimize(dtlz2(3, 2), n_trials=20)
    study = sg.create_study(
        directions=["minimize"] * 3, sampler=NSGAIIISampler(population_size=8, dividing_parameter=2)
    )
    study.optimize(dtlz2(3, 2), n_trials=20)
    two = sg.create_study(directions=["minimize"] * 2, sampler=sampler, seed=0)
    with pytest.raises(sg.InvalidValueError, match="reference_points have 3 columns; the study has 2"):
        two.optimize(zdt1(3), n_trials=10, catch=())
    for bad in ([[0, 0, 0]], [[-1, 1]], [1, 2], "x"):
        with pytest.raises(sg.InvalidValueError, match="reference_points"):
            NSGAIIISampler(reference_points=bad)
    with pytest.raises(sg.InvalidValueError, match="dividing_parameter"):
        NSGAIIISampler(dividing_parameter=0)


# -- arguments ------------------------------------------------------------------------------
def test_optuna_arguments_are_taken_and_constraints_func_is_the_samplers():
    def constraint(trial: sg.FrozenTrial) -> list[float]:
        return [trial.params["x0"] - 0.5]

    sampler = sg.samplers.NSGAIISampler(
        population_size=10,
        mutation_prob=0.2,
        crossover_prob=0.8,
        swapping_prob=0.3,
        seed=1,
        constraints_func=constraint,
    )
    assert sampler.constraints_func is constraint and sampler.seed == 1
    assert repr(sampler) == "NSGAIISampler(population_size=10, seed=1)"
    study = sg.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(zdt1(3), n_trials=15)
    assert all(t.constraints == (t.params["x0"] - 0.5,) for t in study.trials)
    assert sg.samplers.SAMPLERS["nsga3"](0).multi_objective


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: NSGAIISampler(population_size=1), "population_size must be an int >= 2"),
        (lambda: NSGAIISampler(crossover="one-point"), "crossover must be one of"),
        (lambda: NSGAIISampler(crossover_prob=1.5), "crossover_prob must be a number in"),
        (lambda: NSGAIISampler(mutation_prob=-0.1), "mutation_prob must be a number in"),
        (lambda: NSGAIISampler(constraints_func=3), "constraints_func must be a function"),
    ],
)
def test_bad_values_are_refused_naming_them(make, match):
    with pytest.raises(sg.InvalidValueError, match=match):
        make()


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: NSGAIISampler(crossover=object()), "crossover=object"),
        (lambda: NSGAIISampler(elite_population_selection_strategy=lambda s, p: p), "elite_population_selection"),
        (lambda: NSGAIIISampler(child_generation_strategy=lambda *a: {}), "child_generation_strategy"),
        (lambda: NSGAIIISampler(after_trial_strategy=lambda *a: None), "after_trial_strategy"),
    ],
)
def test_what_sturgeon_lacks_is_refused(make, match):
    with pytest.raises(sg.NotSupportedError, match=match):
        make()
    with pytest.raises(TypeError, match="unexpected keyword argument 'popsize'"):
        NSGAIISampler(popsize=10)
