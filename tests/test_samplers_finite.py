"""Finite spaces: TPE and GP never propose a configuration another trial holds (in any state)
while an untried one is left, on small spaces (listed) and large ones (searched); the cells
that decide what "the same configuration" is (``samplers._cells``); and late refinement of
the GP towards an optimum in an integer / categorical corner of a mixed space."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sturgeon as sg
from sturgeon import TrialState
from sturgeon.samplers import RandomSampler
from sturgeon.samplers._base import SampleContext
from sturgeon.samplers._cells import Cells
from sturgeon.samplers._gp import GPSampler
from sturgeon.samplers._tpe import TPESampler

# a k-NN model's space: 30 x 2 x 2 = 120 points
KNN = {"k": sg.Int(1, 30), "weights": sg.Categorical(["uniform", "distance"]), "p": sg.Int(1, 2)}
# 72 points of every discrete kind: log Int, stepped Int, stepped Float, categorical
MIXED_KINDS = {
    "units": sg.Int(8, 11, log=True),
    "layers": sg.Int(1, 5, step=2),
    "drop": sg.Float(0.0, 0.2, step=0.1),
    "act": sg.Categorical(["relu", "tanh"]),
}
LARGE = {f"k{i}": sg.Int(1, 30) for i in range(3)}  # 27,000 points: searched, not listed
WIDE = {"a": sg.Int(1, 2000), "b": sg.Int(1, 2000)}  # Ints too wide for the GP's level lists

SAMPLERS = {"tpe": TPESampler, "gp": GPSampler}


def _knn_error(p: dict) -> float:
    """A deterministic stand-in for a k-NN's validation error: best at k=9, distance, p=1."""
    return (math.log(p["k"]) - math.log(9)) ** 2 + 0.3 * (p["weights"] == "uniform") + 0.2 * (p["p"] == 2)


def _smooth(p: dict) -> float:
    return sum((float(len(v) if isinstance(v, str) else v) - 5.0) ** 2 for v in p.values())


def _points(sampler: str, space: dict, n: int, seed: int, f=_smooth) -> list[tuple]:
    study = sg.create_study(sampler=SAMPLERS[sampler](), seed=seed)
    out = []
    for _ in range(n):
        trial = study.ask(space)
        out.append(tuple(trial.params[k] for k in space))
        study.tell(trial, f(trial.params))
    return out


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_small_finite_space_gets_no_repeat_in_100_trials(sampler):
    for seed in range(2):
        points = _points(sampler, KNN, 100, seed, _knn_error)
        assert len(set(points)) == 100, seed


@pytest.mark.parametrize("sampler", SAMPLERS)
@pytest.mark.parametrize("space", [KNN, MIXED_KINDS], ids=["knn", "mixed_kinds"])
def test_a_space_of_n_points_is_covered_in_n_trials(sampler, space):
    n = int(Cells.of(list(space.values())).size)
    points = _points(sampler, space, n + 2, 3)  # two more: repeats are allowed once it is used up
    assert len(set(points[:n])) == n
    assert all(dist.contains(v) for p in points for dist, v in zip(space.values(), p, strict=True))


@pytest.mark.parametrize("sampler", SAMPLERS)
@pytest.mark.parametrize("space", [LARGE, WIDE], ids=["3x30", "2x2000"])
def test_large_finite_space_gets_no_repeat(sampler, space):
    # past the startup, the GP's trust-region trials (one in four) search a box around the
    # incumbent that soon holds only visited points
    f = lambda p: sum((v - 21) ** 2 for v in p.values())  # noqa: E731
    points = _points(sampler, space, 40, 0, f)
    assert len(set(points)) == 40


def test_define_by_run_tpe_gets_no_repeat():
    def objective(trial: sg.Trial) -> float:
        return _knn_error({name: trial.suggest(name, dist) for name, dist in KNN.items()})

    study = sg.create_study(sampler=TPESampler(), seed=4)
    study.optimize(objective, n_trials=100)
    assert len({tuple(t.params.values()) for t in study.trials}) == 100


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_running_trials_count_as_tried(sampler):
    space = {"k": sg.Int(0, 5), "c": sg.Categorical(["a", "b", "c", "d"])}  # 24 points
    study = sg.create_study(sampler=SAMPLERS[sampler](), seed=1)
    for _ in range(10):
        trial = study.ask(space)
        study.tell(trial, trial.params["k"] + (trial.params["c"] != "b"))
    running = [study.ask(space) for _ in range(14)]  # side by side, none told yet
    points = {tuple(t.params.values()) for t in study.trials}
    assert len(points) == 24 and len(running) == 14


