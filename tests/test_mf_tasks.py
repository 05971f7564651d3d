"""The multi-fidelity benchmark's tasks and harness (benchmarks/_mf_tasks.py, multifidelity.py):
every task trains step by step, a saved and reloaded training continues exactly, the synthetic
task's optimum is what its optimal configuration reaches, and optimizers run end to end.

Needs scikit-learn and torch (the real tasks) and optuna (one optimizer); skipped without them."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("torch")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import _mf_tasks as mft
import multifidelity as mf

TASKS = mft.make_mf_tasks()
REAL = [name for name, t in TASKS.items() if t.kind == "real"]


def _draw(task: mft.MFTask, rng: np.random.Generator) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, p in task.space.items():
        if p.kind == "cat":
            out[name] = p.choices[rng.integers(len(p.choices))]
        elif p.log:
            out[name] = math.exp(rng.uniform(math.log(p.low), math.log(p.high)))
        else:
            out[name] = rng.uniform(p.low, p.high)
    return task.clean(out)


@pytest.mark.parametrize("name", list(TASKS))
def test_trains_step_by_step(name: str) -> None:
    task = TASKS[name]
    state = task.init(_draw(task, np.random.default_rng(0)), seed=0)
    values = [task.train_step(state) for _ in range(3)]
    assert state.epoch == 3 and state.last == values[-1]
    assert all(math.isfinite(v) for v in values)
    assert task.direction in ("minimize", "maximize") and task.max_resource == mft.MAX_RESOURCE


@pytest.mark.parametrize("name", list(TASKS))
def test_save_load_continues_exactly(name: str, tmp_path: Path) -> None:
    task = TASKS[name]
    params = _draw(task, np.random.default_rng(1))
    state = task.init(params, seed=0)
    for _ in range(2):
        task.train_step(state)
    task.save(state, tmp_path)
    expected = [task.train_step(state) for _ in range(2)]
    loaded = task.load(params, tmp_path)
    assert loaded.epoch == 2
    assert [task.train_step(loaded) for _ in range(2)] == expected
    assert task.test_score(loaded) == task.test_score(state)


@pytest.mark.parametrize("name", REAL)
def test_same_params_same_curve(name: str) -> None:
    task = TASKS[name]
    params = _draw(task, np.random.default_rng(2))
    a, b = task.init(params, seed=0), task.init(params, seed=0)
    assert [task.train_step(a) for _ in range(2)] == [task.train_step(b) for _ in range(2)]


def test_synthetic_optimum_at_optimal_config() -> None:
    task = TASKS["curves"]
    state = task.init(task.optimal_params, seed=0)
    values = [task.train_step(state) for _ in range(task.max_resource)]
    assert values[-1] == pytest.approx(task.optimum, abs=1e-12)
    rng = np.random.default_rng(3)
    finals = [task.curve(_draw(task, rng), task.max_resource) for _ in range(2000)]
    assert max(finals) < task.optimum
    # the curves cross: a faster-learning (higher learning rate) configuration leads early, ends lower
    fast = dict(task.optimal_params, lr=task.optimal_params["lr"] * 5)
    assert task.curve(fast, 3) > task.curve(task.optimal_params, 3)
    assert task.curve(fast, task.max_resource) < task.optimum


@pytest.mark.parametrize(
    ("task", "optimizer"), [("curves", "random"), ("curves", "optuna-median"), ("gb_cancer", "random")]
)
def test_run_one_end_to_end(task: str, optimizer: str) -> None:
    if optimizer.startswith("optuna"):
        pytest.importorskip("optuna")
    budget = 2
    r = mf.run_one(task, optimizer, seed=0, budget=budget)
    assert r["error"] is None
    assert r["steps"] == budget * mft.MAX_RESOURCE  # stopped by the harness's cap, exactly
    assert r["full"] >= 1 and r["curve"] and r["curve"][-1][0] <= r["steps"]
    sign = 1 if TASKS[task].direction == "minimize" else -1
    values = [sign * c[1] for c in r["curve"]]
    assert values == sorted(values, reverse=True)  # each entry a new incumbent


def test_report_from_runs() -> None:
    pytest.importorskip("optuna")
    runs = [mf.run_one("curves", o, seed=s, budget=3) for o in ("random", "optuna-median") for s in (0, 1)]
    data = {
        "meta": {
            "command": "test",
            "machine": mf.machine_facts(),
            "commit": None,
            "seeds": 2,
            "first_seed": 0,
            "budget": 3,
            "jobs": 1,
            "tasks": ["curves"],
            "optimizers": ["random", "optuna-median"],
            "skipped": [],
            "task_info": mf._task_info(TASKS, ["curves"]),
        },
        "runs": runs,
    }
    a = mf.analyse(data)
    assert a["optimum"]["curves"] == -0.95  # maximized: kept as a loss
    # with two seeds random's median is their mean, so random's mean normalized regret is 1
    assert a["regret"][3]["curves"]["random"]["mean"] == pytest.approx(1.0)
    assert a["summary"][3]["random"]["median"] == pytest.approx(1.0)
    text = mf.report(data)
    assert "Normalized regret at 3 full trainings" in text and "optuna-median" in text
