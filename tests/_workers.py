"""Worker programs run as separate processes by the storage tests."""

from __future__ import annotations

import sys
import time

import sturgeon as sg


def objective(trial: sg.Trial) -> float:
    x = trial.suggest_float("x", -1, 1)
    y = trial.suggest_int("y", 0, 10)
    time.sleep(0.002)
    return x * x + y


def run(url: str, name: str, n_trials: int, seed: int) -> None:
    study = sg.load_study(name=name, storage=url, sampler="random", seed=seed)
    study.optimize(objective, n_trials=n_trials)


def hang(url: str, name: str) -> None:
    """Finish two trials, then hang inside the third until killed."""
    study = sg.load_study(name=name, storage=url, sampler="random")

    def objective_then_hang(trial: sg.Trial) -> float:
        value = objective(trial)
        if trial.number == 2:
            print("hanging", flush=True)
            time.sleep(600)
        return value

    study.optimize(objective_then_hang, n_trials=10, heartbeat_interval=0.2)


def grid(url: str, name: str) -> None:
    """Run grid trials until the grid is exhausted."""
    study = sg.load_study(name=name, storage=url, sampler="grid")
    study.optimize(objective)


if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif sys.argv[1] == "grid":
        grid(sys.argv[2], sys.argv[3])
    else:
        hang(sys.argv[2], sys.argv[3])
