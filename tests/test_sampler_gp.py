"""GPSampler: legal proposals for every space type, reproducibility, conditional and parallel
use, exhaustive finite spaces, search quality; and the numerics of ``sturgeon._gp``."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from scipy import optimize, stats

import sturgeon as sg
from sturgeon._gp import acquisition, gp, kernel, optim, transforms, trust_region
from sturgeon.samplers._gp import GPSampler

SPACE = {
    "lr": sg.Float(1e-5, 1e-1, log=True),
    "x": sg.Float(-2.0, 3.0),
    "drop": sg.Float(0.0, 0.5, step=0.1),
    "units": sg.Int(16, 512, log=True),
    "layers": sg.Int(1, 7, step=2),
    "act": sg.Categorical(["relu", "tanh", None, 3, 2.5, True]),
}


def _score(p: dict) -> float:
    return (
        (math.log10(p["lr"]) + 3) ** 2
        + (p["x"] - 0.7) ** 2
        + (p["drop"] - 0.2) ** 2
        + (math.log2(p["units"]) - 7) ** 2 / 10
        + (p["layers"] - 3) ** 2 / 4
        + (0.0 if p["act"] == "tanh" else 0.5)
    )


def _branin(x: float, y: float) -> float:
    return (y - 5.1 / (4 * np.pi**2) * x**2 + 5 / np.pi * x - 6) ** 2 + 10 * (1 - 1 / (8 * np.pi)) * np.cos(x) + 10


def _run(sampler: sg.samplers.BaseSampler | str, seed: int, n: int, space: dict = SPACE, f=_score) -> sg.Study:
    study = sg.create_study(sampler=sampler, seed=seed)
    for _ in range(n):
        trial = study.ask(space)
        study.tell(trial, f(trial.params))
    return study


# -- the sampler ----------------------------------------------------------------------------
def test_proposals_respect_every_space_type():
    study = _run(GPSampler(), 0, 20)
    for t in study.trials:
        for name, dist in SPACE.items():
            assert dist.contains(t.params[name]), (name, t.params[name])
        assert isinstance(t.params["units"], int) and isinstance(t.params["layers"], int)
        assert t.params["drop"] in {0.0, 0.1, 0.2, 0.3, 0.4, 0.5}
    assert study.best_value < min(t.value for t in study.trials[:7])  # the model found something


def test_same_seed_same_suggestions_and_another_seed_differs():
    a = [t.params for t in _run(GPSampler(), 3, 14).trials]
    b = [t.params for t in _run(GPSampler(), 3, 14).trials]
    c = [t.params for t in _run(GPSampler(), 4, 14).trials]
    assert a == b
    assert a != c


def test_define_by_run_conditional_space_and_maximize():
    def objective(trial: sg.Trial) -> float:
        kind = trial.suggest_categorical("kind", ["lin", "tree"])
        x = trial.suggest_float("x", 0.0, 1.0)
        if kind == "lin":
            return -((trial.suggest_float("c", 1e-3, 1e3, log=True) - 1.0) ** 2) - x
        return -abs(trial.suggest_int("depth", 1, 12) - 4) - x

    study = sg.create_study(sampler=GPSampler(), direction="maximize", seed=1)
    study.optimize(objective, n_trials=22)
    trials = study.trials
    assert all(t.state is sg.TrialState.COMPLETE for t in trials)
    assert {t.params["kind"] for t in trials} == {"lin", "tree"}
    for t in trials:
        assert 0.0 <= t.params["x"] <= 1.0
        assert ("c" in t.params) == (t.params["kind"] == "lin")


def test_conditional_parameters_are_modelled_per_branch():
    def objective(trial: sg.Trial) -> float:
        if trial.suggest_categorical("branch", ["a", "b"]) == "a":
            return (trial.suggest_float("x", 0.0, 1.0) - 0.3) ** 2 + (trial.suggest_float("y", 0.0, 1.0) - 0.7) ** 2
        return 0.5 + abs(trial.suggest_int("n", 0, 20) - 4)

    study = sg.create_study(sampler=GPSampler(), seed=0)
    study.optimize(objective, n_trials=40)
    a = [t for t in study.trials if t.params["branch"] == "a"]
    assert len(a) >= 12
    assert min(t.value for t in a) < 1e-5  # Sobol per parameter: about 4e-4 with 20 such trials


def _trap(trial: sg.Trial) -> float:
    """Branch "wide": flat, its best is 1. Branch "narrow": mostly far worse, 0 at one spot."""
    if trial.suggest_categorical("branch", ["wide", "narrow"]) == "wide":
        return 1.0 + 0.25 * (trial.suggest_float("w", 0.0, 1.0) - 0.5) ** 2
    return 20.0 * ((trial.suggest_float("u", 0.0, 1.0) - 0.3) ** 2 + (trial.suggest_float("v", 0.0, 1.0) - 0.8) ** 2)


def test_branches_compete_on_what_their_best_point_promises():
    # the narrow branch's average is far worse, yet its model predicts values below the wide
    # branch's best: the GP must go there rather than settle in the wide branch
    found = []
    for seed in range(5):
        study = sg.create_study(sampler=GPSampler(), seed=seed)
        study.optimize(_trap, n_trials=30)
        found.append(study.best_value)
    assert sum(v < 0.05 for v in found) >= 4, found


def test_every_branch_is_visited_before_one_is_exploited():
    def objective(trial: sg.Trial) -> float:
        i = int(trial.suggest_categorical("model", [f"m{i}" for i in range(6)])[1:])
        # the best branch, m0, is steep: its first random points look worse than the others'
        return 0.2 * i + (30.0 if i == 0 else 1.0) * (trial.suggest_float(f"x{i}", -1.0, 1.0) - 0.1 * i) ** 2

    study = sg.create_study(sampler=GPSampler(), seed=0)
    study.optimize(objective, n_trials=50)
    counts = Counter(t.params["model"] for t in study.trials)
    assert len(counts) == 6 and min(counts.values()) >= 5, counts
    assert study.best_params["model"] == "m0" and study.best_value < 0.01


def test_a_branch_that_always_fails_is_not_retried_for_ever():
    def objective(trial: sg.Trial) -> float:
        model = trial.suggest_categorical("model", ["ok", "fine", "broken"])
        if model == "broken":
            raise RuntimeError("this model does not train")
        return (trial.suggest_float(f"x_{model}", 0.0, 1.0) - 0.4) ** 2 + (model == "fine")

    study = sg.create_study(sampler=GPSampler(), seed=2)
    study.optimize(objective, n_trials=30, catch=(RuntimeError,))
    failed = [t for t in study.trials if t.state is sg.TrialState.FAIL]
    assert 1 <= len(failed) <= 3
    assert study.best_params["model"] == "ok"


def test_branch_proposals_keep_pending_trials_apart():
    study = sg.create_study(sampler=GPSampler(), seed=3)
    study.optimize(_trap, n_trials=15)
    running = [study.ask() for _ in range(3)]
    points = []
    for t in running:
        branch = t.suggest_categorical("branch", ["wide", "narrow"])
        names = ["w"] if branch == "wide" else ["u", "v"]
        points.append((branch, *(t.suggest_float(n, 0.0, 1.0) for n in names)))
    assert len(set(points)) == 3


def test_pending_trials_get_distinct_proposals():
    space = {"x": sg.Float(-5.0, 10.0), "y": sg.Float(0.0, 15.0)}
    study = _run(GPSampler(), 0, 10, space, lambda p: _branin(p["x"], p["y"]))
    running = [study.ask(space) for _ in range(4)]
    points = {(t.params["x"], t.params["y"]) for t in running}
    assert len(points) == 4
    assert min(abs(a[0] - b[0]) + abs(a[1] - b[1]) for a in points for b in points if a != b) > 1e-3


def test_tiny_finite_space_is_enumerated_without_repeats():
    space = {"a": sg.Int(0, 3), "b": sg.Categorical(["x", "y", "z"]), "c": sg.Float(0.0, 1.0, step=0.5)}
    study = sg.create_study(sampler=GPSampler(), seed=2)
    seen = []
    round_ = 0
    while len(seen) < 36:
        width = 1 if round_ % 2 or len(seen) > 33 else 3  # some trials run side by side
        group = [study.ask(space) for _ in range(width)]
        for t in group:
            p = t.params
            seen.append((p["a"], p["b"], p["c"]))
            study.tell(t, (p["a"] - 2) ** 2 + (p["b"] == "y") + p["c"])
        round_ += 1
    assert len(set(seen)) == 36  # every point once
    study.tell(study.ask(space), 0.0)  # the space is used up: repeats are allowed now


def test_larger_discrete_space_never_repeats_a_point():
    space = {f"k{i}": sg.Int(0, 19) for i in range(3)}  # 8000 points: searched, not enumerated
    study = _run(GPSampler(), 5, 25, space, lambda p: sum((v - 7) ** 2 for v in p.values()))
    points = [tuple(t.params.values()) for t in study.trials]
    assert len(set(points)) == len(points)


def test_enqueued_partial_parameters_are_kept():
    study = _run(GPSampler(), 0, 8)
    study.enqueue({"act": "relu", "x": 0.5})
    trial = study.ask(SPACE)
    assert trial.params["act"] == "relu" and trial.params["x"] == 0.5
    for name, dist in SPACE.items():
        assert dist.contains(trial.params[name])


def test_gp_beats_random_search_on_branin():
    space = {"x": sg.Float(-5.0, 10.0), "y": sg.Float(0.0, 15.0)}

    def best(sampler: sg.samplers.BaseSampler | str, seed: int) -> float:
        return _run(sampler, seed, 25, space, lambda p: _branin(p["x"], p["y"])).best_value

    gp_best = [best(GPSampler(), s) for s in range(6)]
    random_best = [best("random", s) for s in range(6)]
    assert np.mean(gp_best) < np.mean(random_best)
    assert sum(g < r for g, r in zip(gp_best, random_best, strict=True)) >= 5
    assert np.median(gp_best) < 0.45  # the optimum is 0.3979


def test_n_startup_trials_is_validated():
    with pytest.raises(sg.InvalidValueError, match="n_startup_trials"):
        GPSampler(n_startup_trials=0)
    study = _run(GPSampler(n_startup_trials=3), 0, 5)
    assert len(study.trials) == 5


# -- the numerics ---------------------------------------------------------------------------
def test_kernel_matrix_is_positive_semidefinite_with_categorical_dims():
    rng = np.random.default_rng(0)
    X = rng.random((40, 4))
    X[:, 2] = (rng.integers(0, 3, 40) + 0.5) / 3
    X[5] = X[6]  # a duplicate row
    is_cat = np.array([False, False, True, False])
    K = kernel.matern52(kernel.scaled_sq_dists(X, X, np.array([4.0, 0.5, 2.0, 30.0]), is_cat))
    assert np.allclose(K, K.T) and np.allclose(np.diag(K), 1.0)
    assert np.linalg.eigvalsh(K).min() > -1e-10


def test_log_ei_matches_log_of_ei_and_stays_finite_in_the_tail():
    mean = np.array([0.0, 0.5, -1.0, 2.0, 0.3])
    var = np.array([1.0, 0.04, 2.0, 0.5, 1e-4])
    best = 0.1
    sd = np.sqrt(var)
    z = (best - mean) / sd
    ei = sd * (stats.norm.pdf(z) + z * stats.norm.cdf(z))
    assert np.allclose(acquisition.log_ei(mean, var, best), np.log(ei), rtol=1e-9, atol=1e-12)
    far = acquisition.log_ei(np.array([40.0, 1e4, 1e9]), np.array([1.0, 1.0, 1e-6]), 0.0)
    assert np.isfinite(far).all() and far[0] > far[1] > far[2]
    lh, dlh = acquisition.log_h(np.array([-1e12, -1e4, -30.0, -1.0, 0.0, 5.0]))
    assert np.isfinite(lh).all() and np.isfinite(dlh).all() and (dlh > 0).all()


def test_log_ei_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    X = rng.random((15, 3))
    y = np.sin(4 * X[:, 0]) + X[:, 1]
    layout = gp.Layout(np.zeros(3, dtype=bool), np.array([True, True, False]))
    params = gp.GPParams(np.array([0.3, 0.5, 1.0]), 1.0, 1e-4, np.array([1.5, 1.0, 1.0]), np.array([0.8, 2.0, 1.0]))
    post = gp.Posterior(X, (y - y.mean()) / y.std(), params, layout)
    Q = rng.random((6, 3))
    v, g = acquisition.log_ei_with_grad(*post.predict_with_grad(Q), best=-1.0)
    for j in range(3):
        step = np.zeros(3)
        step[j] = 1e-6
        vp = acquisition.log_ei(*post.predict(Q + step), best=-1.0)
        assert np.allclose((vp - v) / 1e-6, g[:, j], rtol=1e-3, atol=1e-4)


def test_marginal_likelihood_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    X = rng.random((25, 3))
    X[:, 2] = (rng.integers(0, 4, 25) + 0.5) / 4
    y = np.cos(3 * X[:, 0]) + (X[:, 2] > 0.5)
    y = (y - y.mean()) / y.std()
    layout = gp.Layout(np.array([False, False, True]), np.array([True, False, False]))
    theta = gp.default_theta(layout) + 0.2 * rng.standard_normal(layout.n_params)
    ne = kernel.not_equal_stack(X, layout.is_cat)
    _, grad = gp._neg_log_posterior(theta, X, y, layout, ne)
    numeric = optimize.approx_fprime(theta, lambda t: gp._neg_log_posterior(t, X, y, layout, ne)[0], 1e-6)
    assert np.allclose(grad, numeric, rtol=1e-3, atol=1e-3 * np.abs(grad).max())


def test_power_transform_is_invertible_and_monotone():
    rng = np.random.default_rng(3)
    y = np.concatenate([rng.lognormal(0, 2, 30), -rng.exponential(1.0, 5), [1e4]])
    t = transforms.fit_output_transform(y)
    z = t(y)
    assert abs(z.mean()) < 1e-9 and abs(z.std() - 1) < 1e-9
    assert np.allclose(t.inverse(z), y, rtol=1e-8, atol=1e-8)
    order = np.argsort(y)
    assert (np.diff(z[order]) > 0).all()
    assert t.lam < 1  # the heavy right tail is compressed
    for lam in (-1.5, 0.0, 0.7, 2.0):
        x = np.linspace(-3, 3, 13)
        assert np.allclose(transforms.yeo_johnson_inverse(transforms.yeo_johnson(x, lam), lam), x)
    assert np.allclose(transforms.fit_output_transform(np.full(4, 2.5))(np.full(4, 2.5)), 0.0)


def test_input_warping_is_a_monotone_map_of_the_unit_interval():
    x = np.linspace(0, 1, 101)
    w = transforms.warp(x, np.array(2.0), np.array(0.5))
    assert (np.diff(w) > 0).all() and w[0] < 1e-5 and w[-1] > 0.99
    assert np.allclose(transforms.warp(x, np.array(1.0), np.array(1.0)), x, atol=1e-5)


def test_acquisition_optimizer_finds_the_maximum_of_a_known_function():
    levels = (None, np.array([0.125, 0.375, 0.625, 0.875]), (np.arange(3) + 0.5) / 3)
    dims = optim.Dims(levels, np.array([False, False, True]))
    target = np.array([0.31, 0.625, 0.5])

    def f(U: np.ndarray) -> np.ndarray:
        return -((U[:, 0] - target[0]) ** 2) - (U[:, 1] - target[1]) ** 2 - 0.1 * (np.abs(U[:, 2] - 0.5) > 1e-9)

    def fg(U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        g = np.zeros_like(U)
        g[:, :2] = -2 * (U[:, :2] - target[:2])
        return f(U), g

    x, v = optim.optimize_acquisition(f, fg, dims, np.random.default_rng(0), anchors=np.zeros((0, 3)))
    assert np.allclose(x, target, atol=1e-4) and v > -1e-8
    assert dims.size() == float("inf")
    assert len(optim.enumerate_points(optim.Dims(levels[1:], dims.is_cat[1:]))) == 12


def test_trust_region_shrinks_on_failures_and_grows_on_successes():
    d = 2
    assert trust_region.trust_region_length(np.arange(10.0), d, 5) == trust_region.LENGTH_INIT / 2**1
    improving = np.concatenate([np.zeros(5), -np.arange(1.0, 7.0)])
    assert trust_region.trust_region_length(improving, d, 5) == trust_region.LENGTH_MAX
    lo, hi = trust_region.trust_region_box(np.array([0.5, 0.9]), 0.4, np.array([1.0, 1.0]), np.array([True, True]))
    assert np.allclose(lo, [0.3, 0.7]) and np.allclose(hi, [0.7, 1.0])
