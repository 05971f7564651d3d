"""Ground truth of the multi-objective benchmark (benchmarks/_mo_tasks.py): the task functions are
deterministic and in range, the known fronts reach the stated hypervolumes, and the constraint
cuts where C2-DTLZ2 says. No optimization runs; the real tasks need scikit-learn."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from sturgeon._pareto import hypervolume

_DIR = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(_DIR))  # _mo_tasks imports _tasks (Param)
_spec = importlib.util.spec_from_file_location("_benchmark_mo_tasks", _DIR / "_mo_tasks.py")
assert _spec is not None and _spec.loader is not None
M = importlib.util.module_from_spec(_spec)
sys.modules["_benchmark_mo_tasks"] = M  # dataclasses look the module up by name
_spec.loader.exec_module(M)

TASKS = M.make_tasks()
SYNTHETIC = [n for n, t in TASKS.items() if t.kind == "synthetic"]
REAL = [n for n, t in TASKS.items() if t.kind == "real"]
# objective ranges over the whole space (ZDT: f2 <= g <= 10; ZDT3's f2 dips below 0; DTLZ2: 1 + g <= 1 + k/4)
BOUNDS = {
    "zdt1": [(0.0, 1.0), (0.0, 10.0)],
    "zdt2": [(0.0, 1.0), (0.0, 10.0)],
    "zdt3": [(0.0, 1.0), (-1.0, 10.0)],
    "dtlz2": [(0.0, 2.0)] * 3,
    "c2dtlz2": [(0.0, 2.0)] * 3,
    "rf_cancer": [(0.0, 1.0), (0.0, 4.5)],
    "mlp_digits": [(0.0, 1.0), (math.log10(M.mlp_size(1, 2)), math.log10(M.mlp_size(2, 64)))],
}


def _draws(task: object, n: int, seed: int) -> list[dict[str, object]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        p: dict[str, object] = {}
        for name, q in task.space.items():
            u = rng.random()
            v = math.exp(math.log(q.low) + u * math.log(q.high / q.low)) if q.log else q.low + u * (q.high - q.low)
            p[name] = min(max(round(v), int(q.low)), int(q.high)) if q.kind == "int" else v
        out.append(p)
    # the corners of the box too
    out.append({name: q.low if q.kind == "float" else int(q.low) for name, q in task.space.items()})
    out.append({name: q.high if q.kind == "float" else int(q.high) for name, q in task.space.items()})
    return out


def test_every_task_has_bounds_and_a_reference_beyond_its_front() -> None:
    assert sorted(TASKS) == sorted(BOUNDS)
    assert {"zdt1", "zdt2", "zdt3", "dtlz2"} <= set(SYNTHETIC) and len(REAL) >= 2
    for name, task in TASKS.items():
        assert len(task.reference) == len(BOUNDS[name]) == task.n_objectives
    assert [n for n, t in TASKS.items() if t.constrained] == ["c2dtlz2"]


@pytest.mark.parametrize("name", SYNTHETIC)
def test_synthetic_tasks_are_deterministic_and_in_range(name: str) -> None:
    draws = _draws(TASKS[name], 300, seed=1)
    first = [TASKS[name].evaluate(p) for p in draws]
    again = [M.make_tasks()[name].evaluate(p) for p in draws]  # a fresh object, same answers
    assert first == again
    for values in first:
        for v, (lo, hi) in zip(values, BOUNDS[name], strict=True):
            assert lo - 1e-12 <= v <= hi + 1e-12


@pytest.mark.parametrize("name", REAL)
def test_real_tasks_are_deterministic_in_range_and_memoized(name: str) -> None:
    pytest.importorskip("sklearn")
    draws = _draws(TASKS[name], 1, seed=2)  # one random point and the two corners
    task = M.make_tasks()[name]
    first = [task.evaluate(p) for p in draws]
    assert M.make_tasks()[name].evaluate(draws[0]) == first[0]  # not the memo: a fresh object
    for values in first:
        for v, (lo, hi) in zip(values, BOUNDS[name], strict=True):
            assert lo - 1e-12 <= v <= hi + 1e-12
        assert values[1] < task.reference[1]  # the size objective never leaves the reference box
    task.evaluate({k: v * (1 + 1e-7) if isinstance(v, float) else v for k, v in draws[0].items()})
    assert (task.n_calls, task.n_computed) == (len(draws) + 1, len(draws))  # same 4-digit key: from the memo


def test_out_of_range_and_missing_parameters_are_refused() -> None:
    task = TASKS["zdt1"]
    good = dict.fromkeys(task.space, 0.5)
    with pytest.raises(ValueError):
        task.evaluate({**good, "x0": 1.5})
    with pytest.raises(ValueError):
        task.evaluate({k: v for k, v in good.items() if k != "x3"})
    with pytest.raises(ValueError):
        TASKS["rf_cancer"].evaluate({"n_estimators": 2.5, "max_depth": 3, "min_samples_leaf": 1, "max_features": 0.5})


@pytest.mark.parametrize(("which", "front"), [(1, lambda f: 1 - np.sqrt(f)), (2, lambda f: 1 - f * f)])
def test_zdt_fronts_and_their_hypervolumes(which: int, front: object) -> None:
    f1 = np.linspace(0.0, 1.0, 401)
    on_front = [M.zdt(which, np.array([a] + [0.0] * (M.N_ZDT - 1))) for a in f1]  # g = 1 on the front
    assert np.allclose([v[1] for v in on_front], front(f1))
    exact = M.best_hypervolume(f"zdt{which}")
    got = hypervolume(on_front, (1.1, 1.1))  # sturgeon's arithmetic on a sampled front: just below
    assert exact - 2e-3 < got <= exact
    assert M._hv_2d_front(np.array(on_front), (1.1, 1.1)) == pytest.approx(got, abs=1e-12)


def test_zdt3_hypervolume_from_a_sampled_front() -> None:
    f1 = np.linspace(0.0, 1.0, 2001)
    pts = [M.zdt(3, np.array([a] + [0.0] * (M.N_ZDT - 1))) for a in f1]
    got = hypervolume(pts, (1.1, 1.1))
    assert M.best_hypervolume("zdt3") - 2e-3 < got <= M.best_hypervolume("zdt3") + 1e-9


def test_dtlz2_front_is_the_unit_sphere_and_c2_cuts_it() -> None:
    rng = np.random.default_rng(3)
    n = 3 + M.DTLZ_K - 1
    for _ in range(50):
        x = np.concatenate([rng.random(2), np.full(n - 2, 0.5)])  # g = 0
        assert np.linalg.norm(M.dtlz2(x)) == pytest.approx(1.0)
    assert M.best_hypervolume("dtlz2") == pytest.approx(1.331 - math.pi / 6)
    # C2-DTLZ2: the corners and the centre of the front are feasible, the point between them is not
    assert M.c2dtlz2_constraint([1.0, 0.0, 0.0])[0] < 0
    assert M.c2dtlz2_constraint(np.full(3, 1 / math.sqrt(3)))[0] < 0
    assert M.c2dtlz2_constraint([math.sqrt(0.5), math.sqrt(0.5), 0.0])[0] > 0
    coarse = M._c2_grid_hypervolume(31)  # the benchmark extrapolates from this one and a finer one
    assert 0.6 < coarse < M.best_hypervolume("dtlz2")


def test_real_task_sizes() -> None:
    assert M.mlp_size(1, 2) == 64 * 2 + 2 + 2 * 10 + 10
    assert M.mlp_size(2, 64) == 64 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10
    assert math.log10(M.mlp_size(2, 64)) < TASKS["mlp_digits"].reference[1]
    assert math.log10(32 * (2 * 398 - 1)) < TASKS["rf_cancer"].reference[1]
