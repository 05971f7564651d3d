"""Ground truth of the sampler benchmark (benchmarks/_tasks.py): every synthetic task reaches its
known optimum at its known minimizer, and nothing in its space does better.

Loads the task module by path; needs numpy only (no optuna / skopt / hyperopt / scikit-learn)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "_tasks.py"
_spec = importlib.util.spec_from_file_location("_benchmark_tasks", _PATH)
assert _spec is not None and _spec.loader is not None
T = importlib.util.module_from_spec(_spec)
sys.modules["_benchmark_tasks"] = T  # dataclasses look the module up by name
_spec.loader.exec_module(T)

TASKS = T.make_tasks()
SYNTHETIC = [name for name, t in TASKS.items() if t.kind == "synthetic"]
EXPECTED = {
    "branin": 0.397887,
    "hartmann6": -3.32237,
    "ackley5": 0.0,
    "rosenbrock4": 0.0,
    "levy6": 0.0,
    "mixed": 0.0,
    "conditional": 0.0,
}


def _random_params(task: object, rng: np.random.Generator) -> dict[str, object]:
    def draw(name: str, p: object) -> object:
        if p.kind == "cat":
            return p.choices[rng.integers(len(p.choices))]
        u = rng.random()
        v = (
            math.exp(math.log(p.low) + u * (math.log(p.high) - math.log(p.low)))
            if p.log
            else p.low + u * (p.high - p.low)
        )
        return min(max(round(v), int(p.low)), int(p.high)) if p.kind == "int" else v

    return task.suggest_all(draw)


def test_every_synthetic_task_is_checked() -> None:
    assert sorted(SYNTHETIC) == sorted(EXPECTED)


@pytest.mark.parametrize("name", SYNTHETIC)
def test_known_optimum_at_known_minimizer(name: str) -> None:
    task = TASKS[name]
    assert task.optimum == pytest.approx(EXPECTED[name], abs=1e-5)
    assert task.evaluate(task.minimizer) == pytest.approx(task.optimum, abs=1e-6)


@pytest.mark.parametrize("name", SYNTHETIC)
def test_minimizer_is_in_the_space(name: str) -> None:
    task = TASKS[name]
    assert set(task.minimizer) == set(task.active_space(task.minimizer))
    task.check(task.minimizer)  # raises when a value is outside its range


@pytest.mark.parametrize("name", SYNTHETIC)
def test_nothing_beats_the_optimum(name: str) -> None:
    task = TASKS[name]
    rng = np.random.default_rng(0)
    values = [task.evaluate(_random_params(task, rng)) for _ in range(3000)]
    assert min(values) >= task.optimum - 1e-9
    # and near the minimizer only slightly worse values (the minimizer is a local minimum)
    near = dict(task.minimizer)
    for k, p in task.active_space(near).items():
        if p.kind == "float":
            near[k] = min(p.high, near[k] + 1e-4 * (p.high - p.low))
    assert task.optimum - 1e-9 <= task.evaluate(near) <= task.optimum + 0.05 * (1 + abs(task.optimum))


def test_branin_has_three_minimizers() -> None:
    for x1, x2 in [(-math.pi, 12.275), (math.pi, 2.275), (9.42478, 2.475)]:
        assert T.branin(x1, x2) == pytest.approx(0.397887, abs=1e-5)


def test_hartmann6_value() -> None:
    assert T.hartmann6(np.array(T.HARTMANN6_ARGMIN)) == pytest.approx(-3.32237, abs=1e-5)


def test_mixed_optimum_needs_the_right_category() -> None:
    task = TASKS["mixed"]
    best_other = min(task.evaluate({**task.minimizer, "cat": c, "x": T.MIXED_SHIFT[c]}) for c in ("a", "c", "d"))
    assert best_other >= 0.3


def test_conditional_branches_have_their_own_parameters_and_floors() -> None:
    task = TASKS["conditional"]
    assert task.evaluate({"branch": "sphere", "s_x0": 1.0, "s_x1": 1.0, "s_x2": 1.0}) == pytest.approx(0.5)
    assert task.evaluate({"branch": "steps", "i_n": 17, "i_m": "mid", "i_rate": 1e-3}) == pytest.approx(0.25)
    # parameters of inactive branches are ignored
    assert task.evaluate({**task.minimizer, "s_x0": 4.0, "i_n": 3}) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError):
        task.evaluate({"branch": "sphere", "s_x0": 1.0})  # a parameter of the active branch is missing


def test_out_of_range_values_are_refused() -> None:
    task = TASKS["branin"]
    with pytest.raises(ValueError):
        task.evaluate({"x1": 11.0, "x2": 1.0})
    with pytest.raises(ValueError):
        TASKS["mixed"].evaluate({**TASKS["mixed"].minimizer, "cat": "z"})
    with pytest.raises(ValueError):
        TASKS["mixed"].evaluate({**TASKS["mixed"].minimizer, "n": 7.5})


def test_real_tasks_have_no_known_optimum_and_memoize_rounded_params() -> None:
    real = [t for t in TASKS.values() if t.kind == "real"]
    assert len(real) >= 4
    for t in real:
        assert t.optimum is None and t.memoize
    task = T.make_tasks()["enet_diabetes"]
    calls = []
    task.func = lambda p: calls.append(dict(p)) or 1.0  # no scikit-learn needed
    task.evaluate({"alpha": 0.0123456, "l1_ratio": 0.5})
    task.evaluate({"alpha": 0.0123457, "l1_ratio": 0.5})  # same 4-significant-digit key
    assert calls == [{"alpha": 0.01235, "l1_ratio": 0.5}]
    assert (task.n_calls, task.n_computed) == (2, 1)
