"""A small real study with every kind of record the plots draw: log / int / categorical
parameters, learning curves, PRUNED, FAIL and PAUSED trials, and a live change."""

from __future__ import annotations

import math

import sturgeon as sg

N_TRIALS = 12
PRUNED = (3, 7)
FAILED = 9
PAUSED = 5
CHANGED = 1  # lr set to 0.5 after its report of step 1: applied at report 2, in force from step 3
STEPS = 5


def make_plot_study(url: str, name: str = "plots") -> sg.Study:
    study = sg.create_study(name=name, storage=url, sampler="random", pruner=None, seed=0)

    def objective(trial: sg.Trial) -> float:
        trial.suggest_float("lr", 1e-4, 1.0, log=True)
        units = trial.suggest_int("units", 8, 128)
        act = trial.suggest_categorical("act", ["relu", "tanh", "gelu"])
        trial.suggest_float("dropout", 0.0, 0.5)
        if trial.number == FAILED:
            raise ValueError("diverged")
        value = 0.0
        for step in range(STEPS):
            lr = trial.live_params["lr"]
            value = (math.log10(lr) + 2) ** 2 + (units - 64) ** 2 / 1000 + (act == "tanh") + 1.0 / (step + 1)
            with trial.checkpoint(step) as folder:
                (folder / "v").write_text(repr(value))
            trial.report(value, step)
            if trial.number == CHANGED and step == 1:
                study.set_live_params(trial.number, {"lr": 0.5}, reason="try bigger")
            if trial.number == PAUSED and step == 2:
                study.pause_trial(trial.number, reason="look")
            if trial.number in PRUNED and step == 2:
                raise sg.TrialPruned()
            if trial.should_prune():
                raise sg.TrialPruned()
        return value

    study.optimize(objective, n_trials=N_TRIALS, catch=(ValueError,))
    return study