@pytest.mark.parametrize(
    "make",
    [
        lambda: TPESampler(n_startup_trials=8),
        lambda: TPESampler(n_startup_trials=1),
        lambda: GPSampler(),
        lambda: GPSampler(n_startup_trials=1),
    ],
    ids=["tpe-startup", "tpe-model", "gp-startup", "gp-model"],
)
def test_every_state_counts_as_tried(make):
    space = {"k": sg.Int(0, 1), "c": sg.Categorical(["a", "b", "c"])}  # 6 points
    cells = [(k, c) for k in (0, 1) for c in ("a", "b", "c")]
    for seed in range(4):
        order = [cells[i] for i in np.random.default_rng(seed).permutation(6)]
        study = sg.create_study(sampler=RandomSampler(), seed=seed)
        states = [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, None]
        for (k, c), state in zip(order[:4], states, strict=True):
            study.enqueue({"k": k, "c": c})
            trial = study.ask(space)
            if state is not None:  # the last one stays RUNNING
                study.tell(trial, 1.0 if state is TrialState.COMPLETE else None, state=state)
        study.enqueue({"k": order[4][0], "c": order[4][1]})  # WAITING
        history = study.trials
        ctx = SampleContext(trial_number=len(history), rng=np.random.default_rng(seed), direction="minimize", seed=seed)
        sampler = make()
        params = sampler.sample_joint(space, history, ctx)
        assert (params["k"], params["c"]) == order[5], seed


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_same_seed_same_suggestions_when_the_space_runs_out(sampler):
    space = {"k": sg.Int(1, 10), "c": sg.Categorical(["a", "b", "c"])}  # 30 points, all tried in 30 trials
    run = lambda seed: _points(sampler, space, 32, seed)  # noqa: E731
    assert run(5) == run(5)
    assert run(5) != run(6)


# -- cells ------------------------------------------------------------------------------------
def test_cells_keys_are_equal_exactly_for_rows_that_decode_alike():
    dists = [*MIXED_KINDS.values(), sg.Int(1, 100, log=True), sg.Int(0, 9)]
    cells = Cells.of(dists)
    assert cells.finite and cells.size == 72 * 100 * 10
    U = np.random.default_rng(0).random((3000, len(dists)))
    U[::7, 0] = [0.0, 1.0] * (len(U[::7]) // 2) + [0.5] * (len(U[::7]) % 2)  # the ends of the cube
    values = [tuple(d.decode(u) for d, u in zip(dists, row, strict=True)) for row in U]
    keys = cells.keys(U)
    by_key: dict[int, tuple] = {}
    for key, value in zip(keys.tolist(), values, strict=True):
        assert by_key.setdefault(key, value) == value
    assert len(by_key) == len(set(values))
    # the listed points are every configuration once, at their values' encodings
    small = Cells.of(list(MIXED_KINDS.values()))
    listed = small.listed()
    assert len(np.unique(small.keys(listed))) == len(listed) == 72
    for row in listed[::5]:
        for d, u in zip(MIXED_KINDS.values(), row, strict=True):
            assert d.encode(d.decode(u)) == pytest.approx(u, abs=1e-12)


def test_cells_untried_points():
    rng = np.random.default_rng(1)
    small = Cells.of(list(KNN.values()))
    listed = small.listed()
    tried = small.seen(listed[:117])
    assert {tuple(r) for r in small.untried(tried, rng)} == {tuple(r) for r in listed[117:]}
    assert small.untried(small.seen(np.vstack([listed, listed])), rng).shape == (0, 3)  # used up
    large = Cells.of(list(LARGE.values()))
    fresh = large.untried(np.empty(0, dtype=np.int64), rng, n=500)
    assert 400 < len(fresh) <= 500 and len(np.unique(large.keys(fresh))) == len(fresh)
    # a continuous dimension: keys compare the exact float
    mixed = Cells.of([sg.Int(1, 30), sg.Float(0.0, 1.0)])
    assert not mixed.finite and mixed.size == math.inf
    k = mixed.keys(np.array([[0.5, 0.3], [0.51, 0.3], [0.5, 0.3000001]]))
    assert k[0] == k[1] != k[2]


# -- late refinement ----------------------------------------------------------------------------
CORNER = {
    "lr": sg.Float(1e-4, 1.0, log=True),
    "x": sg.Float(0.0, 1.0),
    "depth": sg.Int(1, 24),
    "leaves": sg.Int(2, 64, log=True),
    "crit": sg.Categorical(["gini", "entropy", "log_loss"]),
}


def _corner(p: dict) -> float:
    """Smooth, with interactions; 0 at depth=24 (the top of its range), crit="entropy",
    lr=1e-2, x=0.3, leaves=16. Other criteria want another learning rate and lose 0.2."""
    good = p["crit"] == "entropy"
    d = (24 - p["depth"]) / 23
    return (
        (math.log10(p["lr"]) - (-2.0 if good else -1.0)) ** 2 / 4
        + (p["x"] - 0.3 - 0.2 * d) ** 2
        + d**2 * (1.0 + (not good))
        + (math.log2(p["leaves"]) - 4) ** 2 / 25
        + (0.0 if good else 0.2)
    )


def test_gp_refines_an_optimum_in_an_integer_and_categorical_corner():
    tolerance = 1e-3  # seeds 0-4 reach 2e-5 or better; random search's best is 0.06 or worse

    def best(sampler: sg.samplers.BaseSampler, seed: int) -> sg.FrozenTrial:
        study = sg.create_study(sampler=sampler, seed=seed)
        for _ in range(60):
            trial = study.ask(CORNER)
            study.tell(trial, _corner(trial.params))
        return study.best_trial

    for seed in range(5):
        gp = best(GPSampler(), seed)
        assert gp.value < tolerance, seed
        assert gp.params["depth"] == 24 and gp.params["crit"] == "entropy" and gp.params["leaves"] == 16
        assert best(RandomSampler(), seed).value > 20 * tolerance, seed
