"""TPE sampler: legal values for every space type, reproducibility, conditional spaces, parallel
pending trials, continuing another sampler's study, and that it beats random search; plus the
numerics (``_parzen``) and the incremental history cache (``_columns``) on their own."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import sturgeon as sg
from sturgeon import TrialState
from sturgeon.samplers import RandomSampler, _parzen
from sturgeon.samplers._columns import ColumnCache
from sturgeon.samplers._observations import HistoryEncoder, infer_intersection_space
from sturgeon.samplers._tpe import TPESampler, _columns

SPACE = {
    "lr": sg.Float(1e-5, 1e-1, log=True),
    "drop": sg.Float(0.0, 0.5, step=0.1),
    "x": sg.Float(-3.0, 3.0),
    "units": sg.Int(16, 512, log=True),
    "layers": sg.Int(1, 7, step=2),
    "n": sg.Int(0, 30),
    "act": sg.Categorical(["relu", "tanh", None, 3, 2.5, True]),
    "fixed": sg.Float(2.0, 2.0),
}


def _loss(p: dict) -> float:
    return (
        (math.log10(p["lr"]) + 3) ** 2
        + (p["drop"] - 0.2) ** 2
        + p["x"] ** 2
        + (math.log2(p["units"]) - 6) ** 2 / 4
        + abs(p["layers"] - 3)
        + (p["n"] - 11) ** 2 / 50
        + (p["act"] != "tanh")
    )


def _define_by_run(trial: sg.Trial) -> float:
    return _loss({name: trial.suggest(name, dist) for name, dist in SPACE.items()})


def _check_legal(params: dict) -> None:
    for name, dist in SPACE.items():
        assert dist.contains(params[name]), (name, params[name])
    assert isinstance(params["units"], int) and isinstance(params["n"], int)
    assert params["drop"] in {0.0, 0.1, 0.2, 0.3, 0.4, 0.5}


def test_declarative_space_values_are_legal_and_improve():
    study = sg.create_study(sampler=TPESampler(n_startup_trials=5), seed=0)
    for _ in range(40):
        trial = study.ask(SPACE)
        _check_legal(trial.params)
        study.tell(trial, _loss(trial.params))
    later = [t.params for t in study.trials[20:]]
    assert len({p["x"] for p in later}) == len(later)  # the model still proposes new points
    assert {p["act"] for p in later} <= set(SPACE["act"].choices)  # type: ignore[attr-defined]
    assert study.best_value < 3.0


def test_define_by_run_values_are_legal(storage):
    study = sg.create_study(storage=storage, sampler=TPESampler(n_startup_trials=4), seed=1)
    study.optimize(_define_by_run, n_trials=20)
    for t in study.trials:
        assert t.state is TrialState.COMPLETE
        _check_legal(dict(t.params))


def test_maximize_moves_towards_the_maximum():
    study = sg.create_study(direction="maximize", sampler=TPESampler(n_startup_trials=5), seed=2)
    study.optimize(lambda t: -((t.suggest_float("x", 0, 10) - 7) ** 2), n_trials=30)
    assert abs(study.best_params["x"] - 7) < 0.5
    assert np.median([t.params["x"] for t in study.trials[15:]]) > 5


@pytest.mark.parametrize("declarative", [True, False])
def test_same_seed_same_suggestions(declarative):
    def run(seed: int) -> list[dict]:
        study = sg.create_study(sampler=TPESampler(n_startup_trials=5), seed=seed)
        for _ in range(25):
            if declarative:
                trial = study.ask(SPACE)
                study.tell(trial, _loss(trial.params))
            else:
                trial = study.ask()
                study.tell(trial, _define_by_run(trial))
        return [dict(t.params) for t in study.trials]

    assert run(7) == run(7)
    assert run(7) != run(8)


def _conditional(trial: sg.Trial) -> float:
    branch = trial.suggest_categorical("branch", ["quad", "logs", "steps"])
    if branch == "quad":
        a, b = trial.suggest_float("a", -5, 5), trial.suggest_float("b", -5, 5)
        return 0.5 + (a - 1) ** 2 + (b + 2) ** 2
    if branch == "logs":
        return (math.log10(trial.suggest_float("c", 1e-4, 1e2, log=True)) + 1) ** 2
    n = trial.suggest_int("n", 0, 40)
    return 1.0 + abs(n - 13) / 10 + (trial.suggest_categorical("m", ["lo", "hi"]) == "lo")


def test_conditional_space():
    sampler = TPESampler(n_startup_trials=6)
    study = sg.create_study(sampler=sampler, seed=3)
    study.optimize(_conditional, n_trials=60)
    for t in study.trials:
        keys = set(t.params)
        assert keys in ({"branch", "a", "b"}, {"branch", "c"}, {"branch", "n", "m"})
        assert sg.Categorical(["quad", "logs", "steps"]).contains(t.params["branch"])
        if "c" in keys:
            assert 1e-4 <= t.params["c"] <= 1e2
        if "n" in keys:
            assert isinstance(t.params["n"], int) and 0 <= t.params["n"] <= 40
    assert study.best_value < 0.1
    # a branch's parameters are drawn together, then handed out one at a time
    study.enqueue({"branch": "quad"})
    trial = study.ask()
    assert trial.suggest_categorical("branch", ["quad", "logs", "steps"]) == "quad"
    a = trial.suggest_float("a", -5, 5)
    kept = sampler._group_values[(trial.number, "b")]
    assert kept[0] == sg.Float(-5, 5)
    assert trial.suggest_float("b", -5, 5) == kept[1] and (trial.number, "b") not in sampler._group_values
    study.tell(trial, 0.5 + (a - 1) ** 2 + (kept[1] + 2) ** 2)


def test_continues_a_study_started_by_another_sampler(storage):
    first = sg.create_study(name="s", storage=storage, sampler=RandomSampler(), seed=4)
    first.optimize(lambda t: (t.suggest_float("x", -10, 10) - 3) ** 2 + t.suggest_int("k", 0, 5), n_trials=15)
    second = sg.load_study(name="s", storage=storage, sampler=TPESampler(n_startup_trials=10))
    second.optimize(lambda t: (t.suggest_float("x", -10, 10) - 3) ** 2 + t.suggest_int("k", 0, 5), n_trials=15)
    trials = second.trials
    assert len(trials) == 30 and all(t.state is TrialState.COMPLETE for t in trials)
    # past the startup already: the model's proposals concentrate near the optimum (x=3, k=0)
    assert np.median([abs(t.params["x"] - 3) for t in trials[15:]]) < np.median(
        [abs(t.params["x"] - 3) for t in trials[:15]]
    )


@pytest.mark.parametrize("n_done", [0, 12])
def test_parallel_pending_trials_get_different_proposals(storage, n_done):
    space = {"x": sg.Float(0, 1), "k": sg.Int(0, 3), "c": sg.Categorical(["a", "b"])}
    study = sg.create_study(storage=storage, sampler=TPESampler(n_startup_trials=10), seed=5)
    for _ in range(n_done):
        trial = study.ask(space)
        study.tell(trial, (trial.params["x"] - 0.3) ** 2)
    pending = [study.ask(space).params for _ in range(6)]
    assert len({p["x"] for p in pending}) == 6
    assert len({(p["x"], p["k"], p["c"]) for p in pending}) == 6


def test_parallel_workers_complete_every_trial():
    study = sg.create_study(sampler=TPESampler(n_startup_trials=5), seed=6)
    study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 1) ** 2 + t.suggest_int("k", 0, 3), n_trials=40, n_jobs=4)
    done = [t for t in study.trials if t.state is TrialState.COMPLETE]
    assert len(done) == 40
    # threads asking at the same instant during startup take different Sobol points; after
    # startup the constant liar separates them
    assert len({t.params["x"] for t in done}) == 40


def test_pruned_and_failed_trials_count_as_bad_or_nothing():
    space = {"x": sg.Float(0, 1), "k": sg.Int(0, 9)}
    study = sg.create_study(sampler=TPESampler(n_startup_trials=4), seed=8)
    for i in range(40):
        trial = study.ask(space)
        if trial.params["x"] > 0.7:  # the region a pruner keeps stopping
            study.tell(trial, state=TrialState.PRUNED)
        elif i % 5 == 4:
            study.tell(trial, state=TrialState.FAIL)
        else:
            study.tell(trial, abs(trial.params["x"] - 0.75))
    late = [t.params["x"] for t in study.trials[20:]]
    assert np.mean([x > 0.7 for x in late]) < 0.6  # all of them if PRUNED trials were ignored


def test_beats_random_search_on_a_quadratic():
    space = {f"x{i}": sg.Float(-5, 5) for i in range(3)}

    def best(sampler: sg.samplers.BaseSampler, seed: int) -> float:
        study = sg.create_study(sampler=sampler, seed=seed)
        for _ in range(40):
            trial = study.ask(space)
            study.tell(trial, sum((trial.params[f"x{i}"] - 1.0) ** 2 for i in range(3)))
        return study.best_value

    tpe = [best(TPESampler(), seed) for seed in range(8)]
    rnd = [best(RandomSampler(), seed) for seed in range(8)]
    assert np.mean(tpe) < 0.5 * np.mean(rnd)
    assert stats.wilcoxon(tpe, rnd, alternative="less").pvalue < 0.05


def test_constructor_validates_its_arguments():
    with pytest.raises(sg.InvalidValueError, match="n_startup_trials must be an int >= 0, got n_startup_trials=-1"):
        TPESampler(n_startup_trials=-1)
    with pytest.raises(sg.InvalidValueError, match="n_candidates must be an int >= 1"):
        TPESampler(n_candidates=0)
    with pytest.raises(sg.InvalidValueError, match="n_candidates"):
        TPESampler(n_candidates=2.5)  # type: ignore[arg-type]
    with pytest.raises(sg.InvalidValueError, match=r"gamma must be a number in \(0, 1\], got gamma=0"):
        TPESampler(gamma=0)
    with pytest.raises(sg.InvalidValueError, match="gamma"):
        TPESampler(gamma=True)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        TPESampler(3)  # type: ignore[misc]
    assert "n_candidates" in repr(TPESampler(seed=3))


def test_study_seed_is_given_to_an_unseeded_sampler():
    sampler = TPESampler()
    sg.create_study(sampler=sampler, seed=11)
    assert sampler.seed == 11


# -- the numerics ------------------------------------------------------------------------------
def _mixed_columns() -> tuple[list[sg.space.Distribution], _parzen.Columns]:
    dists = [sg.Float(0, 1), sg.Float(0, 1, step=0.25), sg.Int(1, 50, log=True), sg.Categorical(["a", "b", "c"])]
    return dists, _columns(dists)


def test_draws_are_legal_points():
    dists, cols = _mixed_columns()
    rng = np.random.default_rng(0)
    X = _parzen.snap(rng.random((12, 4)), cols)
    X[3, 1] = np.nan  # a trial without that parameter: flat in that column
    p = _parzen.fit_parzen(X, np.ones(12), cols, prior_weight=1.0, min_sigma=0.05)
    U = _parzen.sample(p, cols, 500, rng)
    assert np.all((U >= 0) & (U <= 1))
    for j, dist in enumerate(dists):
        for u in U[:50, j]:
            assert dist.encode(dist.decode(u)) == pytest.approx(u)


def test_log_pdf_is_a_density():
    cols = _columns([sg.Float(0, 1), sg.Categorical(["a", "b", "c"])])
    X = np.array([[0.1, 1 / 6], [0.12, 0.5], [0.9, 0.5], [np.nan, 5 / 6], [0.5, np.nan]])
    p = _parzen.fit_parzen(X, np.ones(5), cols, prior_weight=1.0, min_sigma=0.05)
    grid = (np.arange(2000) + 0.5) / 2000
    total = 0.0
    for c in (1 / 6, 0.5, 5 / 6):
        U = np.column_stack([grid, np.full(grid.size, c)])
        total += np.exp(_parzen.log_pdf(p, U, cols)).mean()
    assert total == pytest.approx(1.0, abs=1e-3)


def test_log_pdf_matches_a_direct_computation():
    cols = _columns([sg.Float(0, 1), sg.Float(0, 1)])
    X = np.array([[0.2, 0.7], [0.25, 0.1], [0.8, 0.5]])
    p = _parzen.fit_parzen(X, np.array([1.0, 2.0, 1.0]), cols, prior_weight=1.0, min_sigma=0.05)
    U = np.array([[0.3, 0.6], [0.0, 1.0], [0.5, 0.5]])
    dens = np.zeros(3)
    for k in range(4):
        term = np.full(3, p.weights[k])
        for j in range(2):
            mu, s = p.mu[k, j], p.sigma[k, j]
            if not np.isnan(mu):
                term *= stats.truncnorm.pdf(U[:, j], -mu / s, (1 - mu) / s, loc=mu, scale=s)
        dens += term
    assert _parzen.log_pdf(p, U, cols) == pytest.approx(np.log(dens))


def test_propose_moves_towards_good_points():
    cols = _columns([sg.Float(0, 1), sg.Float(0, 1)])
    rng = np.random.default_rng(1)
    X = rng.random((60, 2))
    y = ((X - 0.8) ** 2).sum(axis=1)
    none = np.empty((0, 2))
    props = np.array([_parzen.propose(X, y, none, cols, rng, n_candidates=32, gamma=0.1) for _ in range(20)])
    assert np.linalg.norm(props.mean(axis=0) - 0.8) < 0.15


def test_propose_with_a_long_history_and_bad_rows():
    dists, cols = _mixed_columns()
    rng = np.random.default_rng(2)
    X = _parzen.snap(rng.random((3000, 4)), cols)
    y = np.abs(X[:, 0] - 0.3) + (X[:, 3] > 0.5)
    bad = _parzen.snap(rng.random((5, 4)), cols)
    bad[:, 2] = np.nan  # running trials without that parameter yet
    u = _parzen.propose(X, y, bad, cols, rng, n_candidates=64, gamma=0.1)
    assert abs(u[0] - 0.3) < 0.1 and u[3] < 0.6  # not the penalized third choice
    for j, dist in enumerate(dists):
        assert dist.encode(dist.decode(u[j])) == pytest.approx(u[j])


def test_good_group_size():
    assert [_parzen.n_good(n, 0.1) for n in (0, 1, 9, 10, 11, 100, 1000)] == [0, 1, 1, 1, 2, 10, 25]
    assert _parzen.n_good(3, 1.0) == 3


def test_blocked_matmul_is_a_matmul():
    rng = np.random.default_rng(3)
    A, B = rng.random((64, 30)), rng.random((30, 5000))
    np.testing.assert_allclose(_parzen._matmul(A, B), A @ B)


# -- the incremental history cache -------------------------------------------------------------
def _messy_study() -> sg.Study:
    """Completed, failed, pruned, running and enqueued trials; conditional parameters."""
    study = sg.create_study(sampler=RandomSampler(), seed=9)
    for i in range(30):
        trial = study.ask()
        x = trial.suggest_float("x", 0, 1)
        if i % 3 == 0:
            trial.suggest_int("k", 0, 4)
        if i % 7 == 0:
            trial.suggest_float("x2", 0, 1)
        state = [TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED, TrialState.COMPLETE][i % 4]
        if i % 10 == 9:
            continue  # left RUNNING
        study.tell(trial, x if state is TrialState.COMPLETE else None, state=state)
    study.enqueue({"x": 0.25, "k": 2})
    return study


def _same_observations(a, b) -> None:
    assert a.names == b.names and a.distributions == b.distributions
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.pending, b.pending)
    np.testing.assert_array_equal(a.numbers, b.numbers)


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_column_cache_agrees_with_the_history_encoder(direction):
    study = _messy_study()
    cache = ColumnCache()
    for step in range(3):
        history = study.trials
        assert cache.intersection_space(history) == infer_intersection_space(history)
        for space in ({"x": sg.Float(0, 1)}, {"x": sg.Float(0, 1), "k": sg.Int(0, 4)}, {"x2": sg.Float(0, 1)}):
            for lie in ("worst", "best", None):
                _same_observations(
                    cache.observations(history, space, direction, exclude=3, lie=lie),
                    HistoryEncoder().observations(history, space, direction, exclude=3, lie=lie),
                )
        # more history: running trials finish, new ones start, the enqueued one runs
        for t in [t for t in history if t.state is TrialState.RUNNING][:2]:
            study.tell(t.number, 0.5)
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        trial.suggest_int("k", 0, 4)
        if step:
            study.tell(trial, 0.1)


def test_column_cache_handles_other_histories():
    study = _messy_study()
    history = study.trials
    cache = ColumnCache()
    space = {"x": sg.Float(0, 1), "k": sg.Int(0, 4)}
    for h in (history, history[::2], history, sg.create_study().trials, history[:10], history):
        _same_observations(
            cache.observations(h, space, "minimize"), HistoryEncoder().observations(h, space, "minimize")
        )
        assert cache.intersection_space(h) == infer_intersection_space(h)
