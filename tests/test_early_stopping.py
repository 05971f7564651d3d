"""sg.EarlyStopping: stops after `patience` steps without improvement, keeps the best step,
value and state, and records the best step on the trial (and in exports and summaries)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import sturgeon as sg

CURVE = [5.0, 4.0, 3.0, 3.5, 2.9, 2.95, 3.1, 3.0, 2.99, 3.2, 1.0]  # best 2.9 at step 4, then flat


def test_stops_after_patience_steps_without_improvement_and_keeps_the_best():
    stopper = sg.EarlyStopping(patience=3)
    stopped_at = None
    for step, v in enumerate(CURVE):
        if stopper.update(v, step, state={"w": [step]}):
            stopped_at = step
            break
    assert stopped_at == 7 and stopper.best_step == 4 and stopper.best_value == 2.9
    assert stopper.best_state == {"w": [4]}


def test_min_delta_max_mode_and_nan():
    stopper = sg.EarlyStopping(patience=2, min_delta=0.5, mode="max")
    got = [stopper.update(v, s) for s, v in enumerate([1.0, 1.4, float("nan"), 1.6, 2.0])]
    # 1.4 is not 0.5 better than 1.0 and NaN never improves: stop at step 2; 1.6 is, 2.0 not
    assert got[:3] == [False, False, True] and stopper.best_step == 3 and stopper.best_value == 1.6
    with pytest.raises(sg.InvalidValueError, match="patience must be an int >= 1"):
        sg.EarlyStopping(patience=0)
    with pytest.raises(sg.InvalidValueError, match="mode must be 'min' or 'max'"):
        sg.EarlyStopping(mode="lower")
    with pytest.raises(sg.InvalidValueError, match="finite number or NaN"):
        stopper.update(float("inf"), 5)


def test_the_best_step_is_on_the_trial_record_in_exports_and_summaries(tmp_path):
    url = f"sqlite:///{tmp_path / 'e.db'}"
    study = sg.create_study(name="e", storage=url, direction="minimize", sampler="random", pruner=None, seed=0)

    def objective(trial):
        shift = trial.suggest_float("shift", 0.0, 1.0)
        stopper = sg.EarlyStopping(trial, patience=3)
        for step, v in enumerate(CURVE):
            trial.report(v + shift, step)
            if stopper.update(v + shift, step):
                break
        return stopper.best_value

    study.optimize(objective, n_trials=3)
    for t in study.trials:
        assert t.best_step == 4 and t.value == pytest.approx(2.9 + t.params["shift"]) and t.last_step == 7
    df = study.to_dataframe()
    assert list(df["best_step"]) == [4, 4, 4]
    out = subprocess.run(
        [sys.executable, "-m", "sturgeon", "show", "e", "--storage", url], capture_output=True, text=True
    ).stdout
    assert "best step" in out
    out = subprocess.run(
        [sys.executable, "-m", "sturgeon", "show", "e", "0", "--storage", url], capture_output=True, text=True
    ).stdout
    assert "Best step: 4" in out
