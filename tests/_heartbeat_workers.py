"""Worker programs for the heartbeat tests, run as separate processes (and killed)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sturgeon as sg
from sturgeon.samplers import RandomSampler, SampleContext


class StallInAsk(RandomSampler):
    """A sampler that stalls inside ``ask``, after the trial was created or claimed: the
    moment a worker may die before it ever ran the objective."""

    def before_trial(self, history: Sequence[sg.FrozenTrial], ctx: SampleContext) -> None:
        print(f"in ask {ctx.trial_number}", flush=True)
        time.sleep(600)


def die_in_ask(url: str, name: str, interval: float) -> None:
    study = sg.load_study(name=name, storage=url, sampler=StallInAsk(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1, heartbeat_interval=interval)


def hang(url: str, name: str, interval: float) -> None:
    """Run one trial that hangs (sleeping) until the process is killed."""
    study = sg.load_study(name=name, storage=url, sampler="random")

    def objective(trial: sg.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        print(f"hanging {trial.number}", flush=True)
        time.sleep(600)
        return x

    study.optimize(objective, n_trials=1, heartbeat_interval=interval)


def recover(url: str, name: str, stop_file: str) -> None:
    """Another worker: call ``fail_stale_trials`` over and over until ``stop_file`` exists (at
    most two minutes); print what it failed."""
    study = sg.load_study(name=name, storage=url, sampler="random")
    failed: list[Any] = []
    print("recovering", flush=True)
    deadline = time.monotonic() + 120
    while not Path(stop_file).exists() and time.monotonic() < deadline:
        failed += study.fail_stale_trials()
        time.sleep(0.02)
    print(json.dumps(failed), flush=True)


if __name__ == "__main__":
    mode, url, name, arg = sys.argv[1:5]
    if mode == "recover":
        recover(url, name, arg)
    else:
        {"die-in-ask": die_in_ask, "hang": hang}[mode](url, name, float(arg))
