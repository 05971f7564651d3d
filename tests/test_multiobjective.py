"""Several objectives and constraints: the study's record, the Pareto front, hypervolume, and
what single-objective samplers see of such studies (samplers/_scalarize.py)."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

import sturgeon as sg
from sturgeon import TrialState
from sturgeon._pareto import (
    as_losses,
    crowding_distance,
    default_reference,
    hypervolume,
    hypervolume_improvement_2d,
    nondominated_ranks,
    pareto_mask,
)


def _brute_front(Y: np.ndarray) -> np.ndarray:
    return np.array(
        [not any(np.all(Y[j] <= Y[i]) and np.any(Y[j] < Y[i]) for j in range(len(Y))) for i in range(len(Y))]
    )


def _mc_hypervolume(Y: np.ndarray, ref: np.ndarray, rng: np.random.Generator, n: int = 200_000) -> float:
    lo = Y.min(axis=0)
    U = lo + rng.random((n, len(ref))) * (ref - lo)
    dominated = np.zeros(n, dtype=bool)
    for y in Y:
        dominated |= np.all(y <= U, axis=1)
    return float(dominated.mean() * np.prod(ref - lo))


# -- the arithmetic -------------------------------------------------------------------------------
@pytest.mark.parametrize("m", [2, 3, 4])
def test_pareto_mask_and_ranks_match_brute_force(m):
    rng = np.random.default_rng(m)
    Y = rng.integers(0, 6, size=(60, m)).astype(float)  # many ties and duplicates
    assert np.array_equal(pareto_mask(Y), _brute_front(Y))
    ranks = nondominated_ranks(Y)
    for r in range(ranks.max() + 1):
        rest = ranks >= r
        assert np.array_equal(ranks[rest] == r, _brute_front(Y[rest]))


def test_hypervolume_exact_cases_and_against_monte_carlo():
    assert hypervolume([[1.0, 2.0], [2.0, 1.0]], [3.0, 3.0]) == pytest.approx(3.0)
    assert hypervolume([[0.0, 0.0, 0.0]], [1.0, 2.0, 3.0]) == pytest.approx(6.0)
    assert hypervolume([[4.0, 0.0]], [3.0, 3.0]) == 0.0  # outside the box: adds nothing
    assert hypervolume(np.zeros((0, 2)), [1.0, 1.0]) == 0.0
    rng = np.random.default_rng(0)
    for m in (2, 3, 4):
        Y = rng.random((25, m))
        ref = np.full(m, 1.1)
        assert hypervolume(Y, ref) == pytest.approx(_mc_hypervolume(Y, ref, rng), rel=0.02)


def test_hypervolume_improvement_2d_is_the_difference_of_hypervolumes():
    rng = np.random.default_rng(1)
    front = rng.random((12, 2))
    ref = np.array([1.2, 1.3])
    Y = rng.random((40, 2)) * 1.3
    got = hypervolume_improvement_2d(front, ref, Y)
    base = hypervolume(front, ref)
    want = [hypervolume(np.vstack([front, y]), ref) - base for y in Y]
    assert got == pytest.approx(want, abs=1e-12)


def test_crowding_distance_marks_the_extremes_infinite():
    Y = np.array([[0.0, 1.0], [0.5, 0.5], [0.1, 0.9], [1.0, 0.0]])
    d = crowding_distance(Y)
    assert math.isinf(d[0]) and math.isinf(d[3]) and 0 < d[2] < d[1]


def test_default_reference_is_the_worst_plus_a_tenth_of_the_range():
    Y = as_losses([[1.0, 10.0], [3.0, 20.0]], ["minimize", "maximize"])
    assert default_reference(Y) == pytest.approx([3.2, -9.0])


# -- the study ------------------------------------------------------------------------------------
def _zdt1(trial: sg.Trial) -> tuple[float, float]:
    x = [trial.suggest_float(f"x{i}", 0, 1) for i in range(3)]
    g = 1 + 9 * sum(x[1:]) / 2
    return x[0], g * (1 - math.sqrt(x[0] / g))


def test_directions_values_and_front_survive_a_reload(storage):
    study = sg.create_study(name="mo", directions=["minimize", "maximize"], storage=storage, sampler="random", seed=0)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=20)
    again = sg.load_study(name="mo", storage=storage)
    assert again.directions == ["minimize", "maximize"] and again.is_multi_objective
    assert [t.values for t in again.trials] == [t.values for t in study.trials]
    assert all(t.value is None and len(t.values) == 2 for t in again.trials)
    front = again.best_trials
    Y = as_losses([t.values for t in again.trials], ["minimize", "maximize"])
    assert [t.number for t in front] == list(np.flatnonzero(_brute_front(Y)))
    hv, ref = again.hypervolume()
    assert hv == pytest.approx(hypervolume(Y, as_losses([ref], ["minimize", "maximize"])[0]))
    xs, ys = [t.values[0] for t in again.trials], [t.values[1] for t in again.trials]
    assert ref == pytest.approx([max(xs) + 0.1 * (max(xs) - min(xs)), min(ys) - 0.1 * (max(ys) - min(ys))])
    summary = next(s for s in sg.list_studies(storage) if s.name == "mo")
    assert summary.direction == "minimize,maximize" and summary.n_complete == 20 and summary.best_value is None
    with pytest.raises(sg.InvalidValueError, match="directions .*'minimize', 'maximize'.*cannot be loaded"):
        sg.create_study(name="mo", storage=storage, load_if_exists=True)


def test_single_best_names_are_refused_with_the_way_out():
    study = sg.create_study(directions=["minimize", "minimize"], sampler="random")
    study.optimize(_zdt1, n_trials=3)
    for name in ("best_trial", "best_value", "best_params"):
        with pytest.raises(sg.InvalidValueError, match="2 objectives.*best_trials"):
            getattr(study, name)
    with pytest.raises(sg.InvalidValueError, match="2 objectives.*study.directions"):
        _ = study.direction
    assert "directions=['minimize', 'minimize']" in repr(study)


@pytest.mark.parametrize(
    ("returned", "why"),
    [
        (1.0, "needs a sequence of 2 numbers"),
        ((1.0,), "returned 1 values"),
        ((1.0, 2.0, 3.0), "returned 3 values"),
        ((1.0, float("nan")), "objective 1: .*not finite"),
        (("a", 1.0), "objective 0: .*not a number"),
        ("ab", "needs a sequence"),
    ],
)
def test_a_wrong_result_fails_the_trial_with_its_reason(returned, why):
    study = sg.create_study(directions=["minimize", "minimize"], sampler="random")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), returned)[1], n_trials=1)
    t = study.trials[0]
    assert t.state is TrialState.FAIL and t.values is None
    assert t.fail_reason is not None and __import__("re").search(why, t.fail_reason)


def test_direction_arguments_are_checked():
    with pytest.raises(sg.InvalidValueError, match=r"directions\[1\] must be 'minimize' or 'maximize'"):
        sg.create_study(directions=["minimize", "up"])
    with pytest.raises(sg.InvalidValueError, match="non-empty list"):
        sg.create_study(directions=[])
    with pytest.raises(sg.InvalidValueError, match="non-empty list"):
        sg.create_study(directions="minimize")
    with pytest.raises(sg.InvalidValueError, match="cannot prune"):
        sg.create_study(directions=["minimize", "minimize"], pruner="median")


def test_an_excluded_or_pruned_trial_is_not_on_the_front():
    study = sg.create_study(directions=["minimize", "minimize"], sampler="random")
    for values in ([0.0, 1.0], [1.0, 0.0], [0.2, 0.2]):
        study.tell(study.ask(), values=values)
    study.tell(study.ask(), state=TrialState.PRUNED)
    assert [t.number for t in study.best_trials] == [0, 1, 2]
    study.exclude_trial(2, reason="leaked test data")
    assert [t.number for t in study.best_trials] == [0, 1]
    assert study.trials[3].values is None


# -- constraints ----------------------------------------------------------------------------------
def test_constraints_func_is_recorded_with_the_finish_and_best_names_feasible_only(storage):
    study = sg.create_study(
        storage=storage, sampler="random", seed=3, constraints_func=lambda t: [t.params["x"] - 0.5, -1.0]
    )
    study.optimize(lambda t: -t.suggest_float("x", 0, 1), n_trials=25)
    trials = sg.load_study(name=study.name, storage=storage).trials
    assert all(t.constraints == (t.params["x"] - 0.5, -1.0) for t in trials)
    assert any(not t.feasible for t in trials) and any(t.feasible for t in trials)
    best = study.best_trial
    assert best.feasible and best.value == min(t.value for t in trials if t.feasible)
    assert best.value > min(t.value for t in trials)  # a better value was infeasible


def test_report_constraints_from_the_objective_and_a_front_of_feasible_trials():
    def objective(trial: sg.Trial) -> tuple[float, float]:
        f1, f2 = _zdt1(trial)
        trial.report_constraints([f1 - 0.6])
        return f1, f2

    study = sg.create_study(directions=["minimize", "minimize"], sampler="random", seed=0)
    study.optimize(objective, n_trials=40)
    front = study.best_trials
    assert front and all(t.feasible and t.values[0] <= 0.6 for t in front)
    infeasible = [t for t in study.trials if not t.feasible]
    assert infeasible and not any(t in front for t in infeasible)


@pytest.mark.parametrize(
    ("func", "why"),
    [
        (lambda t: 1.0, "list of numbers"),
        (lambda t: [float("nan")], "constraint 0 must be finite"),
        (lambda t: ["x"], "constraint 0 must be a number"),
        (lambda t: [], "1 to 256"),
        (lambda t: 1 / 0, "constraints_func raised ZeroDivisionError"),
    ],
)
def test_a_bad_constraints_func_fails_the_trial_clearly(func, why):
    study = sg.create_study(sampler="random", constraints_func=func)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    t = study.trials[0]
    assert t.state is TrialState.FAIL and why in (t.fail_reason or "")
    with pytest.raises(sg.InvalidValueError, match="list of numbers"):
        sg.create_study(constraints_func=3)


# -- samplers on several objectives -----------------------------------------------------------
@pytest.mark.parametrize("sampler", ["tpe", "gp", "auto", "cmaes"])
def test_single_objective_samplers_search_a_two_objective_study_reproducibly(sampler):
    def run(seed: int) -> sg.Study:
        study = sg.create_study(directions=["minimize", "minimize"], sampler=sampler, seed=seed)
        study.optimize(_zdt1, n_trials=30)
        return study

    a, b = run(0), run(0)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    random = sg.create_study(directions=["minimize", "minimize"], sampler="random", seed=0)
    random.optimize(_zdt1, n_trials=30)
    ref = [1.1, 6.0]
    assert a.hypervolume(ref)[0] > 0 and a.hypervolume(ref)[1] == ref
    if sampler in ("gp", "auto"):  # the model-based default beats random search clearly
        assert a.hypervolume(ref)[0] > random.hypervolume(ref)[0]


def test_scalarized_weights_spread_over_the_simplex():
    from sturgeon.samplers._scalarize import weights_for

    W = np.array([weights_for(7, n, 3) for n in range(300)])
    assert np.allclose(W.sum(axis=1), 1.0) and (W > 0).all()
    assert np.allclose(W.mean(axis=0), 1 / 3, atol=0.04)
    assert np.array_equal(weights_for(7, 5, 3), weights_for(7, 5, 3))


@pytest.mark.parametrize("sampler", ["tpe", "gp"])
def test_samplers_learn_to_avoid_an_infeasible_basin(sampler):
    # the global minimum (x = 0.1) is infeasible (x < 0.3); the feasible one is at x = 0.8
    def objective(t: sg.Trial) -> float:
        x, y = t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)
        return min(10 * (x - 0.1) ** 2, 0.2 + 10 * (x - 0.8) ** 2) + 0.1 * y

    def count(sampler: str, constrained: bool) -> int:
        func = (lambda t: [0.3 - t.params["x"]]) if constrained else None
        study = sg.create_study(sampler=sampler, seed=1, constraints_func=func)
        study.optimize(objective, n_trials=50)
        if constrained:
            assert study.best_trial.params["x"] == pytest.approx(0.8, abs=0.1)
        return sum(t.params["x"] < 0.3 for t in study.trials)

    ours = count(sampler, True)
    assert ours < count("random", True) and ours < count(sampler, False)


def test_every_cell_of_a_tiny_two_objective_grid_is_reachable():
    study = sg.create_study(directions=["minimize", "maximize"], sampler="grid")
    space = {"a": sg.Categorical([0, 1, 2]), "b": sg.Categorical(["u", "v"])}
    study.optimize(lambda t: (t.suggest("a", space["a"]), len(t.suggest("b", space["b"]))), n_trials=6)
    got = {(t.params["a"], t.params["b"]) for t in study.trials}
    assert got == set(itertools.product([0, 1, 2], ["u", "v"]))


def test_a_schema_3_postgresql_database_widens_its_direction_column(postgres):
    import sqlalchemy as sa

    url = postgres.new_database()
    sg.create_study(name="old", storage=url)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1) if "+" not in url else url)
    with engine.begin() as conn:  # as schema 3 left it
        conn.execute(sa.text("ALTER TABLE sturgeon_studies ALTER COLUMN direction TYPE VARCHAR(16)"))
        conn.execute(sa.text("UPDATE sturgeon_meta SET value = '3' WHERE key = 'schema_version'"))
    directions = ["minimize", "maximize", "maximize"]
    study = sg.create_study(name="three", directions=directions, storage=url, sampler="random")
    study.optimize(lambda t: (1.0, 2.0, t.suggest_float("x", 0, 1)), n_trials=2)
    assert sg.load_study(name="three", storage=url).directions == directions
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT value FROM sturgeon_meta WHERE key = 'schema_version'")).scalar() == "4"
    engine.dispose()


def test_a_two_objective_study_runs_in_worker_processes(tmp_path):
    url = f"sqlite:///{tmp_path / 'mo.db'}"
    study = sg.create_study(name="mo", directions=["minimize", "minimize"], storage=url, sampler="random", seed=0)
    study.optimize(_zdt1, n_trials=6, n_jobs=2, executor="process")
    trials = sg.load_study(name="mo", storage=url).trials
    assert len(trials) == 6 and all(t.state is TrialState.COMPLETE and len(t.values) == 2 for t in trials)


def test_plot_pareto_front_of_a_two_objective_study_marks_its_front():
    pytest.importorskip("plotly")
    from sturgeon.visualization import plot_optimization_history, plot_pareto_front

    study = sg.create_study(directions=["minimize", "maximize"], sampler="random", seed=2)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=25)
    fig = plot_pareto_front(study)
    best = next(tr for tr in fig.data if tr.name == "Best Trial")
    assert sorted(int(s[1:]) for s in best.text) == [t.number for t in study.best_trials]
    with pytest.raises(sg.InvalidValueError, match="2 objectives: pass target="):
        plot_optimization_history(study)
    fig = plot_optimization_history(study, target=lambda t: t.values[1], target_name="y")
    assert len(fig.data[0].x) == 25


def test_the_cli_shows_the_front_and_exports_every_value(tmp_path):
    import csv
    import io
    import json

    from click.testing import CliRunner

    from sturgeon.cli import main

    url = f"sqlite:///{tmp_path / 'mo.db'}"
    study = sg.create_study(
        name="mo",
        directions=["minimize", "maximize"],
        storage=url,
        sampler="random",
        seed=0,
        constraints_func=lambda t: [t.params["x"] - 0.9],
    )
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=15)
    runner = CliRunner()
    out = runner.invoke(main, ["show", "mo", "--storage", url])
    assert out.exit_code == 0, out.output
    assert "(minimize, maximize)" in out.output
    assert f"Pareto front: {len(study.best_trials)} trials; hypervolume" in out.output
    one = runner.invoke(main, ["show", "mo", "0", "--storage", url])
    assert "values [" in one.output and "constraints [" in one.output
    text = runner.invoke(main, ["export", "mo", "--storage", url]).output
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [float(r["values_1"]) for r in rows] == [t.values[1] for t in study.trials]
    assert [r["feasible"] for r in rows] == [json.dumps(t.feasible) for t in study.trials]
    assert all(r["value"] == "" for r in rows)
    listed = runner.invoke(main, ["studies", "--storage", url]).output
    assert "minimize,maximize" in listed


@pytest.mark.parametrize("m", [2, 3, 4])
def test_scalarized_values_respect_dominance(m):
    from sturgeon._frozen import FrozenTrial
    from sturgeon.samplers._scalarize import scalarized, weights_for

    rng = np.random.default_rng(m)
    Y = rng.random((40, m))
    trials = [
        FrozenTrial(n, TrialState.COMPLETE, None, {}, {}, {}, {}, {}, None, None, objective_values=tuple(map(float, y)))
        for n, y in enumerate(Y)
    ]
    for number in range(5):
        scores = np.array([t.value for t in scalarized(trials, ["minimize"] * m, weights_for(0, number, m))])
        for i, j in itertools.permutations(range(40), 2):
            if np.all(Y[i] <= Y[j]) and np.any(Y[i] < Y[j]):
                assert scores[i] <= scores[j]
