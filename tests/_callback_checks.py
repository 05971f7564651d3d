"""The checks every framework callback passes (tests/test_lightning.py, tests/test_keras.py):
the framework's test gives ``make(log, hook)``, an objective that trains a real small model
for 5 epochs with the callback, appends ("lr", epoch, rate) at each epoch start, ("start",
None, weights) when a fit starts and ("weights", epoch, weights) at each epoch end to ``log``,
and calls ``hook(trial, epoch)`` at each epoch end, after the callback's report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sturgeon as sg
from sturgeon import TrialState

Make = Callable[..., Callable[[sg.Trial], float]]


def _study(**kw: Any) -> sg.Study:
    study = sg.create_study(sampler="random", seed=0, **kw)
    study.enqueue({"lr": 0.05})
    return study


def check_reports_and_a_live_rate_change(make: Make) -> None:
    study, log = _study(pruner=None), []

    def hook(trial, epoch):
        if epoch == 1:
            study.set_live_params(trial.number, {"lr": 0.3}, reason="faster")

    study.optimize(make(log, hook), n_trials=1)
    t = study.trials[0]
    assert t.state is TrialState.COMPLETE and sorted(t.intermediate_values) == list(range(5))
    (change,) = t.live_changes
    # asked at the end of epoch 1 (after its report): applied at the report of epoch 2
    assert change.step == 3 and change.params == {"lr": 0.3}
    assert [(e, lr) for kind, e, lr in log if kind == "lr"] == [(0, 0.05), (1, 0.05), (2, 0.05), (3, 0.3), (4, 0.3)]


def check_pruning_stops_the_fit(make: Make) -> None:
    study, log = _study(pruner=sg.pruners.ThresholdPruner(upper=0.0)), []
    study.optimize(make(log), n_trials=1)
    t = study.trials[0]
    assert t.state is TrialState.PRUNED and sorted(t.intermediate_values) == [0]


def check_round_trip_through_pause_and_resume(make: Make, equal: Callable[[Any, Any], bool]) -> None:
    study, log = _study(pruner=None), []

    def hook(trial, epoch):
        if epoch == 1 and trial.resumed_step is None:
            study.pause_trial(trial.number)

    objective = make(log, hook)
    study.optimize(objective, n_trials=1)
    assert study.trials[0].state is TrialState.PAUSED and study.trials[0].pause_info["step"] == 2
    study.resume_trial(0)
    study.optimize(objective, n_trials=0)
    t = study.trials[0]
    assert t.state is TrialState.COMPLETE and t.resumed_step == 2
    assert sorted(t.intermediate_values) == list(range(5)) and t.resource == 5
    saved = next(w for kind, e, w in log if kind == "weights" and e == 2)
    starts = [w for kind, e, w in log if kind == "start"]
    assert len(starts) == 2 and all(equal(a, b) for a, b in zip(starts[1], saved, strict=True))
